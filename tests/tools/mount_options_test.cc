// tools/internal/mount_options: the -o twins of the mount's long flags, their
// precedence (a flag beats its twin), fstab-only options dropped, FUSE options
// passed through, and bad values named by their flag.
#include "tools/internal/mount_options.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/internal/control.h"

namespace ipfsfs::tools {
namespace {

// Every case resolves sources offline in a fresh HOME so no file of the
// machine's is read.
struct Home {
  Home() {
    char tmpl[] = "/tmp/ipfsfs-mount-options-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    const char* old = getenv("HOME");
    saved = old ? old : "";
    setenv("HOME", dir.c_str(), 1);
    for (const char* v : {"IPFS_GATEWAY", "IPFS_PATH", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}) unsetenv(v);
  }
  ~Home() {
    setenv("HOME", saved.c_str(), 1);
    std::string cmd = "rm -rf '" + dir + "'";
    (void)!system(cmd.c_str());
  }
  std::string dir, saved;
};

TEST_CASE("ParseO splits twins, FUSE options and fstab-only options", "[mount_options]") {
  auto p = ParseO({"allow_other,_netdev,cache-size=20G,gateway=http://a", "noauto,gateway=http://b,ro,max_read=131072",
                   "x-systemd.automount,debug"});
  CHECK(p.twins.at("cache_size") == "20G");
  CHECK(p.twins.at("gateway") == "http://a\nhttp://b");
  CHECK(p.twins.count("read_only") == 1);
  CHECK(p.fuse == std::vector<std::string>{"allow_other", "max_read=131072", "debug"});
}

TEST_CASE("a flag beats its -o twin, unset flags take the twin", "[mount_options]") {
  Home home;
  MountFlags f;
  f.mountpoint = "/tmp";
  f.uid = "1234";
  f.sources.offline = true;
  auto parsed = ParseO({"uid=99,gid=77,gateway=http://127.0.0.1:1,gateway=http://127.0.0.1:2,read_ahead=16M"});
  ApplyTwins(parsed, f);
  CHECK(f.uid == "1234");
  CHECK(f.gid == "77");
  CHECK(f.sources.gateways == std::vector<std::string>{"http://127.0.0.1:1", "http://127.0.0.1:2"});
  auto m = ResolveMountOptions(f, parsed);
  REQUIRE(m);
  CHECK(m->filesystem.uid == 1234);
  CHECK(m->filesystem.gid == 77);
  CHECK(m->ipfs.reader.max_window == (16u << 20));
  CHECK(m->cache.offline);
  CHECK(m->cache.memory_cache_bytes <= (4u << 20));
  CHECK(m->fuse.mountpoint == "/tmp");
  CHECK(m->fuse.options == std::vector<std::string>{"default_permissions"});
}

TEST_CASE("the names flags have -o twins: routing repeats, dns and ipns_ttl_max", "[mount_options]") {
  Home home;
  MountFlags f;
  f.mountpoint = "/tmp";
  f.names.dns = "127.0.0.1:5353";
  auto parsed = ParseO({"routing=http://r1,dns=10.0.0.1,routing=http://r2,ipns-ttl-max=5m"});
  ApplyTwins(parsed, f);
  CHECK(f.names.routing == std::vector<std::string>{"http://r1", "http://r2"});
  CHECK(f.names.dns == "127.0.0.1:5353");
  CHECK(f.names.ipns_ttl_max == "5m");
  CHECK(parsed.fuse.empty());
  auto m = ResolveMountOptions(f, parsed);
  REQUIRE(m);
  CHECK(m->open_names);
}

TEST_CASE("read-only, allow_other and relative paths", "[mount_options]") {
  Home home;
  MountFlags f;
  f.mountpoint = "/tmp";
  f.allow_other = true;
  f.sources.offline = true;
  auto parsed = ParseO({"ro,cache_dir=relative/cache"});
  ApplyTwins(parsed, f);
  CHECK(f.read_only);
  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof(cwd)) != nullptr);
  CHECK(f.sources.cache_dir == std::string(cwd) + "/relative/cache");
  auto m = ResolveMountOptions(f, parsed);
  REQUIRE(m);
  CHECK(m->fuse.options == std::vector<std::string>{"default_permissions", "allow_other", "ro"});
}

TEST_CASE("bad values are refused, naming the flag", "[mount_options]") {
  Home home;
  struct Bad {
    const char* o;
    const char* flag;
  };
  for (auto bad : {Bad{"uid=abc", "--uid"}, Bad{"file_mode=0999", "--file-mode"}, Bad{"dir_mode=17777", "--dir-mode"},
                   Bad{"read_ahead=lots", "--read-ahead"}, Bad{"attr_timeout=soon", "--attr-timeout"},
                   Bad{"car_range=-1", "--car-range"}}) {
    INFO(bad.o);
    MountFlags f;
    f.mountpoint = "/tmp";
    f.sources.offline = true;
    auto parsed = ParseO({bad.o});
    ApplyTwins(parsed, f);
    auto m = ResolveMountOptions(f, parsed);
    REQUIRE_FALSE(m);
    CHECK(m.error().code == ErrorCode::kInvalidArgument);
    CHECK(m.error().message.find(bad.flag) != std::string::npos);
  }
}

