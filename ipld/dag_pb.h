// dag-pb: the protobuf node format under UnixFS (ipld/ipld specs/codecs/dag-pb/spec.md).
//
//   message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
//   message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
//
// The decoder is strict as the spec demands: PBLink fields only in order 1,2,3,
// each at most once, Hash required and a valid CID; PBNode fields Links and Data
// in either order but Data at most once and no Links after Data-then-Links
// interleaving; no unknown fields; wire types exact. The encoder writes the
// canonical form: links first (in the given order), then Data. Round-trip of
// canonical bytes is byte-identical.
#ifndef IPFSFS_IPLD_DAG_PB_H_
#define IPFSFS_IPLD_DAG_PB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/cid.h"

namespace ipfsfs::ipld {

struct PbLink {
  Cid hash;
  std::optional<std::string> name;  // raw bytes of the name; UnixFS writers always set it
  std::optional<uint64_t> tsize;    // cumulative size of the target DAG
  friend bool operator==(const PbLink&, const PbLink&) = default;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<Bytes> data;
  friend bool operator==(const PbNode&, const PbNode&) = default;
};

// kCorrupt with a message naming the violated rule.
[[nodiscard]] Result<PbNode> DecodePbNode(ByteSpan block);
Bytes EncodePbNode(const PbNode& node);

// Encoded size of a link entry inside a PBNode (tag + length + body); used by
// the importer's block-size HAMT estimate.
size_t EncodedPbLinkSize(const PbLink& link);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_DAG_PB_H_
