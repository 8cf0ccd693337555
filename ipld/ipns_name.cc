// Implementation of ipld/ipns_name.h.
#include "ipld/ipns_name.h"

#include "ipld/cid.h"
#include "ipld/multibase.h"

namespace ipfsfs::ipld {

Result<Multihash> ParseIpnsName(std::string_view text) {
  std::string_view name = text;
  if (name.starts_with("/ipns/")) name.remove_prefix(6);
  auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "not an IPNS name: \"" + std::string(text) + "\": " + why);
  };
  if (name.empty()) return bad("empty");
  if (name.starts_with("Qm") || name.starts_with("1")) {
    auto bytes = Base58BtcDecode(name);
    if (!bytes) return bad(bytes.error().message);
    auto hash = Multihash::Decode(*bytes);
    if (!hash) return bad(hash.error().message);
    return hash;
  }
  auto cid = Cid::Parse(name);
  if (!cid) return bad(cid.error().message);
  if (cid->version() != 1 || cid->codec() != static_cast<uint64_t>(Codec::kLibp2pKey)) {
    std::string codec(CodecName(cid->codec()).value_or("unknown"));
    return bad("a CID with codec " + codec + ", not libp2p-key (as a name it would be " +
               FormatIpnsName(cid->hash()) + ")");
  }
  return cid->hash();
}

std::string FormatIpnsName(const Multihash& peer_id) {
  return Cid::V1(Codec::kLibp2pKey, peer_id).ToString(Multibase::kBase36);
}

std::string FormatPeerIdBase58(const Multihash& peer_id) { return Base58BtcEncode(peer_id.Encode()); }

Bytes IpnsRoutingKey(const Multihash& peer_id) {
  Bytes key = ToBytes("/ipns/");
  peer_id.AppendTo(key);
  return key;
}

}  // namespace ipfsfs::ipld
