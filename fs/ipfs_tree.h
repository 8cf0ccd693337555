// IpfsTree: ipfs/<cid>/... — immutable UnixFS content by CID, in any text form
// (v0, v1, any multibase). Everything may be cached by the kernel forever
// (long timeouts, keep_cache, cached negatives inside directories). Top-level
// names that are not CIDs do not exist; the top directory lists the pinned
// roots given by the options. Thread-safe; the Resolver outlives the tree.
#ifndef IPFSFS_FS_IPFS_TREE_H_
#define IPFSFS_FS_IPFS_TREE_H_

#include <functional>
#include <vector>

#include "fs/tree.h"
#include "ipld/cid.h"

namespace ipfsfs::fs {

struct IpfsTreeOptions {
  // Kernel cache lifetime of names and attributes (the mount's --attr-timeout).
  double attr_timeout = 24 * 3600.0;
  // How long "no such CID" at the top is cached: a CID missing now may be
  // reachable later, unlike a name missing from an immutable directory.
  double top_negative_timeout = 1.0;
  // The CIDs `ls ipfs/` shows (the cache's pinned roots); none when unset.
  std::function<std::vector<ipld::Cid>()> pinned_roots;
};

class IpfsTree : public Tree {
 public:
  IpfsTree(resolver::Resolver& resolver, IpfsTreeOptions options = {});

  std::string_view name() const override { return "ipfs"; }
  TreeCaching caching() const override;
  resolver::Resolver& resolver() override { return resolver_; }
  void LookupTop(std::string name, resolver::NodeCallback done) override;
  std::vector<std::string> ListTop() override;
  void GetNode(const resolver::NodeInfo& info, resolver::NodeCallback done) override;
  void Lookup(resolver::NodePtr dir, std::string name, resolver::NodeCallback done) override;

 private:
  resolver::Resolver& resolver_;
  const IpfsTreeOptions options_;
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_IPFS_TREE_H_
