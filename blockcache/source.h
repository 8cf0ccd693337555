// Source: one place blocks come from (a trustless gateway, a kubo RPC, a fake).
//
// A Source only transports bytes: it never verifies (BlockCache does, for every
// block) and never retries across sources (Sources does). Callbacks run on the
// network thread and must only hand work off. Errors: kNotFound (the source
// says it does not have the block), kUnavailable (transport error, 5xx, wrong
// content type), kTimeout, kTooLarge (body over 2 MiB), kCancelled.
// Implementations are thread-safe.
#ifndef IPFSFS_BLOCKCACHE_SOURCE_H_
#define IPFSFS_BLOCKCACHE_SOURCE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "blockcache/block_getter.h"
#include "ipld/cid.h"

namespace ipfsfs::net {
class HttpEngine;
}

namespace ipfsfs::blockcache {

// Cancels a request in flight; the done callback is then called with
// kCancelled (unless it already ran). Safe from any thread, more than once.
class FetchHandle {
 public:
  virtual ~FetchHandle() = default;
  virtual void Cancel() = 0;
  // Resumes a CAR stream paused by on_data returning false.
  virtual void Resume() {}
};

using RawCallback = std::function<void(Result<std::shared_ptr<Bytes>>)>;
// Receives CAR bytes in order as they arrive. Return false to pause the
// stream (the same bytes are not consumed and come again after Resume()).
using CarDataCallback = std::function<bool(ByteSpan)>;
using CarDoneCallback = std::function<void(Status)>;

class Source {
 public:
  virtual ~Source() = default;
  virtual std::string name() const = 0;

  // One block's bytes, unverified.
  virtual std::shared_ptr<FetchHandle> FetchBlock(const ipld::Cid& cid, RawCallback done) = 0;
  // The DAG under `root` as a CAR stream; with `bytes`, only the blocks of
  // that byte range of a file (sources that SupportsByteRanges). Sources
  // without CAR support call done(kUnsupported) at once.
  virtual std::shared_ptr<FetchHandle> FetchCar(const ipld::Cid& root, PrefetchScope scope,
                                                std::optional<ByteRange> bytes, CarDataCallback on_data,
                                                CarDoneCallback done) = 0;
  virtual bool SupportsByteRanges() const { return false; }
  // Bytes it sent for `sent_for` (a block, or the root of a CAR) failed their
  // hash. True when it can pin them on one upstream of its own (a provider),
  // which it then stops asking: the source as a whole keeps its standing.
  virtual bool BlameCorrupt(const ipld::Cid& sent_for) {
    (void)sent_for;
    return false;
  }
  // False for sources that only answer name lookups (delegated routing):
  // they are never given to the block cache.
  virtual bool ServesBlocks() const { return true; }

  // The IPNS record for `name` (canonical text form, "k51…"), unverified and
  // at most 10 KiB. kNotFound when the source has none (a 404, or a 200 of
  // another content type: IPIP-513); kUnsupported (at once, null handle) for
  // sources that carry no records.
  virtual std::shared_ptr<FetchHandle> FetchIpnsRecord(const std::string& ipns_name, RawCallback done) {
    done(tl::unexpected(Error{ErrorCode::kUnsupported, name() + ": no IPNS records for " + ipns_name}));
    return nullptr;
  }
};

struct HttpSourceOptions {
  std::chrono::milliseconds request_timeout{8000};
  std::chrono::milliseconds connect_timeout{3000};
  // CARs may take longer in total but must keep flowing.
  std::chrono::milliseconds car_timeout{600000};
};

// A trustless gateway: GET {base}/ipfs/{cid}?format=raw | ?format=car&dag-scope=…
std::unique_ptr<Source> NewGatewaySource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options = {});
// A kubo RPC: POST {base}/api/v0/block/get?arg=… | /api/v0/dag/export?arg=…
std::unique_ptr<Source> NewKuboSource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options = {});
// A delegated routing endpoint (IPIP-337/379): GET {base}/routing/v1/ipns/{name}.
// Records only: ServesBlocks() is false and block or CAR requests are kUnsupported.
std::unique_ptr<Source> NewRoutingSource(net::HttpEngine& engine, std::string base_url, HttpSourceOptions options = {});

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_SOURCE_H_
