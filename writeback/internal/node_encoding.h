// Exact kubo encodings of the nodes the importer writes (kubo-add.md §3.4,
// §4, §5) and the CID policy that names them (§1, §3.6).
//
// dag-pb links first (Hash, Name always, Tsize always), then the UnixFS Data
// message with fields in number order. Leaves are framed, not copied: the
// caller gets the bytes that go before and after the chunk. Pure functions;
// CidMaker is immutable and thread-safe.
#ifndef IPFSFS_WRITEBACK_INTERNAL_NODE_ENCODING_H_
#define IPFSFS_WRITEBACK_INTERNAL_NODE_ENCODING_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "ipld/cid.h"
#include "ipld/unixfs.h"

namespace ipfsfs::writeback::internal {

// UnixFS 1.5 metadata for a file root, directory or symlink.
struct Metadata {
  std::optional<uint32_t> mode;         // permission bits; never on symlinks
  std::optional<ipld::UnixTime> mtime;
  bool empty() const { return !mode && !mtime; }
};

// A dag-pb link as written: names and CIDs are views, valid during the call.
struct LinkRef {
  const ipld::Cid* cid = nullptr;
  std::string_view name;
  uint64_t tsize = 0;
};

// Framing around a leaf's chunk: block = prefix + chunk + suffix.
struct LeafFraming {
  uint8_t prefix[24];
  size_t prefix_len = 0;
  Bytes suffix;
};

// dag-pb leaf of `chunk_len` bytes, UnixFS type File (balanced) or Raw
// (trickle), optionally with metadata (a one-chunk file's root). A zero-length
// chunk has no Data field (the empty file: `08 02 18 00`).
LeafFraming FrameLeaf(ipld::UnixfsType type, uint64_t chunk_len, const Metadata& meta);

// Internal file node: Type File, filesize, one blocksize per link.
Bytes EncodeFileNode(std::span<const LinkRef> links, std::span<const uint64_t> blocksizes,
                     const Metadata& meta);
// Basic directory: links must already be sorted by name bytes.
Bytes EncodeDirectory(std::span<const LinkRef> links, const Metadata& meta);
Bytes EncodeSymlink(std::string_view target, const Metadata& meta);
Bytes EncodeHamtShard(std::span<const LinkRef> links, ByteSpan bitfield, uint64_t fanout,
                      const Metadata& meta);

// Size the basic directory would have (the `block` HAMT estimate, §4.2):
// the node's Data field plus one encoded link per entry.
size_t DirectoryDataFieldSize(const Metadata& meta);
size_t EncodedLinkSize(size_t cid_len, size_t name_len, uint64_t tsize);

// How blocks are named: `hash` (sha2-256 unless --hash); dag-pb nodes under the run's CID version,
// raw blocks always CIDv1; with inlining, blocks up to `inline_limit` bytes
// get an identity CID v1 of their own codec.
struct CidMaker {
  int version = 0;
  uint64_t hash = 0x12;  // any code ipld::Multihash::Sum computes
  bool inline_blocks = false;
  size_t inline_limit = 32;

  // `parts` concatenated are the block.
  ipld::Cid Make(ipld::Codec codec, std::span<const ByteSpan> parts) const;
  ipld::Cid Make(ipld::Codec codec, ByteSpan block) const { return Make(codec, std::span(&block, 1)); }
};

}  // namespace ipfsfs::writeback::internal

#endif  // IPFSFS_WRITEBACK_INTERNAL_NODE_ENCODING_H_