TEST_CASE("staging dir: the XDG state default, the flag and its twin, none when read-only", "[mount_options]") {
  Home home;
  setenv("XDG_STATE_HOME", (home.dir + "/state").c_str(), 1);
  unsetenv("STATE_DIRECTORY");
  auto resolve = [](MountFlags f, const std::vector<std::string>& o) {
    f.mountpoint = "/tmp";
    f.sources.offline = true;
    auto parsed = ParseO(o);
    ApplyTwins(parsed, f);
    auto m = ResolveMountOptions(f, parsed);
    REQUIRE(m);
    return m->staging_dir;
  };
  CHECK(resolve(MountFlags{}, {}) == home.dir + "/state/ipfsfs/staging");
  MountFlags flag;
  flag.staging_dir = "/srv/staged";
  CHECK(resolve(flag, {"staging_dir=/other"}) == "/srv/staged");
  CHECK(resolve(MountFlags{}, {"staging_dir=/other"}) == "/other");
  CHECK(resolve(MountFlags{}, {"ro"}).empty());
  unsetenv("XDG_STATE_HOME");
}

TEST_CASE("publish flags: --publish repeats, its -o twin, the config file, --api-auth as kubo derives it", "[mount_options]") {
  Home home;
  MountFlags f;
  f.mountpoint = "/tmp";
  f.sources.offline = true;
  auto parsed = ParseO({"publish=kubo,publish=car:site.car", "api_auth=basic:alice:secret"});
  ApplyTwins(parsed, f);
  auto m = ResolveMountOptions(f, parsed);
  REQUIRE(m);
  REQUIRE(m->publish.size() == 2);
  CHECK(m->publish[0].ToString() == "kubo");
  CHECK(m->publish[1].ToString() == "car:" + Absolute("site.car"));  // the daemon runs in /
  CHECK(m->api_authorization == "Basic YWxpY2U6c2VjcmV0");

  // A flag beats the twin; the config file's list when neither is given.
  MountFlags flag;
  flag.mountpoint = "/tmp";
  flag.sources.offline = true;
  flag.publish = {"ipns:blog"};
  flag.api_auth = "tok";
  ApplyTwins(parsed, flag);
  auto mf = ResolveMountOptions(flag, parsed);
  REQUIRE(mf);
  REQUIRE(mf->publish.size() == 1);
  CHECK(mf->publish[0].ToString() == "ipns:blog");
  CHECK(mf->api_authorization == "Bearer tok");

  const std::string config = home.dir + "/config.json";
  { std::ofstream(config) << R"({"publish": ["remote:pinata", "kubo"], "api_auth": "bearer:xyz"})"; }
  MountFlags c;
  c.mountpoint = "/tmp";
  c.sources.offline = true;
  c.sources.config = config;
  auto mc = ResolveMountOptions(c, ParsedO{});
  REQUIRE(mc);
  REQUIRE(mc->publish.size() == 2);
  CHECK(mc->publish[0].ToString() == "remote:pinata");
  CHECK(mc->api_authorization == "Bearer xyz");

  MountFlags bad;
  bad.mountpoint = "/tmp";
  bad.sources.offline = true;
  bad.publish = {"s3:bucket"};
  auto b = ResolveMountOptions(bad, ParsedO{});
  REQUIRE_FALSE(b);
  CHECK(b.error().message.rfind("--publish: ", 0) == 0);
  bad.publish = {"kubo"};
  bad.read_only = true;
  auto ro = ResolveMountOptions(bad, ParsedO{});
  REQUIRE_FALSE(ro);
  CHECK(ro.error().message == "--publish needs staging/ (not with --read-only)");
}

}  // namespace
}  // namespace ipfsfs::tools

namespace ipfsfs::tools {
namespace {

TEST_CASE("sync flags: staging dir, auto-sync and add's import options, with -o twins", "[mount_options]") {
  Home home;
  MountFlags f;
  f.mountpoint = "/tmp";
  f.sources.offline = true;
  f.cid_version = "1";
  auto parsed = ParseO({"staging_dir=/srv/stage,auto_sync=30s,trickle,chunker=size-1024,raw_leaves=false"});
  ApplyTwins(parsed, f);
  auto m = ResolveMountOptions(f, parsed);
  REQUIRE(m);
  CHECK(m->staging_dir == "/srv/stage");
  CHECK(m->auto_sync == std::chrono::seconds(30));
  CHECK(m->import.cid_version == 1);
  CHECK(m->import.layout == writeback::Layout::kTrickle);
  CHECK(m->import.chunker == "size-1024");
  CHECK(m->import.raw_leaves == false);

  MountFlags p;
  p.mountpoint = "/tmp";
  p.sources.offline = true;
  p.profile = "unixfs-v1-2025";
  auto mp = ResolveMountOptions(p, ParsedO{});
  REQUIRE(mp);
  CHECK(mp->import.cid_version == 1);
  CHECK(mp->staging_dir == DefaultStateDir() + "/staging");  // staging/ by default

  MountFlags bad;
  bad.mountpoint = "/tmp";
  bad.sources.offline = true;
  bad.chunker = "size-0";
  CHECK_FALSE(ResolveMountOptions(bad, ParsedO{}));
  bad.chunker.clear();
  bad.auto_sync = "10s";
  bad.read_only = true;  // no staging/, so nothing to sync
  auto no_staging = ResolveMountOptions(bad, ParsedO{});
  REQUIRE_FALSE(no_staging);
  CHECK(no_staging.error().message == "--auto-sync needs staging/ (not with --read-only)");
}

}  // namespace
}  // namespace ipfsfs::tools
