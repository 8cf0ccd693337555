// PublishedStore: the names this user published, with what the republisher
// needs to publish them again (the key's name in the keystore, the value, the
// sequence, lifetime and TTL). The sequence kept here is the highest ever
// published for the name, so a new publish never reuses one.
//
// The file store keeps one JSON file per name under a directory
// ($XDG_STATE_HOME/ipfsfs/published), written by rename; a memory fake for
// tests. Implementations are thread-safe.
#ifndef IPFSFS_PUBLISH_PUBLISHED_STORE_H_
#define IPFSFS_PUBLISH_PUBLISHED_STORE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ipld/rfc3339.h"

namespace ipfsfs::publish {

struct Publication {
  std::string name;      // k51…
  std::string key_name;  // in the keystore; empty when published with a key not kept there
  std::string value;
  uint64_t sequence = 0;
  ipld::Timestamp eol;
  ipld::Timestamp published_at;
  std::chrono::nanoseconds lifetime{0};
  std::chrono::nanoseconds ttl{0};
};

class PublishedStore {
 public:
  virtual ~PublishedStore() = default;
  [[nodiscard]] virtual Result<std::optional<Publication>> Load(const std::string& name) = 0;
  [[nodiscard]] virtual Status Save(const Publication& publication) = 0;
  // Every publication, by name.
  [[nodiscard]] virtual Result<std::vector<Publication>> List() = 0;
};

std::unique_ptr<PublishedStore> NewMemoryPublishedStore();
[[nodiscard]] Result<std::unique_ptr<PublishedStore>> OpenFilePublishedStore(const std::string& dir);

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_PUBLISHED_STORE_H_
