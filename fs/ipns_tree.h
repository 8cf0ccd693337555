// IpnsTree: ipns/<name>/... — the content an IPNS key or DNSLink domain
// points at now. A top-level lookup resolves the name through
// resolver::Names, then walks the value's /ipfs/<cid>/path with an IpfsTree,
// which serves everything below (reads, listings, xattrs): this tree adds
// only the moving root. The root entry's timeouts are the name's remaining
// TTL (0 once stale, so the next access asks again), and a name whose value
// moved answers a node of another identity: the kernel gets a fresh inode
// (TreeNode::SameIdentity) and shows the new content, while files opened
// before keep reading the old one. `ls ipns/` lists the names resolved so far.
// Names that fail: not found, forged, expired, a loop → a negative entry
// (ENOENT) and one log line with the cause; sources unreachable → the error
// (EIO), in the sources' bounded time.
//
// Thread-safe; Names outlives the tree; the IpfsTree is the tree's own.
#ifndef IPFSFS_FS_IPNS_TREE_H_
#define IPFSFS_FS_IPNS_TREE_H_

#include <chrono>
#include <functional>
#include <memory>

#include "fs/ipfs_tree.h"
#include "fs/tree.h"
#include "resolver/names.h"

namespace ipfsfs::fs {

struct IpnsTreeOptions {
  // How long a name that failed stays negative in the kernel.
  double negative_timeout = 1.0;
  // The clock Names uses (tests share a fake one).
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
};

class IpnsTree : public Tree {
 public:
  IpnsTree(resolver::Names& names, std::unique_ptr<IpfsTree> content, IpnsTreeOptions options = {});

  std::string_view name() const override { return "ipns"; }
  void Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) override;
  void ReadLink(const TreeNodePtr& node, Callback<std::string> done) override;
  void Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) override;
  void Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) override;
  void Release(const TreeHandlePtr& file) override;
  void OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) override;
  void ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max, Callback<std::vector<TreeDirEntry>> done) override;
  void ReleaseDir(const TreeHandlePtr& dir) override;
  // The IpfsTree's user.ipfs.* (on a name: its current root) plus, on a name,
  // user.ipns.sequence and user.ipns.validity (IPNS keys only).
  void GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) override;
  void ListXattr(const TreeNodePtr& node, Callback<std::vector<std::string>> done) override;

 private:
  void Walk(TreeEntry at, std::vector<std::string> rest, Callback<TreeEntry> done);

  resolver::Names& names_;
  const std::unique_ptr<IpfsTree> content_;
  const IpnsTreeOptions options_;
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_IPNS_TREE_H_
