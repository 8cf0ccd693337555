// Store: where verified blocks and their metadata live (RocksDB or memory).
//
// Keys are multihashes, so the same bytes under v0/v1/raw/dag-pb are stored
// once. A block and its metadata are stored together: after a crash (a kill
// -9 at any moment) a block is whole or absent. Pinned roots are kept
// beside. The Store trusts its caller: BlockCache verifies before Put. All
// methods are thread-safe.
#ifndef IPFSFS_BLOCKCACHE_STORE_H_
#define IPFSFS_BLOCKCACHE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "blockcache/block.h"
#include "ipld/cid.h"
#include "ipld/multihash.h"

namespace ipfsfs::blockcache {

// Per-block metadata. Persisted layout (RocksDB "meta" column family, key 'm' +
// multihash bytes): size u64le, last_use u64le (ms since the epoch), pins u32le.
// Persisted: never reorder.
struct BlockMeta {
  uint64_t size = 0;
  uint64_t last_use = 0;
  uint32_t pins = 0;  // how many pinned roots reach this block
  friend bool operator==(const BlockMeta&, const BlockMeta&) = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // nullopt when absent.
  [[nodiscard]] virtual Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) = 0;
  // Where the block's bytes lie in a local file, for reads that splice them;
  // nullopt when absent or not kept in a file of its own kind (memory, a
  // format-1 blob) — GetData then reads it.
  [[nodiscard]] virtual Result<std::optional<BlockExtent>> Locate(const ipld::Multihash& mh) {
    (void)mh;
    return std::optional<BlockExtent>();
  }
  // Block and metadata in one atomic write.
  [[nodiscard]] virtual Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) = 0;
  // The same, for bytes already shared (a store in memory keeps them as they are).
  [[nodiscard]] virtual Status PutShared(const ipld::Multihash& mh, const std::shared_ptr<const Bytes>& data,
                                         const BlockMeta& meta) {
    return Put(mh, ByteSpan(*data), meta);
  }
  // Metadata only (pins, batched last-use), all in one write.
  [[nodiscard]] virtual Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& metas) = 0;
  // Block and metadata, atomically, for each.
  [[nodiscard]] virtual Status Delete(const std::vector<ipld::Multihash>& mhs) = 0;
  // Every block's metadata (opening the cache loads its index with this; the
  // multihash is the callee's to keep).
  [[nodiscard]] virtual Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) = 0;
  // About how many blocks ForEachMeta will give (to size the index); 0 when unknown.
  virtual uint64_t EstimatedBlocks() { return 0; }

  // Gives back disk space still held by deleted blocks (RocksDB: blob files
  // that also hold live blocks) when the files hold at least `min_garbage`
  // bytes more than the `live_bytes` of blocks stored; rewrites the live
  // blocks. Blocking, heavy: for gc.
  [[nodiscard]] virtual Status Reclaim(uint64_t live_bytes, uint64_t min_garbage) {
    (void)live_bytes;
    (void)min_garbage;
    return OkStatus();
  }

  // Pinned roots (key 'p' + CID bytes).
  [[nodiscard]] virtual Status AddRoot(const ipld::Cid& root) = 0;
  [[nodiscard]] virtual Status RemoveRoot(const ipld::Cid& root) = 0;
  [[nodiscard]] virtual Result<std::vector<ipld::Cid>> Roots() = 0;
};

// Blocks in a hash map; for tests and benches.
std::unique_ptr<Store> NewMemoryStore();

struct RocksStoreOptions {
  // Block bytes go to pack files of about this size (a pack is deleted once
  // nothing in it is live; smaller packs give space back sooner).
  uint64_t pack_bytes = 64ull << 20;
  // Block-cache size for reads (RocksDB's own LRU cache): index and filter
  // blocks of the block index (block bytes live in pack files).
  uint64_t read_cache_bytes = 8ull << 20;
  // Memtable size of the index and metadata (at most two each exist at once).
  uint64_t write_buffer_bytes = 8ull << 20;
};

// Opens or creates the store at `dir` (created with parents): block bytes in
// pack files in arrival order under dir/packs, RocksDB holding the index,
// metadata and pins. A cache from before pack files is read in place (its
// blocks move into packs as they are read). kUnavailable if another process
// holds its lock; kUnsupported for a cache written by a newer ipfsfs.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& dir, RocksStoreOptions options = {});

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_STORE_H_
