#include "tools/internal/source_options.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace ipfsfs::tools {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string Home() { return Env("HOME"); }

// Root's HOME is often unset or "/" where mount(8) and systemd start us.
bool HasHome() { return !Home().empty() && !(geteuid() == 0 && Home() == "/"); }

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// The first line of a small file, trimmed; empty if it does not exist.
std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return Trim(line);
}

Result<std::string> CheckUrl(std::string url) {
  url = Trim(url);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + url + "' is not an http:// or https:// URL");
  }
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  return url;
}

Result<nlohmann::json> LoadConfig(const SourceOptions& o) {
  std::string path = o.config;
  bool required = !path.empty();
  if (path.empty()) {
    if (!Env("CONFIGURATION_DIRECTORY").empty()) {
      path = Env("CONFIGURATION_DIRECTORY") + "/config.json";
    } else if (!Env("XDG_CONFIG_HOME").empty()) {
      path = Env("XDG_CONFIG_HOME") + "/ipfsfs/config.json";
    } else if (HasHome()) {
      path = Home() + "/.config/ipfsfs/config.json";
    } else {
      path = "/etc/ipfsfs/config.json";
    }
  }
  std::ifstream in(path);
  if (!in) {
    if (required) return MakeError(ErrorCode::kInvalidArgument, "cannot read config " + path);
    return nlohmann::json::object();
  }
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "config " + path + " is not a JSON object");
  }
  return json;
}

