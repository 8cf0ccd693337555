// Content-defined chunkers (rabin, buzhash) and the read window they share.
// Internal to writeback/: use MakeChunker (chunker.h).
#ifndef IPFSFS_WRITEBACK_INTERNAL_CDC_CHUNKER_H_
#define IPFSFS_WRITEBACK_INTERNAL_CDC_CHUNKER_H_

#include <cstdint>
#include <memory>

#include "writeback/chunker.h"

namespace ipfsfs::writeback::internal {

// `min` < 16 is boxo's degenerate case: the whole input is one chunk.
std::unique_ptr<Chunker> MakeRabinChunker(ByteSource& source, uint64_t min, uint64_t avg, uint64_t max);
std::unique_ptr<Chunker> MakeBuzhashChunker(ByteSource& source);

// The buzhash byte table (kubo-add.md §2.4), exposed for its checksum test.
extern const uint32_t kBuzhashTable[256];

}  // namespace ipfsfs::writeback::internal

#endif  // IPFSFS_WRITEBACK_INTERNAL_CDC_CHUNKER_H_
