// DirectoryBuilder: a directory's entries -> a basic UnixFS directory or a
// HAMT-sharded one, switched exactly where kubo switches (kubo-add.md §4).
//
// The estimate (links or block, §4.2) is computed over the final entry set;
// the directory shards when it is strictly greater than the threshold. Blocks
// go to the sink from the calling thread. Not thread-safe.
#ifndef IPFSFS_WRITEBACK_DIRECTORY_BUILDER_H_
#define IPFSFS_WRITEBACK_DIRECTORY_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "ipld/cid.h"
#include "writeback/block_sink.h"
#include "writeback/file_builder.h"
#include "writeback/import_options.h"
#include "writeback/internal/node_encoding.h"

namespace ipfsfs::writeback {

struct DirEntry {
  std::string name;  // raw bytes of the name, unique within the directory
  ipld::Cid cid;
  uint64_t tsize = 0;
};

class DirectoryBuilder {
 public:
  // All references must outlive the builder.
  DirectoryBuilder(const ResolvedOptions& options, const internal::CidMaker& cids, BlockSink& sink)
      : options_(options), cids_(cids), sink_(sink) {}

  // Entries in any order. kCorrupt ("sharded directory too deep") if two names'
  // hashes agree on every level.
  [[nodiscard]] Result<DagRef> Build(std::vector<DirEntry> entries, const internal::Metadata& meta);

  // The size estimate that decides the switch; nullopt when estimates are
  // disabled.
  std::optional<uint64_t> Estimate(const std::vector<DirEntry>& entries, const internal::Metadata& meta) const;

  // Whether Build will make a HAMT of these entries.
  bool Shards(const std::vector<DirEntry>& entries, const internal::Metadata& meta) const {
    std::optional<uint64_t> e = Estimate(entries, meta);
    return e && *e > options_.options.hamt_threshold;
  }

  // A symlink node (§5): no links, the target as Data, mtime if given.
  [[nodiscard]] Result<DagRef> Symlink(std::string_view target, const internal::Metadata& meta);

 private:
  [[nodiscard]] Result<DagRef> Basic(std::vector<DirEntry>& entries, const internal::Metadata& meta);
  struct HashedEntry {
    const DirEntry* entry;
    uint64_t hash;  // HamtHash of the name
  };
  [[nodiscard]] Result<DagRef> Shard(const std::vector<HashedEntry>& entries, unsigned level, unsigned bits,
                                     const internal::Metadata& meta);
  [[nodiscard]] Result<DagRef> Emit(Bytes block, uint64_t links_tsize);

  const ResolvedOptions& options_;
  const internal::CidMaker& cids_;
  BlockSink& sink_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_DIRECTORY_BUILDER_H_
