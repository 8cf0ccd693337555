// Implementation of ipld/dag_pb.h.
//
// The decoder reads each tag itself and checks field number and wire type
// before touching the payload, so every rejection names the dag-pb rule it
// breaks (ipld/ipld specs/codecs/dag-pb/spec.md "Protobuf Strictness").
#include "ipld/dag_pb.h"

#include <string>
#include <string_view>

#include "ipld/varint.h"

namespace ipfsfs::ipld {
namespace {

// Tags of the canonical form: field << 3 | wire type.
constexpr std::byte kTagNodeData{0x0a};   // PBNode.Data, bytes
constexpr std::byte kTagNodeLinks{0x12};  // PBNode.Links, message
constexpr std::byte kTagLinkHash{0x0a};   // PBLink.Hash, bytes
constexpr std::byte kTagLinkName{0x12};   // PBLink.Name, string
constexpr std::byte kTagLinkTsize{0x18};  // PBLink.Tsize, varint

constexpr unsigned kWireVarint = 0;
constexpr unsigned kWireBytes = 2;

tl::unexpected<Error> Corrupt(std::string message) {
  return MakeError(ErrorCode::kCorrupt, "dag-pb: " + std::move(message));
}

struct Tag {
  uint64_t field = 0;
  unsigned wire = 0;
};

Result<Tag> ReadTag(ByteSpan& in, std::string_view message_name) {
  auto tag = ReadProtobufVarint(in);
  if (!tag) return Corrupt("bad field tag in " + std::string(message_name) + ": " + tag.error().message);
  return Tag{*tag >> 3, static_cast<unsigned>(*tag & 7)};
}

Status CheckWire(const Tag& tag, unsigned want, std::string_view where) {
  if (tag.wire == want) return OkStatus();
  return Corrupt("wrong wire type " + std::to_string(tag.wire) + " for " + std::string(where) + " (expected " +
                 std::to_string(want) + ")");
}

// A length-delimited payload, after its tag.
Result<ByteSpan> ReadLengthDelimited(ByteSpan& in, std::string_view where) {
  auto length = ReadProtobufVarint(in);
  if (!length) return Corrupt("bad length of " + std::string(where) + ": " + length.error().message);
  if (*length > in.size()) {
    return Corrupt("length " + std::to_string(*length) + " of " + std::string(where) + " runs past the end (" +
                   std::to_string(in.size()) + " bytes left)");
  }
  ByteSpan payload = in.first(static_cast<size_t>(*length));
  in = in.subspan(static_cast<size_t>(*length));
  return payload;
}

// PBLink fields come only in the order Hash, Name, Tsize, each at most once. A
// missing Hash is reported at the end unless a Hash turns up out of order.
Result<PbLink> DecodeLink(ByteSpan in) {
  bool has_hash = false;
  PbLink link;
  while (!in.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(Tag tag, ReadTag(in, "PBLink"));
    switch (tag.field) {
      case 1: {
        IPFSFS_RETURN_IF_ERROR(CheckWire(tag, kWireBytes, "PBLink Hash"));
        if (has_hash) return Corrupt("duplicate Hash in link");
        if (link.name) return Corrupt("Name before Hash in link");
        if (link.tsize) return Corrupt("Tsize before Hash in link");
        IPFSFS_ASSIGN_OR_RETURN(ByteSpan bytes, ReadLengthDelimited(in, "PBLink Hash"));
        auto cid = Cid::FromBytes(bytes);
        if (!cid) return Corrupt("link Hash is not a CID: " + cid.error().message);
        link.hash = std::move(*cid);
        has_hash = true;
        break;
      }
      case 2: {
        IPFSFS_RETURN_IF_ERROR(CheckWire(tag, kWireBytes, "PBLink Name"));
        if (link.name) return Corrupt("duplicate Name in link");
        if (link.tsize) return Corrupt("Tsize before Name in link");
        IPFSFS_ASSIGN_OR_RETURN(ByteSpan bytes, ReadLengthDelimited(in, "PBLink Name"));
        link.name.emplace(AsText(bytes));
        break;
      }
      case 3: {
        IPFSFS_RETURN_IF_ERROR(CheckWire(tag, kWireVarint, "PBLink Tsize"));
        if (link.tsize) return Corrupt("duplicate Tsize in link");
        auto tsize = ReadProtobufVarint(in);
        if (!tsize) return Corrupt("bad Tsize varint in link: " + tsize.error().message);
        link.tsize = *tsize;
        break;
      }
      default:
        return Corrupt("unknown field number " + std::to_string(tag.field) + " in PBLink");
    }
  }
  if (!has_hash) return Corrupt("link without Hash");
  return link;
}

size_t LengthDelimitedSize(size_t payload) { return 1 + VarintLength(payload) + payload; }

size_t LinkBodySize(const PbLink& link) {
  size_t size = LengthDelimitedSize(link.hash.EncodedLength());
  if (link.name) size += LengthDelimitedSize(link.name->size());
  if (link.tsize) size += 1 + VarintLength(*link.tsize);
  return size;
}

}  // namespace

Result<PbNode> DecodePbNode(ByteSpan block) {
  PbNode node;
  bool links_before_data = false;  // a Links run ended by Data: no Links may follow
  ByteSpan in = block;
  while (!in.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(Tag tag, ReadTag(in, "PBNode"));
    switch (tag.field) {
      case 1: {
        IPFSFS_RETURN_IF_ERROR(CheckWire(tag, kWireBytes, "PBNode Data"));
        if (node.data) return Corrupt("duplicate Data in node");
        IPFSFS_ASSIGN_OR_RETURN(ByteSpan bytes, ReadLengthDelimited(in, "PBNode Data"));
        node.data.emplace(bytes.begin(), bytes.end());
        links_before_data = !node.links.empty();
        break;
      }
      case 2: {
        IPFSFS_RETURN_IF_ERROR(CheckWire(tag, kWireBytes, "PBNode Links"));
        if (links_before_data) return Corrupt("duplicate Links section (Links after Data after Links)");
        IPFSFS_ASSIGN_OR_RETURN(ByteSpan bytes, ReadLengthDelimited(in, "PBNode Links"));
        auto link = DecodeLink(bytes);
        if (!link) {
          return tl::unexpected<Error>(Error{link.error().code, link.error().message + " (link " +
                                                                    std::to_string(node.links.size()) + ")"});
        }
        node.links.push_back(std::move(*link));
        break;
      }
      default:
        return Corrupt("unknown field number " + std::to_string(tag.field) + " in PBNode");
    }
  }
  return node;
}

size_t EncodedPbLinkSize(const PbLink& link) { return LengthDelimitedSize(LinkBodySize(link)); }

Bytes EncodePbNode(const PbNode& node) {
  size_t total = 0;
  for (const PbLink& link : node.links) total += EncodedPbLinkSize(link);
  if (node.data) total += LengthDelimitedSize(node.data->size());

  Bytes out;
  out.reserve(total);
  for (const PbLink& link : node.links) {
    out.push_back(kTagNodeLinks);
    AppendVarint(out, LinkBodySize(link));
    out.push_back(kTagLinkHash);
    AppendVarint(out, link.hash.EncodedLength());
    link.hash.AppendTo(out);
    if (link.name) {
      out.push_back(kTagLinkName);
      AppendVarint(out, link.name->size());
      Append(out, AsBytes(*link.name));
    }
    if (link.tsize) {
      out.push_back(kTagLinkTsize);
      AppendVarint(out, *link.tsize);
    }
  }
  if (node.data) {
    out.push_back(kTagNodeData);
    AppendVarint(out, node.data->size());
    Append(out, *node.data);
  }
  return out;
}

}  // namespace ipfsfs::ipld
