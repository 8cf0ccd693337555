// A BlockSink that keeps every block in memory, for tests.
#ifndef IPFSFS_TESTS_WRITEBACK_MEMORY_SINK_H_
#define IPFSFS_TESTS_WRITEBACK_MEMORY_SINK_H_

#include <map>
#include <string>

#include "writeback/block_sink.h"

namespace ipfsfs::testing {

class MemorySink : public writeback::BlockSink {
 public:
  using BlockSink::Put;
  [[nodiscard]] Status Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) override {
    Bytes block;
    for (ByteSpan p : parts) Append(block, p);
    blocks[cid.ToString()] = std::move(block);
    ++puts;
    return OkStatus();
  }
  [[nodiscard]] Status Finish(const std::vector<ipld::Cid>& r) override {
    roots = r;
    return OkStatus();
  }
  std::map<std::string, Bytes> blocks;
  std::vector<ipld::Cid> roots;
  size_t puts = 0;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_WRITEBACK_MEMORY_SINK_H_
