// Memory tier: a Store decorator that keeps the bytes of recently used blocks
// in memory, so a repeated get costs neither a disk read nor (without
// hash_on_read) a hash.
//
// Wraps and owns another Store. Bytes read from it (GetData) or written
// through it (Put, PutShared) are kept, most recently used first, up to
// `bytes`; Delete drops them from memory too, so the tier never serves a block
// its store no longer holds. Everything else passes through. Thread-safe: its
// own mutex guards the LRU, never held while calling the inner store.
#ifndef IPFSFS_BLOCKCACHE_MEMORY_TIER_H_
#define IPFSFS_BLOCKCACHE_MEMORY_TIER_H_

#include <cstdint>
#include <memory>

#include "blockcache/store.h"

namespace ipfsfs::blockcache {

// `bytes` 0 returns `inner` itself.
std::unique_ptr<Store> NewMemoryTier(std::unique_ptr<Store> inner, uint64_t bytes);

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_MEMORY_TIER_H_
