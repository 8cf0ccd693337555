// BlockCache: get(cid) -> verified block, from the local store or the network.
//
// The one BlockGetter the layers above use. A hit is answered on the caller's
// thread from a small memory tier of verified blocks, else from the Store
// (RocksDB or memory; with hash_on_read, re-hashed so a damaged entry is
// dropped and fetched again, never served); a miss opens one in-flight fetch
// per multihash (concurrent gets of the same block coalesce), asks the Sources
// (health-ranked, failover, hedging), verifies the bytes against the CID on a
// small worker pool, commits block + metadata in one write, then wakes every
// waiter. A block that fails its hash is never returned or stored.
//
// Beside Get: Put (the importer stores blocks it built), pin counts (a pinned
// DAG is never evicted; dag_tools.h walks DAGs to pin, fetch, export and
// import), a quota with LRU eviction of unpinned blocks, statistics, offline
// mode. Blocking methods (Gc, Verify, Flush) are for tools and tests: never on
// a FUSE worker.
// All methods are thread-safe. The BlockCache must outlive its callbacks'
// completion: destruction cancels in-flight fetches and waits for them.
#ifndef IPFSFS_BLOCKCACHE_BLOCK_CACHE_H_
#define IPFSFS_BLOCKCACHE_BLOCK_CACHE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/block.h"
#include "blockcache/block_getter.h"
#include "blockcache/source.h"
#include "blockcache/sources.h"
#include "blockcache/store.h"
#include "ipld/cid.h"

namespace ipfsfs::blockcache {

// Where blocks come from. tools/internal/source_options.h builds these from
// flags, environment and config.
struct SourceSpec {
  // kProviders: a delegated routing endpoint whose providers' gateways serve the blocks.
  enum class Kind { kGateway, kKuboRpc, kProviders };
  Kind kind = Kind::kGateway;
  std::string url;  // "http://127.0.0.1:8080" (no trailing /ipfs)
};

struct BlockCacheOptions {
  // RocksDB directory; empty keeps blocks in memory (tests, benches).
  std::string cache_dir;
  // Quota in bytes of block data; unpinned blocks are evicted LRU above it.
  uint64_t max_bytes = 10ull << 30;
  // Sources, tried in health order.
  std::vector<SourceSpec> sources;
  // Serve from the cache only: a miss is kNotFound without touching the network.
  bool offline = false;
  // A miss fails after this long in total, whatever the retries (DESIGN: bounded).
  std::chrono::milliseconds fetch_timeout{15000};
  // One HTTP request to one source may take this long.
  std::chrono::milliseconds request_timeout{8000};
  std::chrono::milliseconds connect_timeout{3000};
  // Requests per block across all sources before giving up.
  int max_attempts = 4;
  // Send a second (hedged) request to the next source when the first is slower
  // than max(hedge_min, 3 x the source's usual latency).
  std::chrono::milliseconds hedge_min{400};
  // Re-hash every block read back from the store (disk), not only those that
  // arrive from the network. Off as in kubo (Datastore.HashOnRead): blocks are
  // hashed before they are stored, RocksDB's recovery never yields a torn
  // block, and re-hashing halves the speed of cached reads. `cache verify`
  // re-hashes everything on demand.
  bool hash_on_read = false;
  // Recently used verified blocks kept in memory: a hit there costs neither a
  // read nor a hash. 0 disables it.
  uint64_t memory_cache_bytes = 64ull << 20;
  // Threads that hash and commit blocks (never the network thread).
  int workers = 2;
  // net/ event-loop threads.
  int net_threads = 1;
  // The steady clock misses are timed on (LastMiss); tests drive it. Unset:
  // std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t coalesced = 0;      // gets that joined an in-flight fetch
  uint64_t fetched_blocks = 0;
  uint64_t fetched_bytes = 0;
  uint64_t fetch_errors = 0;
  uint64_t in_flight = 0;  // blocks being fetched now
  uint64_t evicted_blocks = 0;
  uint64_t stored_blocks = 0;  // now in the store
  uint64_t stored_bytes = 0;
  uint64_t pinned_blocks = 0;
  uint64_t pinned_roots = 0;
  uint64_t max_bytes = 0;
  std::vector<SourceStats> sources;
};

struct GcResult {
  uint64_t evicted_blocks = 0;
  uint64_t evicted_bytes = 0;
};

struct VerifyResult {
  uint64_t checked = 0;
  uint64_t removed = 0;  // corrupt entries deleted
};

class BlockCache : public BlockGetter {
 public:
  // Opens (creating if needed) the store under options.cache_dir and the
  // configured HTTP sources. kUnavailable when the directory is locked by
  // another process, kCorrupt when RocksDB cannot open it.
  [[nodiscard]] static Result<std::unique_ptr<BlockCache>> Open(BlockCacheOptions options);
  // With explicit store and sources (tests; options.sources and cache_dir are ignored).
  [[nodiscard]] static Result<std::unique_ptr<BlockCache>> Create(
      BlockCacheOptions options, std::unique_ptr<Store> store, std::vector<std::unique_ptr<Source>> sources);

