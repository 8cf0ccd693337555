// FileBuilder: one file's bytes -> its UnixFS DAG, block by block into a sink.
//
// Streams: the chunker reads ahead at most ImportOptions::max_in_flight_bytes
// while leaves are hashed on the pool's threads; leaves, internal nodes and the
// root reach the sink in order from the calling thread. Layouts and encodings
// are kubo's (kubo-add.md §3). One Build at a time per FileBuilder.
#ifndef IPFSFS_WRITEBACK_FILE_BUILDER_H_
#define IPFSFS_WRITEBACK_FILE_BUILDER_H_

#include <cstdint>

#include "base/result.h"
#include "ipld/cid.h"
#include "writeback/block_sink.h"
#include "writeback/chunker.h"
#include "writeback/import_options.h"
#include "writeback/internal/node_encoding.h"
#include "blockcache/executor.h"

namespace ipfsfs::writeback {

// What a parent needs to link to a DAG: its root, cumulative size (Tsize) and
// the number of content bytes below it.
struct DagRef {
  ipld::Cid cid;
  uint64_t tsize = 0;
  uint64_t size = 0;
};

class FileBuilder {
 public:
  // All references must outlive the builder.
  FileBuilder(const ResolvedOptions& options, BlockSink& sink, blockcache::WorkerPool& pool);

  // `meta` goes on the file's root only (mode/mtime, §5).
  [[nodiscard]] Result<DagRef> Build(ByteSource& source, const internal::Metadata& meta);

  const internal::CidMaker& cid_maker() const { return cids_; }

 private:
  const ResolvedOptions& options_;
  BlockSink& sink_;
  blockcache::WorkerPool& pool_;
  internal::CidMaker cids_;
};

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_FILE_BUILDER_H_
