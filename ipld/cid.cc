#include "ipld/cid.h"

#include <array>
#include <cstring>

#include "ipld/varint.h"

namespace ipfsfs::ipld {

namespace {

struct CodecInfo {
  uint64_t code;
  std::string_view name;
};

// multiformats/multicodec table.csv, the content codecs ipfsfs names.
constexpr std::array<CodecInfo, 6> kCodecs = {{
    {0x55, "raw"},
    {0x70, "dag-pb"},
    {0x71, "dag-cbor"},
    {0x72, "libp2p-key"},
    {0x0129, "dag-json"},
    {0x0200, "json"},
}};

constexpr size_t kV0Length = 34;  // 0x12 0x20 + 32-byte sha2-256 digest
constexpr size_t kV0TextLength = 46;

bool LooksLikeV0(ByteSpan bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x12} && bytes[1] == std::byte{0x20};
}

Result<Cid> ReadV1(ByteSpan& in) {
  ByteSpan rest = in;
  auto version = ReadVarint(rest);
  if (!version) return tl::unexpected(version.error().Wrap("cid version"));
  if (*version != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "unsupported CID version " + std::to_string(*version));
  }
  auto codec = ReadVarint(rest);
  if (!codec) return tl::unexpected(codec.error().Wrap("cid codec"));
  auto hash = Multihash::Read(rest);
  if (!hash) return tl::unexpected(hash.error().Wrap("cid"));
  in = rest;
  return Cid(1, *codec, std::move(*hash));
}

Error AsInvalidArgument(Error e) {
  e.code = ErrorCode::kInvalidArgument;
  return e;
}

}  // namespace

std::optional<std::string_view> CodecName(uint64_t code) {
  for (const auto& c : kCodecs) {
    if (c.code == code) return c.name;
  }
  return std::nullopt;
}

std::optional<uint64_t> CodecFromName(std::string_view name) {
  for (const auto& c : kCodecs) {
    if (c.name == name) return c.code;
  }
  return std::nullopt;
}

Result<Cid> Cid::Read(ByteSpan& in) {
  if (LooksLikeV0(in)) {
    if (in.size() < kV0Length) return MakeError(ErrorCode::kCorrupt, "cid: truncated CIDv0");
    ByteSpan rest = in;
    auto hash = Multihash::Read(rest);
    if (!hash) return tl::unexpected(hash.error());
    in = rest;
    return Cid::V0(std::move(*hash));
  }
  return ReadV1(in);
}

Result<Cid> Cid::FromBytes(ByteSpan bytes) {
  auto cid = Read(bytes);
  if (!cid) return cid;
  if (!bytes.empty()) return MakeError(ErrorCode::kInvalidArgument, "cid: trailing bytes after the multihash");
  return cid;
}

Result<Cid> Cid::Parse(std::string_view text) {
  if (text.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty CID");
  if (text.size() == kV0TextLength && text.substr(0, 2) == "Qm") {
    auto bytes = Base58BtcDecode(text);
    if (!bytes) return tl::unexpected(bytes.error().Wrap("invalid CIDv0 '" + std::string(text) + "'"));
    if (bytes->size() != kV0Length || !LooksLikeV0(*bytes)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid CIDv0 '" + std::string(text) + "': not a sha2-256 multihash");
    }
    auto hash = Multihash::Decode(*bytes);
    if (!hash) return tl::unexpected(AsInvalidArgument(hash.error()));
    return Cid::V0(std::move(*hash));
  }
  if (text[0] == 'Q' || text[0] == '1') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid CID '" + std::string(text) + "': looks like a CIDv0 but is not 46 base58btc characters");
  }
  auto bytes = MultibaseDecode(text);
  if (!bytes) return tl::unexpected(bytes.error().Wrap("invalid CID '" + std::string(text) + "'"));
  if (LooksLikeV0(*bytes)) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid CID '" + std::string(text) +
                                                      "': a CIDv0 is written in bare base58btc, without a multibase prefix");
  }
  auto cid = FromBytes(*bytes);
  if (!cid) return tl::unexpected(AsInvalidArgument(cid.error().Wrap("invalid CID '" + std::string(text) + "'")));
  return cid;
}

size_t Cid::EncodedLength() const {
  if (version_ == 0) return hash_.EncodedLength();
  return VarintLength(1) + VarintLength(codec_) + hash_.EncodedLength();
}

void Cid::AppendTo(Bytes& out) const {
  if (version_ == 1) {
    AppendVarint(out, 1);
    AppendVarint(out, codec_);
  }
  hash_.AppendTo(out);
}

Bytes Cid::ToBytes() const {
  Bytes out;
  out.reserve(EncodedLength());
  AppendTo(out);
  return out;
}

std::string Cid::ToString() const {
  if (version_ == 0) return Base58BtcEncode(ToBytes());
  return MultibaseEncode(Multibase::kBase32, ToBytes());
}

std::string Cid::ToString(Multibase base) const {
  if (version_ == 0 && base == Multibase::kBase58Btc) return ToString();
  return MultibaseEncode(base, ToV1().ToBytes());
}

Result<Cid> Cid::ToV0() const {
  if (version_ == 0) return *this;
  if (codec_ != static_cast<uint64_t>(Codec::kDagPb)) {
    return MakeError(ErrorCode::kInvalidArgument, "CIDv0 is only for dag-pb, not " +
                                                      std::string(CodecName(codec_).value_or("this codec")));
  }
  if (hash_.code() != static_cast<uint64_t>(HashCode::kSha2_256) || hash_.digest().size() != 32) {
    return MakeError(ErrorCode::kInvalidArgument, "CIDv0 needs a 32-byte sha2-256 multihash, not " + hash_.name());
  }
  return Cid::V0(hash_);
}

size_t CidHasher::operator()(const Cid& cid) const {
  return MultihashHasher()(cid.hash()) ^ (cid.codec() * 31 + static_cast<size_t>(cid.version()));
}

}  // namespace ipfsfs::ipld
