// TestGateway: a tiny HTTP/1.1 trustless gateway on 127.0.0.1 for tests and benches.
//
// Serves blocks held in memory (added one by one or loaded from a CAR) per the
// trustless gateway spec: GET|HEAD /ipfs/{cid}?format=raw (application/vnd.ipld.raw)
// and ?format=car&dag-scope=block|entity|all (application/vnd.ipld.car, DFS, no
// duplicates, streamed with chunked encoding), with entity-bytes=FROM:TO|* on
// UnixFS files (only the blocks holding those bytes). It also answers the two kubo RPC
// calls blockcache uses: POST /api/v0/block/get?arg= and /api/v0/dag/export?arg=, and
// serves IPNS records (SetIpnsRecord) as a gateway, a delegated router and kubo do.
// Faults can be injected globally or per CID (matched by multihash), and every
// request is counted per multihash, and the bytes sent in all (GET /debug/counts answers
// {"requests": N, "bytes_sent": M} for scripts). One thread per connection, keep-alive.
// Thread-safe; the destructor stops the server and joins its threads (stalled
// responses end then).
#ifndef IPFSFS_TESTS_SUPPORT_TEST_GATEWAY_H_
#define IPFSFS_TESTS_SUPPORT_TEST_GATEWAY_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::testing {

enum class Fault {
  kNone,
  kCorrupt,           // one byte of the block flipped
  kWrongBlock,        // another valid block's bytes instead
  kTruncate,          // body cut in half, then the connection closes
  kStatus500,         // 500 Internal Server Error
  kStatus404,         // 404 Not Found
  kStall,             // no response at all until the client gives up
  kSlow,              // correct bytes, a few hundred bytes at a time
  kWrongContentType,  // 200 text/html with a web page (a deserializing gateway)
};

std::optional<Fault> FaultFromName(std::string_view name);  // "corrupt", "wrong-block", …
std::string_view FaultName(Fault fault);

struct TestGatewayOptions {
  uint16_t port = 0;  // 0: an ephemeral port
  // kSlow sends `slow_chunk` bytes every `slow_delay`.
  size_t slow_chunk = 512;
  std::chrono::milliseconds slow_delay{20};
  // Every response waits this long first (a distant gateway's round trip).
  std::chrono::milliseconds latency{0};
  // This share of requests (0..100) without a fault of their own answers 500,
  // chosen by a fixed-seed generator: a gateway that fails now and then.
  unsigned flaky_percent = 0;
  // Bandwidth cap for all its responses together, bytes/s (0: none): a
  // gateway behind a slow link (the striping bench gives each its own).
  uint64_t rate_bytes_per_second = 0;
  // False: a gateway without CARs (format=car answers 501 Not Implemented).
  bool serve_cars = true;
};

class TestGateway {
 public:
  [[nodiscard]] static Result<std::unique_ptr<TestGateway>> Start(TestGatewayOptions options = {});
  virtual ~TestGateway() = default;

  // "http://127.0.0.1:PORT".
  virtual std::string url() const = 0;

  // The gateway trusts what it is given (it must be able to serve bad data).
  virtual void AddBlock(const ipld::Cid& cid, Bytes data) = 0;
  // Adds every block of a CAR file; returns its roots.
  [[nodiscard]] virtual Result<std::vector<ipld::Cid>> AddCar(const std::string& path) = 0;
  virtual void RemoveBlock(const ipld::Cid& cid) = 0;
  // IPNS records (any name form): GET /ipns/{name} (Accept: ipns-record),
  // GET /routing/v1/ipns/{name} and kubo's POST /api/v0/routing/get?arg=/ipns/{name}.
  virtual void SetIpnsRecord(const std::string& name, Bytes record) = 0;
  // The record is read from `path` at each request (absent file: no record).
  virtual void SetIpnsRecordFile(const std::string& name, const std::string& path) = 0;
  virtual void RemoveIpnsRecord(const std::string& name) = 0;
  virtual uint64_t IpnsRecordRequests() const = 0;
  // GET /routing/v1/providers/{cid}: these gateways ("http://127.0.0.1:PORT")
  // as providers of every CID (transport-ipfs-gateway-http, /http multiaddrs),
  // after a bitswap-only provider that clients must skip.
  virtual void SetProviders(std::vector<std::string> gateway_urls) = 0;
  virtual uint64_t ProviderRequests() const = 0;
  // Records accepted by PUT /routing/v1/ipns/{name} (delegated routing, checked
  // as boxo's server does) and kubo's POST /api/v0/routing/put; served back after.
  virtual uint64_t IpnsRecordPuts() const = 0;

  virtual void SetFault(Fault fault) = 0;  // for every CID without its own fault
  virtual void SetFault(const ipld::Cid& cid, Fault fault) = 0;
  virtual void ClearFaults() = 0;  // leaves the flaky share as it is
  virtual void SetFlaky(unsigned percent) = 0;

  // Requests naming this CID (any format, any path) since the last reset.
  virtual uint64_t RequestCount(const ipld::Cid& cid) const = 0;
  virtual uint64_t TotalRequests() const = 0;
  // Bytes written to clients (headers and bodies, whatever the client read of them).
  virtual uint64_t BytesSent() const = 0;
  virtual void ResetCounts() = 0;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_TEST_GATEWAY_H_
