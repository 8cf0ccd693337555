#include "resolver/node.h"

#include <utility>

#include "ipld/hamt.h"
#include "ipld/protobuf.h"
#include "ipld/varint.h"

namespace ipfsfs::resolver {
namespace {

Error Corrupt(const ipld::Cid& cid, std::string_view why) {
  return Error{ErrorCode::kCorrupt, cid.ToString() + ": " + std::string(why)};
}

uint64_t LinkSizes(const std::vector<ipld::PbLink>& links) {
  uint64_t total = 0;
  for (const auto& link : links) total += link.tsize.value_or(0);
  return total;
}

// Where the UnixFS Data bytes sit inside a dag-pb block (PBNode.Data ->
// Data.Data), so file nodes can share the block instead of copying it. The
// strict decoders have already checked that each field appears once.
std::optional<std::pair<size_t, size_t>> LocateUnixfsPayload(ByteSpan block) {
  auto find = [](ByteSpan in, uint32_t number) -> std::optional<ByteSpan> {
    ipld::ProtoReader reader(in);
    while (!reader.done()) {
      auto field = reader.Next();
      if (!field) return std::nullopt;
      if (field->number == number && field->type == ipld::WireType::kLengthDelimited) return field->bytes;
    }
    return std::nullopt;
  };
  auto pb_data = find(block, 1);
  if (!pb_data) return std::nullopt;
  auto payload = find(*pb_data, 2);
  if (!payload) return std::nullopt;
  return std::pair<size_t, size_t>{static_cast<size_t>(payload->data() - block.data()), payload->size()};
}

// The common leaf (PBNode with only Data; UnixFS File/Raw with only Type,
// Data and filesize) decoded as views into the block: no copy, no large
// allocation per read. Anything else, including every malformed block, is
// left to the strict decoders (nullopt).
std::optional<Node> DecodeLeafFast(const blockcache::Block& block) {
  ipld::ProtoReader outer(block.bytes());
  auto pb_data = outer.Next();
  if (!pb_data || pb_data->number != 1 || pb_data->type != ipld::WireType::kLengthDelimited || !outer.done()) {
    return std::nullopt;
  }
  ipld::ProtoReader inner(pb_data->bytes);
  std::optional<uint64_t> type, filesize;
  std::optional<ByteSpan> payload;
  uint32_t last = 0;
  while (!inner.done()) {
    auto f = inner.Next();
    if (!f || f->number <= last) return std::nullopt;  // out of order or repeated: strict path
    last = f->number;
    if (f->number == 1 && f->type == ipld::WireType::kVarint) {
      type = f->varint;
    } else if (f->number == 2 && f->type == ipld::WireType::kLengthDelimited) {
      payload = f->bytes;
    } else if (f->number == 3 && f->type == ipld::WireType::kVarint) {
      filesize = f->varint;
    } else {
      return std::nullopt;
    }
  }
  if (!type || (*type != static_cast<uint64_t>(ipld::UnixfsType::kFile) &&
                *type != static_cast<uint64_t>(ipld::UnixfsType::kRaw))) {
    return std::nullopt;
  }
  size_t length = payload ? payload->size() : 0;
  if (filesize && *filesize != length) return std::nullopt;  // the strict path names the error
  Node node;
  node.info.cid = block.cid();
  node.info.kind = NodeKind::kFile;
  node.info.size = length;
  node.info.dag_size = block.size();
  node.data = block.shared_bytes();
  node.data_offset = payload ? static_cast<size_t>(payload->data() - block.bytes().data()) : 0;
  node.data_length = length;
  return node;
}

}  // namespace

std::optional<Node> DecodeLeafExtent(const ipld::Cid& cid, const blockcache::BlockExtent& extent) {
  Node node;
  node.info.cid = cid;
  node.info.kind = NodeKind::kFile;
  node.info.dag_size = extent.size;
  node.extent = extent;
  if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
    node.info.size = extent.size;
    node.data_length = extent.size;
    return node;
  }
  if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) return std::nullopt;
  // The fields before the payload fit in 33 bytes (three tags and three
  // varints of at most 10); the filesize after it in 11.
  constexpr size_t kHead = 64, kTail = 16;
  auto head = extent.Read(0, kHead);
  if (!head) return std::nullopt;
  ByteSpan in(*head);
  auto next = [&in]() -> std::optional<uint64_t> {
    auto v = ipld::ReadProtobufVarint(in);
    return v ? std::optional<uint64_t>(*v) : std::nullopt;
  };
  auto at = [&] { return static_cast<uint64_t>(head->size() - in.size()); };
  // PBNode: Data (1, bytes) as its only field, to the block's end.
  if (next() != uint64_t{0x0a}) return std::nullopt;
  auto outer = next();
  if (!outer || at() + *outer != extent.size) return std::nullopt;
  // UnixFS Data: Type (1, varint) File or Raw, then Data (2, bytes).
  if (next() != uint64_t{0x08}) return std::nullopt;
  auto type = next();
  if (!type || (*type != static_cast<uint64_t>(ipld::UnixfsType::kFile) &&
                *type != static_cast<uint64_t>(ipld::UnixfsType::kRaw))) {
    return std::nullopt;
  }
  if (next() != uint64_t{0x12}) return std::nullopt;
  auto length = next();
  if (!length) return std::nullopt;
  const uint64_t begin = at(), end = begin + *length;
  if (end > extent.size || extent.size - end > kTail) return std::nullopt;
  // Then nothing, or filesize (3, varint) equal to the payload's length.
  auto tail = extent.Read(end, static_cast<size_t>(extent.size - end));
  if (!tail) return std::nullopt;
  if (!tail->empty()) {
    ipld::ProtoReader rest{ByteSpan(*tail)};
    auto f = rest.Next();
    if (!f || f->number != 3 || f->type != ipld::WireType::kVarint || f->varint != *length || !rest.done()) {
      return std::nullopt;
    }
  }
  node.info.size = *length;
  node.data_offset = static_cast<size_t>(begin);
  node.data_length = static_cast<size_t>(*length);
  return node;
}

