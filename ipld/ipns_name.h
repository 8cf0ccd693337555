// IPNS names: the text forms of a peer ID (ipns.md §2).
//
// An IPNS name is a peer ID multihash. It is written as a CIDv1 with codec
// libp2p-key (0x72) in any multibase ("k51…" base36 is canonical, "bafzaa…"
// base32), or as a bare base58btc multihash ("12D3KooW…", "Qm…"). Pure
// functions, thread-safe.
#ifndef IPFSFS_IPLD_IPNS_NAME_H_
#define IPFSFS_IPLD_IPNS_NAME_H_

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "ipld/multihash.h"

namespace ipfsfs::ipld {

// Parses any form above, after an optional leading "/ipns/", as go-libp2p's
// peer.Decode does: text starting with "Qm" or "1" is a bare base58btc
// multihash, anything else a multibase CID whose codec must be libp2p-key.
// kInvalidArgument naming the problem (a CID of another codec says which).
[[nodiscard]] Result<Multihash> ParseIpnsName(std::string_view text);

// The canonical form: "k" + base36 of the CIDv1 libp2p-key.
std::string FormatIpnsName(const Multihash& peer_id);
// The legacy form: bare base58btc of the multihash ("12D3KooW…", "Qm…").
std::string FormatPeerIdBase58(const Multihash& peer_id);

// The routing (DHT) key: "/ipns/" followed by the binary multihash.
Bytes IpnsRoutingKey(const Multihash& peer_id);

}  // namespace ipfsfs::ipld

#endif  // IPFSFS_IPLD_IPNS_NAME_H_
