// NameStore: the last IPNS record accepted for each name, kept across restarts
// so that a source serving an older record (a lower sequence) cannot roll a
// name back, and so that an offline start still has the last valid value.
//
// Keys are canonical names ("k51…"); values are raw records (re-verified on
// load by the caller: a store is not trusted more than a source). Files, not
// the cache's RocksDB: `ipfsfs resolve` must work beside a running mount that
// holds the cache's lock. Implementations are thread-safe.
#ifndef IPFSFS_RESOLVER_NAME_STORE_H_
#define IPFSFS_RESOLVER_NAME_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace ipfsfs::resolver {

class NameStore {
 public:
  virtual ~NameStore() = default;
  // nullopt when nothing was saved for `name`.
  [[nodiscard]] virtual Result<std::optional<Bytes>> Load(const std::string& name) = 0;
  // Replaces what was saved; atomic (whole or absent after a crash).
  [[nodiscard]] virtual Status Save(const std::string& name, ByteSpan record) = 0;
};

// In memory; for tests.
std::unique_ptr<NameStore> NewMemoryNameStore();
// One file per name under `dir` (created if needed), written by rename.
[[nodiscard]] Result<std::unique_ptr<NameStore>> OpenFileNameStore(const std::string& dir);

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_NAME_STORE_H_
