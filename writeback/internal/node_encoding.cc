#include "writeback/internal/node_encoding.h"

#include <cstring>

#include <openssl/evp.h>

#include "ipld/varint.h"

namespace ipfsfs::writeback::internal {
namespace {

using ipld::AppendVarint;
using ipld::VarintLength;

void Tag(Bytes& out, uint8_t tag) { out.push_back(std::byte{tag}); }

void AppendMetadata(Bytes& out, const Metadata& meta) {
  if (meta.mode && *meta.mode != 0) {
    Tag(out, 0x38);
    AppendVarint(out, *meta.mode);
  }
  if (meta.mtime) {
    Bytes t;
    Tag(t, 0x08);
    AppendVarint(t, static_cast<uint64_t>(meta.mtime->seconds));
    if (meta.mtime->nanos && *meta.mtime->nanos != 0) {
      Tag(t, 0x15);
      for (int k = 0; k < 4; ++k) t.push_back(static_cast<std::byte>(*meta.mtime->nanos >> (8 * k)));
    }
    Tag(out, 0x42);
    AppendVarint(out, t.size());
    Append(out, t);
  }
}

void AppendLink(Bytes& out, const LinkRef& link) {
  size_t cid_len = link.cid->EncodedLength();
  size_t body = 1 + VarintLength(cid_len) + cid_len + 1 + VarintLength(link.name.size()) + link.name.size() +
                1 + VarintLength(link.tsize);
  Tag(out, 0x12);
  AppendVarint(out, body);
  Tag(out, 0x0a);
  AppendVarint(out, cid_len);
  link.cid->AppendTo(out);
  Tag(out, 0x12);
  AppendVarint(out, link.name.size());
  Append(out, AsBytes(link.name));
  Tag(out, 0x18);
  AppendVarint(out, link.tsize);
}

Bytes Node(std::span<const LinkRef> links, const Bytes& unixfs) {
  Bytes out;
  for (const LinkRef& l : links) AppendLink(out, l);
  Tag(out, 0x0a);
  AppendVarint(out, unixfs.size());
  Append(out, unixfs);
  return out;
}

Bytes TypeOnly(ipld::UnixfsType type) {
  Bytes u;
  Tag(u, 0x08);
  AppendVarint(u, static_cast<uint64_t>(type));
  return u;
}

const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

LeafFraming FrameLeaf(ipld::UnixfsType type, uint64_t chunk_len, const Metadata& meta) {
  LeafFraming f;
  Bytes& suffix = f.suffix;
  Tag(suffix, 0x18);
  AppendVarint(suffix, chunk_len);
  AppendMetadata(suffix, meta);
  // UnixFS: 08 type [12 len <chunk>] suffix
  size_t data_field = chunk_len == 0 ? 0 : 1 + VarintLength(chunk_len) + chunk_len;
  size_t unixfs_len = 2 + data_field + suffix.size();
  Bytes prefix;
  Tag(prefix, 0x0a);
  AppendVarint(prefix, unixfs_len);
  Tag(prefix, 0x08);
  AppendVarint(prefix, static_cast<uint64_t>(type));
  if (chunk_len != 0) {
    Tag(prefix, 0x12);
    AppendVarint(prefix, chunk_len);
  }
  f.prefix_len = prefix.size();
  std::memcpy(f.prefix, prefix.data(), prefix.size());
  return f;
}

Bytes EncodeFileNode(std::span<const LinkRef> links, std::span<const uint64_t> blocksizes, const Metadata& meta) {
  uint64_t filesize = 0;
  for (uint64_t b : blocksizes) filesize += b;
  Bytes u = TypeOnly(ipld::UnixfsType::kFile);
  Tag(u, 0x18);
  AppendVarint(u, filesize);
  for (uint64_t b : blocksizes) {
    Tag(u, 0x20);
    AppendVarint(u, b);
  }
  AppendMetadata(u, meta);
  return Node(links, u);
}

Bytes EncodeDirectory(std::span<const LinkRef> links, const Metadata& meta) {
  Bytes u = TypeOnly(ipld::UnixfsType::kDirectory);
  AppendMetadata(u, meta);
  return Node(links, u);
}

Bytes EncodeSymlink(std::string_view target, const Metadata& meta) {
  Bytes u = TypeOnly(ipld::UnixfsType::kSymlink);
  Tag(u, 0x12);
  AppendVarint(u, target.size());
  Append(u, AsBytes(target));
  Metadata no_mode = meta;
  no_mode.mode.reset();
  AppendMetadata(u, no_mode);
  return Node({}, u);
}

Bytes EncodeHamtShard(std::span<const LinkRef> links, ByteSpan bitfield, uint64_t fanout, const Metadata& meta) {
  Bytes u = TypeOnly(ipld::UnixfsType::kHamtShard);
  Tag(u, 0x12);
  AppendVarint(u, bitfield.size());
  Append(u, bitfield);
  Tag(u, 0x28);
  AppendVarint(u, 0x22);
  Tag(u, 0x30);
  AppendVarint(u, fanout);
  AppendMetadata(u, meta);
  return Node(links, u);
}

size_t DirectoryDataFieldSize(const Metadata& meta) {
  Bytes u = TypeOnly(ipld::UnixfsType::kDirectory);
  AppendMetadata(u, meta);
  return 1 + VarintLength(u.size()) + u.size();
}

size_t EncodedLinkSize(size_t cid_len, size_t name_len, uint64_t tsize) {
  size_t m = 1 + VarintLength(cid_len) + cid_len + 1 + VarintLength(name_len) + name_len + 1 + VarintLength(tsize);
  return 1 + VarintLength(m) + m;
}

ipld::Cid CidMaker::Make(ipld::Codec codec, std::span<const ByteSpan> parts) const {
  size_t total = 0;
  for (ByteSpan p : parts) total += p.size();
  if (inline_blocks && total <= inline_limit) {
    Bytes whole;
    whole.reserve(total);
    for (ByteSpan p : parts) Append(whole, p);
    return ipld::Cid::V1(codec, ipld::Multihash(static_cast<uint64_t>(ipld::HashCode::kIdentity), std::move(whole)));
  }
  if (hash != static_cast<uint64_t>(ipld::HashCode::kSha2_256)) {
    Bytes whole;
    whole.reserve(total);
    for (ByteSpan p : parts) Append(whole, p);
    // ResolveOptions checked that this hash can be computed.
    ipld::Multihash mh = *ipld::Multihash::Sum(hash, whole);
    return ipld::Cid::V1(codec, std::move(mh));
  }
  Bytes digest(32);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, Sha256Md(), nullptr);
  for (ByteSpan p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(digest.data()), &len);
  EVP_MD_CTX_free(ctx);
  ipld::Multihash mh(static_cast<uint64_t>(ipld::HashCode::kSha2_256), std::move(digest));
  if (codec == ipld::Codec::kDagPb && version == 0) return ipld::Cid::V0(std::move(mh));
  return ipld::Cid::V1(codec, std::move(mh));
}

}  // namespace ipfsfs::writeback::internal
