// NameOptions: the flags that choose where IPNS records and DNSLink answers
// come from, and NameServices, the names stack they build.
//
//   --routing URL (repeatable) | config "routing" (list): delegated routing
//     endpoints (GET /routing/v1/ipns/{name}); records also come from every
//     --gateway and the --api kubo of SourceOptions.
//   --dns ADDR[:PORT] | https://…/dns-query | config "dns": one DNS server, or
//     DNS-over-HTTPS; default the system's resolv.conf.
//   --ipns-ttl-max DURATION | config "ipns_ttl_max": cap on how long a name's
//     value is cached (default 1h; a shorter TTL counts at least 1 s).
// The highest record seen per name is kept under $XDG_STATE_HOME/ipfsfs/names
// (DefaultStateDir), so neither a restart nor `ipfsfs resolve` can be rolled back.
// Values only; NameServices is thread-safe as Names is.
#ifndef IPFSFS_TOOLS_INTERNAL_NAME_OPTIONS_H_
#define IPFSFS_TOOLS_INTERNAL_NAME_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "blockcache/source.h"
#include "net/dns_client.h"
#include "net/http_engine.h"
#include "resolver/dnslink.h"
#include "resolver/ipns_record_resolver.h"
#include "resolver/name_store.h"
#include "resolver/names.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {

struct NameOptions {
  std::vector<std::string> routing;  // --routing
  std::string dns;                   // --dns
  std::string ipns_ttl_max;          // --ipns-ttl-max
};

void AddNameOptions(CLI::App& app, NameOptions& options);
// The delegated routing endpoints: --routing, else the config's "routing".
// kInvalidArgument for a URL that is not http(s).
[[nodiscard]] Result<std::vector<std::string>> RoutingUrls(const SourceOptions& sources, const NameOptions& options);

// The names stack: its own HTTP engine, record sources, DNS client, name
// store, resolvers and the Names cache, destroyed in the reverse order.
class NameServices {
 public:
  // kInvalidArgument for a bad URL, DNS server or duration.
  [[nodiscard]] static Result<std::unique_ptr<NameServices>> Open(const SourceOptions& sources,
                                                                  const NameOptions& options);
  // Cancels lookups in flight first (their callbacks still find Names), then
  // frees the rest.
  ~NameServices();
  resolver::Names& names() { return *names_; }

 private:
  NameServices() = default;
  std::unique_ptr<net::HttpEngine> engine_;
  std::vector<std::unique_ptr<blockcache::Source>> sources_;
  std::unique_ptr<net::DnsClient> dns_;
  std::unique_ptr<resolver::DnsLinkResolver> dnslink_;
  std::unique_ptr<resolver::NameStore> store_;
  std::unique_ptr<resolver::IpnsRecordResolver> ipns_;
  std::unique_ptr<resolver::Names> names_;
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_NAME_OPTIONS_H_
