// StagedMark: what `ipfsfs stage` leaves on a placeholder in the staging
// directory, so the tree and the Syncer know its bytes are not local.
//
// A staged file is a sparse file of its exact size; a staged directory a real
// one. Each carries the xattr `user.ipfsfs.staged` = "v1 <cid> <tsize>
// <size>" (files) or "v1 <cid> <tsize> d<fingerprint hex>" (directories).
// The mark lives on the inode rather than in an index keyed by it: it moves
// with rename and link, survives a kill -9 of the mount and a copy of the
// staging dir with `cp -a`, and needs no bookkeeping when the file is
// deleted. A file's mark counts only while the file still has the size it
// names (a truncate that a crash cut short leaves no false placeholder); a
// directory's only while its entries still give the fingerprint it names
// (StagedFingerprint: names with their CIDs and Tsizes, symlinks by target),
// so an edited subtree is built anew with the mount's options and an
// untouched one keeps its original CID, whatever options made it.
//
// Pure functions and two small syscalls (getxattr on a path or descriptor);
// thread-safe.
#ifndef IPFSFS_WRITEBACK_STAGED_MARK_H_
#define IPFSFS_WRITEBACK_STAGED_MARK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::writeback {

// The private xattr; the staging tree hides it from users.
inline constexpr std::string_view kStagedXattr = "user.ipfsfs.staged";
// Every xattr under this prefix is ipfsfs's own.
inline constexpr std::string_view kPrivateXattrPrefix = "user.ipfsfs.";

struct StagedMark {
  ipld::Cid cid;
  uint64_t tsize = 0;  // the DAG's size, as a parent link names it
  uint64_t size = 0;   // files: content bytes
  bool directory = false;
  std::string fingerprint;  // directories: StagedFingerprint of the entries (raw bytes)
};

// One entry of a staged directory as the fingerprint sees it.
struct StagedChild {
  std::string name;
  std::optional<ipld::Cid> cid;  // unset for a symlink
  uint64_t tsize = 0;
  std::string symlink_target;
};

std::string EncodeStagedMark(const StagedMark& mark);
[[nodiscard]] Result<StagedMark> DecodeStagedMark(std::string_view text);

// sha256 over the entries sorted by name. Symlinks count by target, since
// a sync rebuilds them with the mount's options.
std::string StagedFingerprint(std::vector<StagedChild> children);

// The mark on `path` (not followed when a symlink) or open descriptor `fd`;
// nullopt when there is none or it does not decode.
std::optional<StagedMark> ReadStagedMark(const std::string& path);
std::optional<StagedMark> ReadStagedMarkFd(int fd);

}  // namespace ipfsfs::writeback

#endif  // IPFSFS_WRITEBACK_STAGED_MARK_H_
