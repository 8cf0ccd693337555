// Tree: one top-level directory of the mount (ipfs/ now; ipns/ and staging/
// later) as the Filesystem sees it.
//
// The Filesystem owns inodes, handles and replies; a Tree only says what its
// names resolve to and how long the kernel may cache them. Implementations are
// thread-safe and asynchronous (callbacks may run on any thread, possibly
// before the call returns).
#ifndef IPFSFS_FS_TREE_H_
#define IPFSFS_FS_TREE_H_

#include <string>
#include <string_view>
#include <vector>

#include "resolver/node.h"
#include "resolver/resolver.h"

namespace ipfsfs::fs {

// How mutable a tree is, as kernel cache lifetimes (libfuse passthrough's
// cache=always for immutable content).
struct TreeCaching {
  double entry_timeout = 0;     // seconds a name -> inode answer may be cached
  double attr_timeout = 0;      // seconds attributes may be cached
  double negative_timeout = 0;  // seconds "no such name" inside a directory may be cached
  double top_negative_timeout = 0;  // the same for names of the top directory
  bool keep_cache = false;      // page cache survives close/open
  bool cache_readdir = false;   // the kernel may cache listings
};

class Tree {
 public:
  virtual ~Tree() = default;

  virtual std::string_view name() const = 0;
  virtual TreeCaching caching() const = 0;
  virtual resolver::Resolver& resolver() = 0;

  // A child of the top directory by name. kNotFound when the name cannot
  // exist; other errors when it could not be fetched.
  virtual void LookupTop(std::string name, resolver::NodeCallback done) = 0;
  // The names the top directory lists.
  virtual std::vector<std::string> ListTop() = 0;
  // The node behind an entry already resolved once (to list or open it).
  virtual void GetNode(const resolver::NodeInfo& info, resolver::NodeCallback done) = 0;
  // `name` in directory `dir`: kNotFound only when the directory has no such
  // name (a cacheable negative); a child that cannot be fetched is an error
  // of another code.
  virtual void Lookup(resolver::NodePtr dir, std::string name, resolver::NodeCallback done) = 0;
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_TREE_H_
