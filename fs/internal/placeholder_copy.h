// CopyPlaceholder: writes a staged file's bytes, read through a FileReader,
// into its placeholder's backing file in place (same inode, so descriptors
// the tree holds stay valid), fsyncs it, keeps its mtime, then removes the
// mark: in that order, so a crash leaves a placeholder or a whole file, never
// zeros taken for content. Asynchronous: `done` runs once, on the caller's
// thread or a block layer thread; reads answered from the cache are pumped in
// a loop, not by recursion. Thread-safe per call; the caller keeps two copies
// of one file from running at once.
#ifndef IPFSFS_FS_INTERNAL_PLACEHOLDER_COPY_H_
#define IPFSFS_FS_INTERNAL_PLACEHOLDER_COPY_H_

#include <functional>
#include <memory>

#include "base/result.h"
#include "resolver/file_reader.h"

namespace ipfsfs::fs::internal {

// `fd`: the backing file, open read-write; closed when the copy ends.
void CopyPlaceholder(std::shared_ptr<resolver::FileReader> reader, int fd, std::function<void(Status)> done);

}  // namespace ipfsfs::fs::internal

#endif  // IPFSFS_FS_INTERNAL_PLACEHOLDER_COPY_H_
