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
  // GetNodeAhead: how long a block waits for its head CAR before it is asked
  // for alone, and the most bytes a head CAR may bring (a HAMT's shards).
  std::chrono::milliseconds head_patience{3000};
  uint64_t head_max_bytes = 4u << 20;
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
  // GetNode, or GetExpectedNode with a patience, for a file's child as a
  // FileReader that splices reads asks for it: a leaf the cache keeps on disk
  // comes with its bytes unread, as their file range (Node::extent);
  // `ahead` (a prefetch): the kernel starts reading them now.
  void GetFileChild(const ipld::Cid& cid, std::optional<std::chrono::milliseconds> patience, bool ahead,
                    NodeCallback done) const;

  // GetNode for a path step that is likely read next (a lookup): when the block
  // is neither cached nor being fetched, asks for it as one CAR with what comes
  // first below it (BlockGetter::PrefetchHead: a file's bytes [0, head)), so
  // the lookup and the first read cost one round trip. head 0: GetNode.
  void GetNodeAhead(const ipld::Cid& cid, uint64_t head, NodeCallback done) const;
  // Bytes [0, n) of file `root` are coming in a head CAR now (0: none): a
  // reader waits for their blocks instead of asking for them again.
  uint64_t HeadInFlight(const ipld::Cid& root) const;

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
