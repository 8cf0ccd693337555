// ProviderSource: blocks from whichever trustless gateways a delegated routing
// endpoint names as providers (issue 17; publish.md §3.2, IPIP-484).
//
// For a block or CAR it asks GET {routing}/routing/v1/providers/{cid}
// ?filter-protocols=transport-ipfs-gateway-http, turns the providers' /http and
// /https multiaddrs into gateway base URLs, and sends the request to them in
// turn, as a gateway Source. Routing indexes a DAG's root, not each of its
// blocks, so providers that answered lately are asked first (a DAG's blocks come
// from where its root came), and the routing endpoint only when they do not
// have the block. Lookups are cached for a TTL; a provider that fails is
// dropped for a while. Like every Source it only carries bytes: the block cache
// verifies them. Thread-safe; callbacks run on the HTTP engine's threads.
#ifndef IPFSFS_BLOCKCACHE_PROVIDER_SOURCE_H_
#define IPFSFS_BLOCKCACHE_PROVIDER_SOURCE_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "blockcache/source.h"

namespace ipfsfs::blockcache {

struct ProviderSourceOptions {
  HttpSourceOptions http;
  std::chrono::seconds lookup_ttl{300};    // a provider list is asked again after this
  std::chrono::seconds drop_for{60};       // a provider that failed is not asked for this long
  size_t max_providers = 8;                // per lookup, in the order routing gave them
  size_t max_recent = 8;                   // providers kept as "answered lately"
};

std::unique_ptr<Source> NewProviderSource(net::HttpEngine& engine, std::string routing_url,
                                          ProviderSourceOptions options = {});

// A provider's multiaddr as a gateway base URL: /ip4|ip6|dns|dns4|dns6/H/tcp/P
// followed by /https, /tls/http or /tls/sni/NAME/http ("https://H:P"), or by
// /http, which is only taken for loopback and private addresses (publish.md
// §3.2). kUnsupported for anything else. Pure; exposed for tests.
[[nodiscard]] Result<std::string> GatewayUrlFromMultiaddr(std::string_view multiaddr);

// The gateway base URLs of a providers response body ({"Providers":[…]} or
// NDJSON, one record per line): records whose Protocols (if any) include
// transport-ipfs-gateway-http, each usable address once, in order. Unusable
// records are skipped; kCorrupt only when the body is not JSON at all.
[[nodiscard]] Result<std::vector<std::string>> ParseProviders(std::string_view body);

}  // namespace ipfsfs::blockcache

#endif  // IPFSFS_BLOCKCACHE_PROVIDER_SOURCE_H_