Result<std::string> ConfigString(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return std::string();
  if (!config[key].is_string()) return MakeError(ErrorCode::kInvalidArgument, std::string("config: ") + key + " must be a string");
  return config[key].get<std::string>();
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  std::string s = Trim(std::string(text));
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return MakeError(ErrorCode::kInvalidArgument, "bad size '" + std::string(text) + "'");
  double number = std::strtod(s.substr(0, i).c_str(), nullptr);
  std::string unit = s.substr(i);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  uint64_t mult = 1;
  if (unit.size() > 1) return MakeError(ErrorCode::kInvalidArgument, "bad size unit in '" + std::string(text) + "'");
  if (!unit.empty()) {
    switch (std::toupper(static_cast<unsigned char>(unit[0]))) {
      case 'K': mult = 1ull << 10; break;
      case 'M': mult = 1ull << 20; break;
      case 'G': mult = 1ull << 30; break;
      case 'T': mult = 1ull << 40; break;
      default: return MakeError(ErrorCode::kInvalidArgument, "bad size unit in '" + std::string(text) + "' (K, M, G or T)");
    }
  }
  return static_cast<uint64_t>(number * static_cast<double>(mult));
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string s = Trim(std::string(text));
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return MakeError(ErrorCode::kInvalidArgument, "bad duration '" + s + "'");
  double n = std::strtod(s.substr(0, i).c_str(), nullptr);
  std::string unit = s.substr(i);
  double ms;
  if (unit == "ms") ms = n;
  else if (unit == "s" || unit.empty()) ms = n * 1000;
  else if (unit == "m") ms = n * 60000;
  else if (unit == "h") ms = n * 3600000;
  else return MakeError(ErrorCode::kInvalidArgument, "bad duration unit in '" + s + "' (ms, s, m, h)");
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<std::string> ApiUrl(std::string_view text) {
  std::string s = Trim(std::string(text));
  if (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0) return CheckUrl(s);
  // /ip4/A/tcp/P[/http|/https], /ip6/A/tcp/P, /dns[46]/H/tcp/P
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  if (parts.size() < 4 || parts[2] != "tcp") {
    return MakeError(ErrorCode::kInvalidArgument, "cannot use '" + s + "' as an RPC address (want /ip4/HOST/tcp/PORT or a URL)");
  }
  std::string host = parts[1];
  if (parts[0] == "ip6") {
    host = "[" + host + "]";
  } else if (parts[0] != "ip4" && parts[0] != "dns" && parts[0] != "dns4" && parts[0] != "dns6") {
    return MakeError(ErrorCode::kInvalidArgument, "unsupported multiaddr protocol /" + parts[0] + " in '" + s + "'");
  }
  std::string scheme = (parts.size() > 4 && parts[4] == "https") ? "https" : "http";
  return scheme + "://" + host + ":" + parts[3];
}

namespace {
// systemd's <KIND>_DIRECTORY, then $XDG_<KIND>_HOME/ipfsfs, then ~/<home_dir>/ipfsfs,
// then (root without a home, as mount(8) runs fstab helpers) the system one.
std::string DefaultDir(const char* systemd, const char* xdg, const char* home_dir, const char* system) {
  if (!Env(systemd).empty()) return Env(systemd);
  if (!Env(xdg).empty()) return Env(xdg) + "/ipfsfs";
  if (HasHome()) return Home() + "/" + home_dir + "/ipfsfs";
  return system;
}
}  // namespace

std::string DefaultCacheDir() {
  return DefaultDir("CACHE_DIRECTORY", "XDG_CACHE_HOME", ".cache", "/var/cache/ipfsfs");
}

std::string DefaultStateDir() {
  return DefaultDir("STATE_DIRECTORY", "XDG_STATE_HOME", ".local/state", "/var/lib/ipfsfs");
}

std::string FormatSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

void AddSourceOptions(CLI::App& app, SourceOptions& o) {
  app.add_option("--gateway", o.gateways, "Trustless gateway URL (repeatable; else IPFS_GATEWAY, ~/.ipfs/gateway)");
  app.add_option("--api", o.api, "kubo RPC address, URL or multiaddr (else $IPFS_PATH/api)");
  app.add_option("--cache-dir", o.cache_dir, "Where cached blocks live (default $XDG_CACHE_HOME/ipfsfs)");
  app.add_option("--cache-size", o.cache_size, "Cache quota, e.g. 10G (K, M, G, T)");
  app.add_flag("--offline", o.offline, "Serve from the cache only");
  app.add_flag("--hash-on-read", o.hash_on_read,
               "Re-hash every block read back from the cache (blocks are always hashed before they are stored)");
  app.add_option("--config", o.config, "Config file (JSON; default $XDG_CONFIG_HOME/ipfsfs/config.json)");
}

Result<blockcache::BlockCacheOptions> ResolveSourceOptions(const SourceOptions& o) {
  IPFSFS_ASSIGN_OR_RETURN(auto config, LoadConfig(o));
  blockcache::BlockCacheOptions out;

  // Gateways: flags, IPFS_GATEWAY, config, ~/.ipfs/gateway.
  std::vector<std::string> gateways = o.gateways;
  if (gateways.empty() && !Env("IPFS_GATEWAY").empty()) gateways.push_back(Env("IPFS_GATEWAY"));
  if (gateways.empty() && config.contains("gateways")) {
    if (!config["gateways"].is_array()) return MakeError(ErrorCode::kInvalidArgument, "config: gateways must be a list");
    for (const auto& g : config["gateways"]) {
      if (!g.is_string()) return MakeError(ErrorCode::kInvalidArgument, "config: gateways must be strings");
      gateways.push_back(g.get<std::string>());
    }
  }
  if (gateways.empty() && !Home().empty()) {
    std::string g = FirstLine(Home() + "/.ipfs/gateway");
    if (!g.empty()) gateways.push_back(g);
  }
  for (const auto& g : gateways) {
    IPFSFS_ASSIGN_OR_RETURN(auto url, CheckUrl(g));
    out.sources.push_back({blockcache::SourceSpec::Kind::kGateway, url});
  }

  // kubo RPC: flag, config, $IPFS_PATH/api or ~/.ipfs/api.
  std::string api = o.api;
  if (api.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(api, ConfigString(config, "api"));
  }
  if (api.empty()) {
    std::string ipfs_path = Env("IPFS_PATH");
    if (ipfs_path.empty() && !Home().empty()) ipfs_path = Home() + "/.ipfs";
    if (!ipfs_path.empty()) api = FirstLine(ipfs_path + "/api");
  }
  if (!api.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(auto url, ApiUrl(api));
    out.sources.push_back({blockcache::SourceSpec::Kind::kKuboRpc, url});
  }
  // Delegated routing: its providers' gateways, ranked with the sources above.
  std::vector<std::string> routing = o.routing;
  if (routing.empty() && config.contains("routing")) {
    if (!config["routing"].is_array()) return MakeError(ErrorCode::kInvalidArgument, "config: routing must be a list");
    for (const auto& r : config["routing"]) {
      if (!r.is_string()) return MakeError(ErrorCode::kInvalidArgument, "config: routing must be strings");
      routing.push_back(r.get<std::string>());
    }
  }
  for (const auto& r : routing) {
    IPFSFS_ASSIGN_OR_RETURN(auto url, CheckUrl(r));
    out.sources.push_back({blockcache::SourceSpec::Kind::kProviders, url});
  }
  if (out.sources.empty()) {
    for (const auto& g : kDefaultGateways) out.sources.push_back({blockcache::SourceSpec::Kind::kGateway, g});
    for (const auto& r : kDefaultRouting) out.sources.push_back({blockcache::SourceSpec::Kind::kProviders, r});
  }

  // Cache directory and size.
  out.cache_dir = o.cache_dir;
  if (out.cache_dir.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(out.cache_dir, ConfigString(config, "cache_dir"));
  }
  if (out.cache_dir.empty()) out.cache_dir = DefaultCacheDir();
  std::string size = o.cache_size;
  if (size.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(size, ConfigString(config, "cache_size"));
  }
  if (!size.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(out.max_bytes, ParseSize(size));
  }
  out.offline = o.offline;
  if (!out.offline && config.contains("offline")) {
    if (!config["offline"].is_boolean()) return MakeError(ErrorCode::kInvalidArgument, "config: offline must be true or false");
    out.offline = config["offline"].get<bool>();
  }
  out.hash_on_read = o.hash_on_read;
  if (!out.hash_on_read && config.contains("hash_on_read")) {
    if (!config["hash_on_read"].is_boolean()) {
      return MakeError(ErrorCode::kInvalidArgument, "config: hash_on_read must be true or false");
    }
    out.hash_on_read = config["hash_on_read"].get<bool>();
  }
  for (auto [key, field] : {std::pair{"fetch_timeout", &out.fetch_timeout}, std::pair{"request_timeout", &out.request_timeout}}) {
    IPFSFS_ASSIGN_OR_RETURN(auto text, ConfigString(config, key));
    if (!text.empty()) {
      IPFSFS_ASSIGN_OR_RETURN(*field, ParseDuration(text));
    }
  }
  return out;
}

Result<nlohmann::json> LoadSourceConfig(const SourceOptions& options) { return LoadConfig(options); }

Result<std::unique_ptr<blockcache::BlockCache>> OpenBlockCache(const SourceOptions& options) {
  IPFSFS_ASSIGN_OR_RETURN(auto resolved, ResolveSourceOptions(options));
  return blockcache::BlockCache::Open(std::move(resolved));
}

}  // namespace ipfsfs::tools
