// NamePublisher: an IPNS name moved to a new value, as kubo's `name publish`
// does (ipns.md §6; publish.md §1.5, §3.1): a V1+V2 record signed locally,
// stored locally first, then put to every target.
//
// Sequence: one above the highest ever published here for the name (the
// PublishedStore) and the highest seen (SeenSequence: the targets and the
// NameStore of records seen); 0 for a new name. A target that fails does not
// stop the others: each outcome is reported. The record also goes into the
// NameStore of records seen, so a local mount and `ipfsfs resolve` answer with
// it at once (and offline).
//
// Seams: RecordPutter (where records go; HTTP ones below, fakes in tests), the
// clock. Publish blocks (the puts run one after the other); not for FUSE or
// network threads. Thread-safe: calls are serialized by a mutex, so two
// publishes of one name never pick the same sequence.
#ifndef IPFSFS_PUBLISH_NAME_PUBLISHER_H_
#define IPFSFS_PUBLISH_NAME_PUBLISHER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/libp2p_private_key.h"
#include "ipld/multihash.h"
#include "ipld/rfc3339.h"
#include "net/http_engine.h"
#include "publish/published_store.h"
#include "resolver/name_store.h"

namespace ipfsfs::publish {

// One place records are put.
class RecordPutter {
 public:
  virtual ~RecordPutter() = default;
  // For people: "routing http://…", "kubo http://…".
  virtual std::string description() const = 0;
  // Blocking. `name` is the canonical k51… form.
  [[nodiscard]] virtual Status Put(const std::string& name, ByteSpan record) = 0;
};

// Delegated routing: PUT {base}/routing/v1/ipns/{name}, Content-Type
// application/vnd.ipfs.ipns-record; 200 is success.
std::unique_ptr<RecordPutter> NewRoutingPutter(net::HttpEngine& engine, std::string base_url);
// kubo RPC: POST {api}/api/v0/routing/put?arg=/ipns/{name}&allow-offline=true,
// the record as a multipart file (an offline node stores it, as kubo's
// --allow-offline).
std::unique_ptr<RecordPutter> NewKuboPutter(net::HttpEngine& engine, std::string api_url);

// The highest sequence of a valid record for the name found elsewhere
// (targets, records seen); nullopt when none.
using SeenSequence = std::function<std::optional<uint64_t>(const ipld::Multihash& name)>;

struct PublishOptions {
  std::chrono::nanoseconds lifetime = std::chrono::hours(48);  // kubo --lifetime
  std::chrono::nanoseconds ttl = std::chrono::minutes(5);      // kubo --ttl (boxo's default)
  std::optional<uint64_t> sequence;                            // --sequence: above the current one
  bool allow_offline = false;                                  // with no target: store locally only, instead of failing
  std::string key_name;                                        // kept with the publication, for the republisher
};

struct RecordPutOutcome {
  std::string target;  // RecordPutter::description
  Status status;
};

struct PublishedName {
  std::string name;   // k51…
  std::string value;  // /ipfs/…
  uint64_t sequence = 0;
  ipld::Timestamp eol;
  Bytes record;
  std::vector<RecordPutOutcome> outcomes;  // one per target, in order
  bool all_ok() const;
};

struct NamePublisherOptions {
  std::function<ipld::Timestamp()> now = [] {
    return ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now());
  };
};

class NamePublisher {
 public:
  // Everything given must outlive the publisher; `seen_store` and `seen` may be null.
  NamePublisher(std::vector<RecordPutter*> targets, PublishedStore& published, resolver::NameStore* seen_store,
                SeenSequence seen, NamePublisherOptions options = {});

  bool has_targets() const { return !targets_.empty(); }

  // The sync target `ipns:KEY` and the republisher call this. Errors (nothing
  // signed or put): kInvalidArgument for a bad value, TTL above the lifetime,
  // a --sequence not above the current one, or no target without
  // allow_offline. Target failures are in the outcomes, not an error.
  [[nodiscard]] Result<PublishedName> Publish(const ipld::PrivateKey& key, std::string value_path,
                                              const PublishOptions& options);
  [[nodiscard]] Result<PublishedName> Publish(const ipld::PrivateKey& key, std::string value_path) {
    return Publish(key, std::move(value_path), PublishOptions{});
  }

 private:
  std::vector<RecordPutter*> targets_;
  PublishedStore& published_;
  resolver::NameStore* seen_store_;
  SeenSequence seen_;
  NamePublisherOptions options_;
  std::mutex mu_;  // one publish at a time
};

// "/ipfs/<cid>[/path]", "/ipns/<name>[/path]" or a bare CID (as kubo takes it)
// → the record value; kInvalidArgument otherwise.
[[nodiscard]] Result<std::string> NormalizeIpnsValue(std::string_view path);

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_NAME_PUBLISHER_H_
