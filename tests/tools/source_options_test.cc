// tools/internal/source_options: sizes, durations, RPC addresses, and where
// sources and the cache come from (flag > IPFS_GATEWAY > config file >
// ~/.ipfs/gateway > defaults). Every case runs in its own HOME and XDG dirs.
#include "tools/internal/source_options.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

namespace ipfsfs::tools {
namespace {

using Kind = blockcache::SourceSpec::Kind;

// A fresh HOME with no config, no ~/.ipfs, and every variable the code reads
// unset or pointed inside it; restored afterwards.
class Env {
 public:
  Env() {
    char tmpl[] = "/tmp/ipfsfs-source-options-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    home_ = tmpl;
    for (const char* name : kNames) {
      const char* v = getenv(name);
      saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
      unsetenv(name);
    }
    Set("HOME", home_);
  }
  ~Env() {
    for (const auto& [name, value] : saved_) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
  void Set(const char* name, const std::string& value) { setenv(name, value.c_str(), 1); }
  // Writes `text` at HOME/relative, making its directories.
  std::string Write(const std::string& relative, const std::string& text) {
    std::string path = home_ + "/" + relative;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }
  // The default config file ($HOME/.config/ipfsfs/config.json).
  void Config(const std::string& json) { Write(".config/ipfsfs/config.json", json); }
  const std::string& home() const { return home_; }

 private:
  static constexpr const char* kNames[] = {"HOME",           "IPFS_GATEWAY",           "IPFS_PATH",
                                           "XDG_CONFIG_HOME", "XDG_CACHE_HOME",         "CACHE_DIRECTORY",
                                           "CONFIGURATION_DIRECTORY"};
  std::string home_;
  std::map<std::string, std::optional<std::string>> saved_;
};

blockcache::BlockCacheOptions Resolve(const SourceOptions& o) {
  auto r = ResolveSourceOptions(o);
  if (!r) FAIL(r.error().message);
  return *r;
}

ErrorCode ResolveError(const SourceOptions& o) {
  auto r = ResolveSourceOptions(o);
  REQUIRE_FALSE(r);
  return r.error().code;
}

std::vector<std::string> Urls(const blockcache::BlockCacheOptions& o, Kind kind) {
  std::vector<std::string> out;
  for (const auto& s : o.sources) {
    if (s.kind == kind) out.push_back(s.url);
  }
  return out;
}

TEST_CASE("ParseSize takes K M G T as powers of 1024") {
  CHECK(*ParseSize("0") == 0);
  CHECK(*ParseSize("100") == 100);
  CHECK(*ParseSize("512k") == 524288);
  CHECK(*ParseSize("1.5K") == 1536);
  CHECK(*ParseSize("64M") == 67108864);
  CHECK(*ParseSize("10G") == 10737418240ull);
  CHECK(*ParseSize("1GiB") == 1073741824);
  CHECK(*ParseSize("1GB") == 1073741824);
  CHECK(*ParseSize(" 2T ") == 2199023255552ull);
  CHECK(*ParseSize("100B") == 100);
  for (const char* bad : {"", "G", "abc", "10X", "10MM", "-5M", "1.5PB"}) {
    INFO(bad);
    auto r = ParseSize(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("ParseDuration takes Go-style ms s m h") {
  CHECK(ParseDuration("1500ms")->count() == 1500);
  CHECK(ParseDuration("30s")->count() == 30000);
  CHECK(ParseDuration("0.5s")->count() == 500);
  CHECK(ParseDuration("5m")->count() == 300000);
  CHECK(ParseDuration("1h")->count() == 3600000);
  CHECK(ParseDuration("2")->count() == 2000);  // a bare number is seconds
  for (const char* bad : {"", "s", "5d", "10 minutes", "-1s", "1h30m"}) {
    INFO(bad);
    auto r = ParseDuration(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("ApiUrl turns multiaddrs into URLs and checks URLs") {
  CHECK(*ApiUrl("/ip4/127.0.0.1/tcp/5001") == "http://127.0.0.1:5001");
  CHECK(*ApiUrl("/ip6/::1/tcp/5001") == "http://[::1]:5001");
  CHECK(*ApiUrl("/dns4/node.example/tcp/443/https") == "https://node.example:443");
  CHECK(*ApiUrl("/dns/localhost/tcp/80/http") == "http://localhost:80");
  CHECK(*ApiUrl("/dns6/v6.example/tcp/5001") == "http://v6.example:5001");
  CHECK(*ApiUrl(" /ip4/10.0.0.2/tcp/5001\n") == "http://10.0.0.2:5001");
  CHECK(*ApiUrl("http://127.0.0.1:5001") == "http://127.0.0.1:5001");
  CHECK(*ApiUrl("https://rpc.example/") == "https://rpc.example");
  for (const char* bad : {"", "/ip4/127.0.0.1/udp/5001", "/unix/run/ipfs.sock/tcp/1", "/ip4/127.0.0.1", "ftp://x",
                          "127.0.0.1:5001"}) {
    INFO(bad);
    auto r = ApiUrl(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("FormatSize prints IEC units") {
  CHECK(FormatSize(0) == "0 B");
  CHECK(FormatSize(1023) == "1023 B");
  CHECK(FormatSize(1536) == "1.5 KiB");
  CHECK(FormatSize(10737418240ull) == "10.0 GiB");
}

TEST_CASE("With nothing configured the public gateways and HOME's cache are used") {
  Env env;
  auto o = Resolve({});
  CHECK(Urls(o, Kind::kGateway) == kDefaultGateways);
  CHECK(Urls(o, Kind::kKuboRpc).empty());
  CHECK(o.cache_dir == env.home() + "/.cache/ipfsfs");
  CHECK(o.max_bytes == (10ull << 30));
  CHECK_FALSE(o.offline);
  CHECK_FALSE(o.hash_on_read);
  CHECK(o.fetch_timeout.count() == 15000);
}

TEST_CASE("Gateway precedence is flag then IPFS_GATEWAY then config then ipfs gateway file") {
  Env env;
  env.Write(".ipfs/gateway", "http://home-file:1/\n");
  CHECK(Urls(Resolve({}), Kind::kGateway) == std::vector<std::string>{"http://home-file:1"});
  env.Config(R"({"gateways": ["http://config-a:2", "https://config-b"]})");
  CHECK(Urls(Resolve({}), Kind::kGateway) == std::vector<std::string>{"http://config-a:2", "https://config-b"});
  env.Set("IPFS_GATEWAY", "http://env:3");
  CHECK(Urls(Resolve({}), Kind::kGateway) == std::vector<std::string>{"http://env:3"});
  SourceOptions flags;
  flags.gateways = {"http://flag-a:4/", "http://flag-b:5"};
  CHECK(Urls(Resolve(flags), Kind::kGateway) == std::vector<std::string>{"http://flag-a:4", "http://flag-b:5"});
}

TEST_CASE("Delegated routing finds providers: alone it is the only source, and public routing is a default") {
  Env env;
  CHECK(Urls(Resolve({}), Kind::kProviders) == kDefaultRouting);
  SourceOptions flags;
  flags.routing = {"http://router:8080/"};
  auto o = Resolve(flags);
  CHECK(Urls(o, Kind::kProviders) == std::vector<std::string>{"http://router:8080"});
  CHECK(Urls(o, Kind::kGateway).empty());  // no public gateways behind the user's back
  env.Config(R"({"routing": ["https://config-router"]})");
  CHECK(Urls(Resolve({}), Kind::kProviders) == std::vector<std::string>{"https://config-router"});
  flags.gateways = {"http://gw:1"};
  o = Resolve(flags);
  CHECK(Urls(o, Kind::kGateway) == std::vector<std::string>{"http://gw:1"});
  CHECK(Urls(o, Kind::kProviders) == std::vector<std::string>{"http://router:8080"});
  env.Config(R"({"routing": "https://not-a-list"})");
  CHECK(ResolveError({}) == ErrorCode::kInvalidArgument);
}

TEST_CASE("The kubo RPC comes from the flag then config then IPFS_PATH api") {
  Env env;
  env.Write(".ipfs/api", "/ip4/127.0.0.1/tcp/5001\n");
  auto o = Resolve({});
  CHECK(Urls(o, Kind::kKuboRpc) == std::vector<std::string>{"http://127.0.0.1:5001"});
  CHECK(Urls(o, Kind::kGateway).empty());  // a node is a source: no public gateways then
  env.Write("other-ipfs/api", "/ip4/127.0.0.2/tcp/5002");
  env.Set("IPFS_PATH", env.home() + "/other-ipfs");
  CHECK(Urls(Resolve({}), Kind::kKuboRpc) == std::vector<std::string>{"http://127.0.0.2:5002"});
  env.Config(R"({"api": "/ip4/127.0.0.3/tcp/5003", "gateways": ["http://gw:8080"]})");
  o = Resolve({});
  CHECK(Urls(o, Kind::kKuboRpc) == std::vector<std::string>{"http://127.0.0.3:5003"});
  CHECK(Urls(o, Kind::kGateway) == std::vector<std::string>{"http://gw:8080"});
  SourceOptions flags;
  flags.api = "http://127.0.0.4:5004";
  CHECK(Urls(Resolve(flags), Kind::kKuboRpc) == std::vector<std::string>{"http://127.0.0.4:5004"});
}

TEST_CASE("Cache dir and size come from the flag then config then XDG") {
  Env env;
  env.Set("XDG_CACHE_HOME", env.home() + "/xdg-cache");
  CHECK(Resolve({}).cache_dir == env.home() + "/xdg-cache/ipfsfs");
  env.Set("CACHE_DIRECTORY", env.home() + "/systemd-cache");
  CHECK(Resolve({}).cache_dir == env.home() + "/systemd-cache");
  env.Config(R"({"cache_dir": "/srv/ipfsfs-cache", "cache_size": "2G"})");
  auto o = Resolve({});
  CHECK(o.cache_dir == "/srv/ipfsfs-cache");
  CHECK(o.max_bytes == (2ull << 30));
  SourceOptions flags;
  flags.cache_dir = "/mnt/cache";
  flags.cache_size = "512M";
  o = Resolve(flags);
  CHECK(o.cache_dir == "/mnt/cache");
  CHECK(o.max_bytes == (512ull << 20));
}

TEST_CASE("The config file is found by --config then CONFIGURATION_DIRECTORY then XDG_CONFIG_HOME") {
  Env env;
  env.Config(R"({"cache_dir": "/from-home-config"})");
  CHECK(Resolve({}).cache_dir == "/from-home-config");
  env.Write("xdg/ipfsfs/config.json", R"({"cache_dir": "/from-xdg"})");
  env.Set("XDG_CONFIG_HOME", env.home() + "/xdg");
  CHECK(Resolve({}).cache_dir == "/from-xdg");
  env.Write("systemd/config.json", R"({"cache_dir": "/from-systemd"})");
  env.Set("CONFIGURATION_DIRECTORY", env.home() + "/systemd");
  CHECK(Resolve({}).cache_dir == "/from-systemd");
  SourceOptions flags;
  flags.config = env.Write("mine.json", R"({"cache_dir": "/from-flag"})");
  CHECK(Resolve(flags).cache_dir == "/from-flag");
  flags.config = env.home() + "/missing.json";  // named, so it must exist
  CHECK(ResolveError(flags) == ErrorCode::kInvalidArgument);
}

TEST_CASE("offline and hash_on_read come from the flag or the config") {
  Env env;
  SourceOptions flags;
  flags.offline = true;
  flags.hash_on_read = true;
  auto o = Resolve(flags);
  CHECK(o.offline);
  CHECK(o.hash_on_read);
  env.Config(R"({"offline": true, "hash_on_read": true})");
  o = Resolve({});
  CHECK(o.offline);
  CHECK(o.hash_on_read);
  env.Config(R"({"offline": false, "hash_on_read": false})");
  o = Resolve({});
  CHECK_FALSE(o.offline);
  CHECK_FALSE(o.hash_on_read);
  o = Resolve(flags);  // a flag turns it on whatever the config says
  CHECK(o.offline);
  CHECK(o.hash_on_read);
}

TEST_CASE("Timeouts come from the config as Go durations") {
  Env env;
  env.Config(R"({"fetch_timeout": "2s", "request_timeout": "1500ms"})");
  auto o = Resolve({});
  CHECK(o.fetch_timeout.count() == 2000);
  CHECK(o.request_timeout.count() == 1500);
}

TEST_CASE("Bad config values and flags are invalid arguments") {
  Env env;
  for (const char* config : {R"(not json)", R"(["a list"])", R"({"gateways": "http://one"})", R"({"gateways": [1]})",
                             R"({"gateways": ["ftp://gw"]})", R"({"api": 5001})", R"({"api": "/ip4/1.2.3.4/udp/1"})",
                             R"({"cache_dir": 7})", R"({"cache_size": "10X"})", R"({"offline": "yes"})",
                             R"({"hash_on_read": 1})", R"({"fetch_timeout": "5d"})", R"({"request_timeout": 3})"}) {
    INFO(config);
    env.Config(config);
    CHECK(ResolveError({}) == ErrorCode::kInvalidArgument);
  }
  env.Config("{}");
  SourceOptions flags;
  flags.gateways = {"gw.example"};
  CHECK(ResolveError(flags) == ErrorCode::kInvalidArgument);
  flags = {};
  flags.cache_size = "lots";
  CHECK(ResolveError(flags) == ErrorCode::kInvalidArgument);
  env.Set("IPFS_GATEWAY", "not a url");
  CHECK(ResolveError({}) == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ipfsfs::tools
