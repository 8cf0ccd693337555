// BlockSink: where the importer puts every block it makes.
//
// The importer calls Put from one thread at a time, in an order where a block
// may come before or after the blocks it links to. `parts` concatenated are
// the block (a leaf arrives as framing + chunk + framing, never copied); the
// views are valid only during the call. Identity-CID blocks (--inline) are
// never Put: their CID carries them. Finish is called once after the last
// block with the roots of the import; a sink that is dropped without Finish
// must leave nothing half-written behind.
#ifndef IPFSFS_WRITEBACK_BLOCK_SINK_H_
#define IPFSFS_WRITEBACK_BLOCK_SINK_H_

#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::writeback {

class BlockSink {
 public:
  virtual ~BlockSink() = default;
  [[nodiscard]] virtual Status Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) = 0;
  [[nodiscard]] virtual Status Finish(const std::vector<ipld::Cid>& roots) = 0;

  [[nodiscard]] Status Put(const ipld::Cid& cid, ByteSpan block) { return Put(cid, std::span(&block, 1)); }
};

// --only-hash: keeps nothing.
class NullSink : public BlockSink {
 public:
  using BlockSink::Put;
  [[nodiscard]] Status Put(const ipld::Cid&, std::span<const ByteSpan>) override { return OkStatus(); }
  [[nodiscard]] Status Finish(const std::vector<ipld::Cid>&) override { return OkStatus(); }
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_BLOCK_SINK_H_
