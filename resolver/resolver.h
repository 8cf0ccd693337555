// Resolver: CIDs and paths to decoded nodes, over a BlockGetter.
//
// GetNode fetches and decodes one block (directories, shards and internal file
// nodes are kept in a small LRU of decoded nodes; data-bearing leaves are not).
// Lookup finds one name in a plain directory or a HAMT shard, walking only the
// shards on the name's hash path. ResolvePath chains lookups for
// "/ipfs/<cid>/a/b". Every call is asynchronous: `done` runs exactly once, on
// the caller's thread (cache hit) or a block layer thread; nothing here blocks.
// Thread-safe. A Resolver is a handle: copies share one node cache, and
// callbacks keep that state alive, so a callback arriving after the Resolver
// is gone is harmless. The BlockGetter must outlive every callback.
#ifndef IPFSFS_RESOLVER_RESOLVER_H_
#define IPFSFS_RESOLVER_RESOLVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "blockcache/block_getter.h"
#include "ipld/cid.h"
#include "resolver/node.h"

namespace ipfsfs::resolver {

using NodePtr = std::shared_ptr<const Node>;
using NodeCallback = std::function<void(Result<NodePtr>)>;
using CidCallback = std::function<void(Result<ipld::Cid>)>;

struct ResolverOptions {
  // Decoded nodes without file data (directories, shards, internal file nodes,
  // symlinks) kept for repeated lookups.
  size_t node_cache_entries = 8192;
  // Nodes whose inline data is at most this many bytes are cached too.
  size_t node_cache_max_inline = 4096;
};

class Resolver {
 public:
  explicit Resolver(blockcache::BlockGetter& getter, ResolverOptions options = {});

  blockcache::BlockGetter& getter() const;

  // Fetches and decodes `cid` (identity CIDs need no fetch).
  void GetNode(const ipld::Cid& cid, NodeCallback done) const;
  // The same for a block a ranged CAR in flight should bring
  // (BlockGetter::GetExpected): a miss waits up to `patience` for it.
  void GetExpectedNode(const ipld::Cid& cid, std::chrono::milliseconds patience, NodeCallback done) const;

  // The CID linked under `name` in directory or shard `dir`. kNotFound when
  // absent or not an exposable name; kInvalidArgument when `dir` is not a
  // directory; shard errors as GetNode.
  void FindChild(NodePtr dir, std::string name, CidCallback done) const;
  // FindChild, then GetNode.
  void Lookup(NodePtr dir, std::string name, NodeCallback done) const;

  // "/ipfs/<cid>/a/b", "ipfs/<cid>/a", or "<cid>/a/b". kInvalidArgument for a
  // bad CID or a ".." component; kNotFound for a missing name or a path
  // through a file.
  void ResolvePath(std::string_view path, NodeCallback done) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_RESOLVER_H_
