#include "tools/internal/name_options.h"

#include <spdlog/spdlog.h>

#include "net/doh_client.h"

namespace ipfsfs::tools {

void AddNameOptions(CLI::App& app, NameOptions& o) {
  app.add_option("--routing", o.routing, "Delegated routing URL (repeatable): IPNS records, and providers whose gateways serve blocks");
  app.add_option("--dns", o.dns, "DNS server for DNSLink: ADDR[:PORT], or https://…/dns-query (default: resolv.conf)");
  app.add_option("--ipns-ttl-max", o.ipns_ttl_max, "Longest time a name's value is cached, e.g. 10m (default 1h)");
}

NameServices::~NameServices() {
  dnslink_.reset();
  dns_.reset();     // c-ares or DoH lookups answer kCancelled now
  engine_.reset();  // record fetches answer kCancelled now
}

Result<std::vector<std::string>> RoutingUrls(const SourceOptions& source_options, const NameOptions& o) {
  IPFSFS_ASSIGN_OR_RETURN(auto config, LoadSourceConfig(source_options));
  std::vector<std::string> routing = o.routing;
  if (routing.empty() && config.contains("routing")) {
    if (!config["routing"].is_array()) return MakeError(ErrorCode::kInvalidArgument, "config: routing must be a list");
    for (const auto& r : config["routing"]) {
      if (!r.is_string()) return MakeError(ErrorCode::kInvalidArgument, "config: routing must be strings");
      routing.push_back(r.get<std::string>());
    }
  }
  for (const auto& url : routing) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return MakeError(ErrorCode::kInvalidArgument, "--routing: '" + url + "' is not an http:// or https:// URL");
    }
  }
  return routing;
}

Result<std::unique_ptr<NameServices>> NameServices::Open(const SourceOptions& source_options, const NameOptions& o) {
  IPFSFS_ASSIGN_OR_RETURN(auto config, LoadSourceConfig(source_options));
  IPFSFS_ASSIGN_OR_RETURN(auto cache_options, ResolveSourceOptions(source_options));
  IPFSFS_ASSIGN_OR_RETURN(std::vector<std::string> routing, RoutingUrls(source_options, o));
  std::string dns = o.dns, ttl_max = o.ipns_ttl_max;
  for (auto [key, field] : {std::pair{"dns", &dns}, std::pair{"ipns_ttl_max", &ttl_max}}) {
    if (field->empty() && config.contains(key)) {
      if (!config[key].is_string())
        return MakeError(ErrorCode::kInvalidArgument, std::string("config: ") + key + " must be a string");
      *field = config[key].get<std::string>();
    }
  }
  resolver::NamesOptions names_options;
  if (!ttl_max.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(auto d, ParseDuration(ttl_max));
    if (d < std::chrono::seconds(1)) return MakeError(ErrorCode::kInvalidArgument, "--ipns-ttl-max: at least 1s");
    names_options.ttl_max = d;
  }

  std::unique_ptr<NameServices> s(new NameServices());
  IPFSFS_ASSIGN_OR_RETURN(s->engine_, net::HttpEngine::Create({}));
  blockcache::HttpSourceOptions so;
  so.request_timeout = cache_options.request_timeout;
  so.connect_timeout = cache_options.connect_timeout;
  if (!cache_options.offline) {
    for (const auto& spec : cache_options.sources) {
      // Provider lookups carry no records: the routing endpoints below do.
      if (spec.kind == blockcache::SourceSpec::Kind::kGateway) {
        s->sources_.push_back(blockcache::NewGatewaySource(*s->engine_, spec.url, so));
      } else if (spec.kind == blockcache::SourceSpec::Kind::kKuboRpc) {
        s->sources_.push_back(blockcache::NewKuboSource(*s->engine_, spec.url, so));
      }
    }
    for (const auto& url : routing) s->sources_.push_back(blockcache::NewRoutingSource(*s->engine_, url, so));
    if (dns.rfind("https://", 0) == 0 || dns.rfind("http://", 0) == 0) {
      IPFSFS_ASSIGN_OR_RETURN(s->dns_, net::CreateDohClient(*s->engine_, net::DohClientOptions{dns}));
    } else {
      net::DnsClientOptions dns_options;
      dns_options.server = dns;
      auto client = net::CreateDnsClient(dns_options);
      // Without --dns a machine with no usable resolv.conf still serves keys; a given --dns must work.
      if (!client && !dns.empty()) return tl::unexpected(client.error().Wrap("--dns"));
      if (client) {
        s->dns_ = std::move(*client);
      } else {
        spdlog::warn("no DNS for DNSLink names: {}", client.error().message);
      }
    }
    if (s->dns_) s->dnslink_ = std::make_unique<resolver::DnsLinkResolver>(*s->dns_);
  }
  IPFSFS_ASSIGN_OR_RETURN(s->store_, resolver::OpenFileNameStore(DefaultStateDir() + "/names"));
  std::vector<blockcache::Source*> raw;
  for (auto& src : s->sources_) raw.push_back(src.get());
  s->ipns_ = std::make_unique<resolver::IpnsRecordResolver>(std::move(raw), *s->store_);
  s->names_ = std::make_unique<resolver::Names>(s->ipns_.get(), s->dnslink_.get(), names_options);
  return s;
}

}  // namespace ipfsfs::tools
