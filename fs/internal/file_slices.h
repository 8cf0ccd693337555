// A FileReader's slices as a read's reply, shared by the trees that serve
// IPFS files (ipfs/, and staging/'s placeholders): memory slices as they
// are, a cached leaf's file range as a descriptor range to splice. Internal
// to fs/.
#ifndef IPFSFS_FS_INTERNAL_FILE_SLICES_H_
#define IPFSFS_FS_INTERNAL_FILE_SLICES_H_

#include <utility>
#include <vector>

#include "fs/types.h"
#include "resolver/file_reader.h"

namespace ipfsfs::fs {

inline ReadReply ToReadReply(std::vector<resolver::Slice>& slices) {
  ReadReply reply;
  reply.slices.reserve(slices.size());
  for (auto& s : slices) {
    if (s.extent) {
      reply.slices.push_back(ReadSlice{std::move(s.extent->owner), nullptr, s.length, s.extent->fd,
                                       s.extent->offset + s.offset});
    } else {
      reply.slices.push_back(ReadSlice{s.owner, s.owner->data() + s.offset, s.length});
    }
  }
  return reply;
}

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_INTERNAL_FILE_SLICES_H_