bool IsExposableName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Result<Node> DecodeNode(const blockcache::Block& block) {
  const ipld::Cid& cid = block.cid();
  Node node;
  node.info.cid = cid;
  if (cid.codec() == static_cast<uint64_t>(ipld::Codec::kRaw)) {
    node.info.kind = NodeKind::kFile;
    node.info.size = block.size();
    node.info.dag_size = block.size();
    node.data = block.shared_bytes();
    node.data_length = block.size();
    return node;
  }
  if (cid.codec() != static_cast<uint64_t>(ipld::Codec::kDagPb)) {
    auto name = ipld::CodecName(cid.codec());
    return MakeError(ErrorCode::kUnsupported,
                     cid.ToString() + ": codec " + std::string(name ? *name : "unknown") + " is not UnixFS");
  }
  if (auto leaf = DecodeLeafFast(block)) return std::move(*leaf);
  auto pb = ipld::DecodePbNode(block.bytes());
  if (!pb) return tl::unexpected(pb.error().Wrap(cid.ToString()));
  if (!pb->data) return tl::unexpected(Corrupt(cid, "dag-pb node without UnixFS data"));
  auto fs = ipld::DecodeUnixfsData(*pb->data);
  if (!fs) return tl::unexpected(fs.error().Wrap(cid.ToString()));
  node.info.mode = fs->mode;
  node.info.mtime = fs->mtime;
  node.info.dag_size = block.size() + LinkSizes(pb->links);
  node.links = std::move(pb->links);
  switch (fs->type) {
    case ipld::UnixfsType::kDirectory:
      node.info.kind = NodeKind::kDirectory;
      return node;
    case ipld::UnixfsType::kHamtShard: {
      node.info.kind = NodeKind::kHamtShard;
      if (fs->hash_type.value_or(0) != ipld::kHamtHashMurmur3) {
        return tl::unexpected(Corrupt(cid, "HAMT shard without murmur3-x64-64 hash type"));
      }
      node.fanout = fs->fanout.value_or(0);
      if (auto bits = ipld::HamtBitsForFanout(node.fanout); !bits) {
        return tl::unexpected(Corrupt(cid, "HAMT shard fanout " + std::to_string(node.fanout)));
      }
      if (fs->data) node.bitfield = std::move(*fs->data);
      return node;
    }
    case ipld::UnixfsType::kSymlink: {
      node.info.kind = NodeKind::kSymlink;
      if (fs->data) node.info.symlink_target.assign(AsText(*fs->data));
      node.info.size = node.info.symlink_target.size();
      if (!node.links.empty()) return tl::unexpected(Corrupt(cid, "symlink with links"));
      return node;
    }
    case ipld::UnixfsType::kFile:
    case ipld::UnixfsType::kRaw: {
      node.info.kind = NodeKind::kFile;
      if (fs->blocksizes.size() != node.links.size()) {
        return tl::unexpected(Corrupt(cid, "file has " + std::to_string(node.links.size()) + " links but " +
                                                std::to_string(fs->blocksizes.size()) + " blocksizes"));
      }
      uint64_t total = 0;
      if (fs->data) {
        node.data_length = fs->data->size();
        total = node.data_length;
        auto at = LocateUnixfsPayload(block.bytes());
        if (at && at->second == node.data_length) {
          node.data = block.shared_bytes();  // no copy: the leaf's bytes stay in the block
          node.data_offset = at->first;
        } else {
          node.data = std::make_shared<const Bytes>(std::move(*fs->data));
        }
      }
      for (uint64_t s : fs->blocksizes) {
        if (s > (uint64_t{1} << 50) || total + s < total) return tl::unexpected(Corrupt(cid, "blocksizes overflow"));
        total += s;
      }
      if (fs->filesize && *fs->filesize != total) {
        return tl::unexpected(Corrupt(cid, "filesize " + std::to_string(*fs->filesize) + " does not match content " +
                                                std::to_string(total)));
      }
      node.info.size = total;
      node.blocksizes = std::move(fs->blocksizes);
      return node;
    }
    case ipld::UnixfsType::kMetadata:
      break;
  }
  return MakeError(ErrorCode::kUnsupported, cid.ToString() + ": UnixFS Metadata nodes are not supported");
}

}  // namespace ipfsfs::resolver
