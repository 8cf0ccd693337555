// Node: one decoded block as the filesystem sees it (a UnixFS directory, HAMT
// shard, file, symlink, or a raw block shown as a file).
//
// DecodeNode turns a verified Block into a Node; the Node shares the block's
// bytes (raw leaves) or owns the decoded UnixFS data, never both. Nodes are
// immutable once built and handed around as shared_ptr<const Node>, so any
// thread may read them. IsExposableName is the one rule for which link names
// may ever reach the kernel.
#ifndef IPFSFS_RESOLVER_NODE_H_
#define IPFSFS_RESOLVER_NODE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "blockcache/block.h"
#include "ipld/cid.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"

namespace ipfsfs::resolver {

enum class NodeKind {
  kDirectory,  // UnixFS Directory: links are entries
  kHamtShard,  // UnixFS HAMTShard: links are slot-prefixed entries or sub-shards
  kFile,       // UnixFS File or Raw, or a raw-codec block: inline data then children
  kSymlink,    // UnixFS Symlink: data is the target
};

// What the filesystem needs to show an entry; small enough to remember forever.
struct NodeInfo {
  ipld::Cid cid;
  NodeKind kind = NodeKind::kFile;
  uint64_t size = 0;      // file bytes; symlink target length; 0 for directories
  uint64_t dag_size = 0;  // block size + the Tsize of every link (the DAG's size)
  std::optional<uint32_t> mode;        // UnixFS 1.5 permission bits
  std::optional<ipld::UnixTime> mtime;  // UnixFS 1.5 mtime
  std::string symlink_target;
};

struct Node {
  NodeInfo info;
  // File content stored in this block: [data_offset, data_offset + data_length)
  // of *data (for a raw block, the block's own bytes: no copy).
  std::shared_ptr<const Bytes> data;
  size_t data_offset = 0;
  size_t data_length = 0;
  // Or, for a leaf read unread from the cache (DecodeLeafExtent): the same
  // range of the block in its file, `data` null.
  std::optional<blockcache::BlockExtent> extent;
  // Directory entries, shard links, or file children (in content order).
  std::vector<ipld::PbLink> links;
  // Files: content size under each child link (UnixFS blocksizes).
  std::vector<uint64_t> blocksizes;
  // HAMT shards: fanout and the slot bitfield bytes.
  uint64_t fanout = 0;
  Bytes bitfield;

  ByteSpan inline_data() const {
    if (!data) return {};
    return ByteSpan(*data).subspan(data_offset, data_length);
  }
  bool is_directory() const { return info.kind == NodeKind::kDirectory || info.kind == NodeKind::kHamtShard; }
};

// kUnsupported for codecs other than dag-pb and raw, and for UnixFS Metadata;
// kCorrupt for malformed dag-pb/UnixFS, a file whose blocksizes do not match
// its links or its filesize, or a shard with a bad fanout or hash type.
[[nodiscard]] Result<Node> DecodeNode(const blockcache::Block& block);

// A file leaf whose bytes stay in the cache's file, decoded from its first and
// last bytes alone: a raw block, or the common dag-pb leaf (PBNode with only
// Data; UnixFS File or Raw with Type, Data and a matching filesize, in that
// order). nullopt for anything else, and on a read error: DecodeNode the
// whole block instead (which names what is wrong with it, if anything).
std::optional<Node> DecodeLeafExtent(const ipld::Cid& cid, const blockcache::BlockExtent& extent);

// False for names that must never be shown: empty, ".", "..", or containing
// '/' or NUL. Such links are skipped in listings and never match a lookup.
bool IsExposableName(std::string_view name);

}  // namespace ipfsfs::resolver

#endif  // IPFSFS_RESOLVER_NODE_H_
