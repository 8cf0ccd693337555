// IpfsTree: ipfs/<cid>/... — immutable UnixFS content by CID, in any text form
// (v0, v1, any multibase), and everything IPFS-specific the mount shows: CID
// parsing, the user.ipfs.cid/codec/size xattrs, file readers and directory
// streams behind handles, warming listed children, and the caching that
// immutability allows (long timeouts, keep_cache, cached negatives inside
// directories). Top-level names that are not CIDs do not exist; the top
// directory lists the pinned roots given by the options.
//
// Thread-safe; the Resolver outlives the tree; the destructor waits for
// warming fetches in flight.
#ifndef IPFSFS_FS_IPFS_TREE_H_
#define IPFSFS_FS_IPFS_TREE_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "fs/tree.h"
#include "fs/warmer.h"
#include "ipld/cid.h"
#include "resolver/directory_stream.h"
#include "resolver/file_reader.h"
#include "resolver/resolver.h"

namespace ipfsfs::fs {

struct IpfsTreeOptions {
  // Kernel cache lifetime of names and attributes (the mount's --attr-timeout).
  double attr_timeout = 24 * 3600.0;
  // How long "no such CID" at the top is cached: a CID missing now may be
  // reachable later, unlike a name missing from an immutable directory.
  double top_negative_timeout = 1.0;
  // The CIDs `ls ipfs/` shows (the cache's pinned roots); none when unset.
  std::function<std::vector<ipld::Cid>()> pinned_roots;
  // Background fetches of listed children's root blocks.
  size_t warm_in_flight = 32;
  size_t warm_queue = 100'000;
  // A cold name's lookup asks for its first bytes with it, in one request
  // (Resolver::GetNodeAhead): a file's first read then waits for no other
  // round trip. 0: the block alone.
  uint64_t lookup_head = 1u << 20;
  resolver::FileReaderOptions reader;
  resolver::DirectoryStreamOptions listing;
};

class IpfsTree : public Tree {
 public:
  IpfsTree(resolver::Resolver& resolver, IpfsTreeOptions options = {});

  std::string_view name() const override { return "ipfs"; }
  void Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) override;
  void ReadLink(const TreeNodePtr& node, Callback<std::string> done) override;
  void Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) override;
  void Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) override;
  void OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) override;
  void ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max, Callback<std::vector<TreeDirEntry>> done) override;
  // user.ipfs.cid, user.ipfs.codec, user.ipfs.size.
  void GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) override;
  void ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done) override;

  // Warming fetches running now.
  size_t warm_in_flight() const { return warmer_.in_flight(); }

 private:
  TreeEntry MakeEntry(const resolver::NodeInfo& info) const;
  TreeEntry Negative(double timeout) const;
  // A listed name: whole when its block answers at once, else bare (and warmed).
  TreeDirEntry Listed(const TreeHandle& dir, std::string name, const std::optional<ipld::Cid>& cid);
  // Entries whose root blocks a CAR in flight brings: answered once they came.
  void ListedWhole(const TreeHandlePtr& dir, std::vector<resolver::DirEntry> entries,
                   std::chrono::milliseconds patience, const Callback<std::vector<TreeDirEntry>>& done);

  resolver::Resolver& resolver_;
  const IpfsTreeOptions options_;
  Warmer warmer_;
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_IPFS_TREE_H_
