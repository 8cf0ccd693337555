// Importer: files and directory trees -> UnixFS DAGs exactly as `ipfs add`
// builds them (kubo-add.md), every block handed to a BlockSink.
//
// AddPaths walks the local filesystem the way kubo does (§6): symlinks are
// stored, not followed (unless dereference_args / dereference_symlinks);
// dotfiles and names the ignore rules exclude are left out below the given
// paths unless `hidden`; empty directories are kept unless empty_dirs is
// false (a directory left empty by that is dropped too); -w wraps the
// arguments. It reports
// every entry in kubo's output order (files and symlinks as they are added,
// then directories deepest first, the argument's root last). AddStream imports
// one byte stream. Files are streamed; memory stays bounded whatever their
// size. The sink's Finish is left to the caller. One call at a time.
#ifndef IPFSFS_WRITEBACK_IMPORTER_H_
#define IPFSFS_WRITEBACK_IMPORTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "ipld/cid.h"
#include "writeback/block_sink.h"
#include "writeback/chunker.h"
#include "writeback/directory_builder.h"
#include "writeback/file_builder.h"
#include "writeback/ignore_rules.h"
#include "writeback/import_options.h"

struct stat;

namespace ipfsfs::writeback {

// The UnixFS metadata `ipfs add` records for an entry with this stat: the
// mode and mtime the options set or preserve. Shared by the importer and the
// Syncer, whose roots must stay equal.
internal::Metadata EntryMetadata(const ImportOptions& options, const struct stat& st);

// One `added <cid> <path>` line: `path` as kubo prints it (the argument's base
// name, then names below it joined with '/'; "" for the -w wrapper).
struct AddedEntry {
  std::string path;
  ipld::Cid cid;
  uint64_t tsize = 0;
  bool directory = false;
};
using AddedCallback = std::function<void(const AddedEntry&)>;

class Importer {
 public:
  // kInvalidArgument for options ResolveOptions rejects. `sink` must outlive
  // the importer.
  [[nodiscard]] static Result<std::unique_ptr<Importer>> Create(const ImportOptions& options, BlockSink& sink);
  ~Importer();

  // One stream as a file, without metadata.
  [[nodiscard]] Result<DagRef> AddStream(ByteSource& source);

  // The paths as `ipfs add [-r] [-w]` takes them. Returns one root per path,
  // or the wrapper alone with wrap. Errors name the offending path:
  // "<path>: <why>" (unreadable, changed while read, special file, a directory
  // without `recursive`).
  [[nodiscard]] Result<std::vector<DagRef>> AddPaths(const std::vector<std::string>& paths, bool recursive,
                                                     const AddedCallback& added);

  const ResolvedOptions& options() const { return options_; }

  // Called on the importing thread with the count of file bytes just read
  // (progress lines); unset by default.
  void SetReadProgress(std::function<void(uint64_t)> progress) { read_progress_ = std::move(progress); }

 private:
  Importer(ResolvedOptions options, IgnoreRules ignore, BlockSink& sink);
  struct Walk;
  [[nodiscard]] Result<DagRef> AddNode(Walk& walk, const std::string& fs_path, const std::string& shown,
                                       bool top);

  ResolvedOptions options_;
  IgnoreRules ignore_;
  std::function<void(uint64_t)> read_progress_;
  BlockSink& sink_;
  std::unique_ptr<blockcache::WorkerPool> pool_;
  std::unique_ptr<FileBuilder> files_;
  std::unique_ptr<DirectoryBuilder> dirs_;
};

// kubo's name for a command-line argument: its base name, trailing slashes
// ignored ("a/b/" -> "b"; "." -> the base name of the working directory).
std::string ArgumentName(const std::string& path);

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_IMPORTER_H_
