// CarFileSink: writes the imported blocks as a CARv1 file (`--car OUT.car`).
//
// Blocks stream to OUT.car.tmp behind a header reserved for roots of a
// predicted CID length; Finish writes the real header in place (or, when the
// roots' length differs, e.g. an inline root, copies the sections behind a
// new header in the kernel) and renames the file to OUT.car. Until then
// nothing is at OUT.car, and a sink destroyed without Finish removes its
// temporary file. Each block is written once (duplicates are skipped).
// Not thread-safe (the importer calls it from one thread).
#ifndef IPFSFS_WRITEBACK_CAR_SINK_H_
#define IPFSFS_WRITEBACK_CAR_SINK_H_

#include <memory>
#include <string>
#include <unordered_set>

#include "writeback/block_sink.h"

namespace ipfsfs::writeback {

class CarFileSink : public BlockSink {
 public:
  // `roots` roots of `root_cid_length` bytes each are expected (34 for CIDv0,
  // 36 for CIDv1 with sha2-256). kUnavailable when the file cannot be created.
  [[nodiscard]] static Result<std::unique_ptr<CarFileSink>> Create(const std::string& path, size_t roots,
                                                                   size_t root_cid_length);
  ~CarFileSink() override;

  using BlockSink::Put;
  [[nodiscard]] Status Put(const ipld::Cid& cid, std::span<const ByteSpan> parts) override;
  [[nodiscard]] Status Finish(const std::vector<ipld::Cid>& roots) override;

  uint64_t blocks() const { return blocks_; }

 private:
  CarFileSink(std::string path, int fd, size_t header_length);
  [[nodiscard]] Status Write(ByteSpan bytes);
  [[nodiscard]] Status Flush();

  std::string path_;
  std::string temp_;
  int fd_;
  size_t header_length_;
  uint64_t offset_ = 0;  // file offset where the buffer starts
  Bytes buffer_;
  std::unordered_set<std::string> written_;  // multihash digests already in the file
  uint64_t blocks_ = 0;
  bool finished_ = false;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_CAR_SINK_H_