  ~BlockCache() override;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // BlockGetter. Identity CIDs are answered without store or network.
  void Get(const ipld::Cid& cid, BlockCallback done) override = 0;
  // Asks one source for the DAG as a CAR; every block is verified and stored
  // as it arrives. Errors are logged only.
  void Prefetch(const ipld::Cid& root, PrefetchScope scope) override = 0;

  // BlockGetter's planning queries, answered from the index and the fetcher.
  Result<std::optional<Block>> GetLocal(const ipld::Cid& cid) override = 0;
  std::optional<uint64_t> StoredSize(const ipld::Cid& cid) override = 0;
  bool FetchingAlone(const ipld::Cid& cid) override = 0;
  std::optional<std::chrono::steady_clock::time_point> LastMiss() override = 0;
  virtual bool Has(const ipld::Cid& cid) = 0;

  // Stores a verified block (the importer's path). May evict to stay in quota.
  [[nodiscard]] virtual Status Put(const Block& block) = 0;

  // Blocks stored (Put, CAR import, fetches) while the returned hold lives are
  // not evicted until every hold is released; then the quota applies again.
  // An add or import larger than the quota so keeps its first blocks until
  // its root is pinned. Release holds before destroying the cache.
  [[nodiscard]] virtual std::shared_ptr<void> HoldNewBlocks() = 0;

  // Streams the DAG under `root` as one CAR from the best source, every
  // block verified and stored as it arrives; `done(status, blocks stored)`
  // once it ends, from any thread. kUnsupported at once when offline or
  // without sources. Never blocks.
  virtual void StreamCar(const ipld::Cid& root, PrefetchScope scope, std::function<void(Status, uint64_t)> done) = 0;

  // Pin bookkeeping, the primitives of the recursive pins in dag_tools.h.
  // One pin change at a time (and no gc meanwhile): hold this while walking.
  [[nodiscard]] virtual std::unique_lock<std::mutex> LockPins() = 0;
  // Adds (delta > 0) or removes one pin on a stored block. A block evicted
  // since it was got is stored pinned from `block`; kNotFound when it is
  // neither stored nor given. Reaches the store with the next Flush or root change.
  [[nodiscard]] virtual Status AdjustPin(const ipld::Cid& cid, const Block* block, int delta) = 0;
  // Records `root` as pinned (after its blocks' pins are written) or not.
  [[nodiscard]] virtual Status AddPinnedRoot(const ipld::Cid& root) = 0;
  [[nodiscard]] virtual Status RemovePinnedRoot(const ipld::Cid& root) = 0;
  [[nodiscard]] virtual Result<std::vector<ipld::Cid>> Pins() = 0;

  // Evicts unpinned blocks, least recently used first, until the store holds
  // at most `target_bytes` (default: the quota). Gc(0) drops every unpinned block.
  [[nodiscard]] virtual Result<GcResult> Gc(std::optional<uint64_t> target_bytes = std::nullopt) = 0;

  virtual CacheStats Stats() = 0;

  // Re-hashes every stored block; corrupt ones are deleted.
  [[nodiscard]] virtual Result<VerifyResult> Verify() = 0;

  // Writes batched last-use times to the store.
  [[nodiscard]] virtual Status Flush() = 0;

 protected:
  BlockCache() = default;
};

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_BLOCK_CACHE_H_
