#include "tools/internal/mount_options.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "publish/kubo_target.h"
#include "tools/internal/control.h"
#include "tools/internal/keystore.h"
#include "tools/internal/name_publishing.h"

namespace ipfsfs::tools {
namespace {

// fstab and mount(8) options that mean nothing to FUSE; dropped.
bool IsFstabOnly(const std::string& key) {
  static const char* kIgnored[] = {"defaults", "_netdev", "auto", "noauto", "user", "users", "nouser", "nofail",
                                   "owner", "group", "comment", "rw", "exec", "noexec", "suid", "nosuid", "dev",
                                   "nodev", "atime", "noatime", "relatime", "strictatime", "sync", "async"};
  for (const char* k : kIgnored) {
    if (key == k) return true;
  }
  return key.rfind("x-", 0) == 0;
}

// Long flags whose -o twin is spelled with '_' for '-'.
const std::vector<std::string> kTwinKeys = {
    "gateway",   "api",          "cache_dir",   "cache_size",     "offline",   "config",     "uid",
    "gid",       "file_mode",    "dir_mode",    "attr_timeout",   "read_ahead", "log_file",  "log_level",
    "read_only", "foreground",   "car_range",   "hash_on_read",   "routing",   "dns",        "ipns_ttl_max",
    "staging_dir", "sync_state_dir", "auto_sync", "cid_version", "raw_leaves", "chunker",  "trickle",
    "profile", "publish", "api_auth", "no_republish"};

Result<uint32_t> ParseNumber(const std::string& text, int base, const char* what) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(text.c_str(), &end, base);
  if (text.empty() || *end != '\0' || errno != 0 || v > 0xffffffffUL) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("bad ") + what + " '" + text + "'");
  }
  return static_cast<uint32_t>(v);
}

Result<uint32_t> ParseMode(const std::string& text, const char* what) {
  auto v = ParseNumber(text, 8, what);
  if (!v || *v > 07777) return MakeError(ErrorCode::kInvalidArgument, std::string("bad ") + what + " '" + text + "'");
  return v;
}

// The error of a flag's value, prefixed with the flag.
template <class T>
Result<T> Named(const char* flag, Result<T> r) {
  if (!r) return tl::unexpected(r.error().Wrap(flag));
  return r;
}

// The staging dir and the import options of sync, checked as `add` checks them.
Status ResolveSyncOptions(const MountFlags& a, MountOptions& m) {
  if (!a.read_only) m.staging_dir = a.staging_dir.empty() ? DefaultStateDir() + "/staging" : a.staging_dir;
  m.staging_is_default = a.staging_dir.empty();
  m.sync_state_dir = a.sync_state_dir;
  if (!a.auto_sync.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(m.auto_sync, Named("--auto-sync", ParseDuration(a.auto_sync)));
  }
  writeback::ImportOptions o;
  if (!a.profile.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(o, Named("--profile", writeback::ProfileOptions(a.profile)));
  }
  if (!a.cid_version.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(uint32_t v, ParseNumber(a.cid_version, 10, "--cid-version"));
    o.cid_version = static_cast<int>(v);
  }
  if (a.raw_leaves == "true" || a.raw_leaves == "1") {
    o.raw_leaves = true;
  } else if (a.raw_leaves == "false" || a.raw_leaves == "0") {
    o.raw_leaves = false;
  } else if (!a.raw_leaves.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--raw-leaves: bad value '" + a.raw_leaves + "'");
  }
  if (!a.chunker.empty()) o.chunker = a.chunker;
  if (a.trickle) o.layout = writeback::Layout::kTrickle;
  if (auto checked = writeback::ResolveOptions(o); !checked) {
    return tl::unexpected(checked.error().Wrap("sync import options"));
  }
  m.import = o;
  if (m.staging_dir.empty() && m.auto_sync.count() > 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--auto-sync needs staging/ (not with --read-only)");
  }
  return OkStatus();
}

// --publish and --api-auth, else the config file's "publish" (a string or a
// list) and "api_auth".
Status ResolvePublishOptions(const MountFlags& a, MountOptions& m) {
  IPFSFS_ASSIGN_OR_RETURN(auto config, LoadSourceConfig(a.sources));
  std::vector<std::string> targets = a.publish;
  if (targets.empty() && config.contains("publish")) {
    const auto& p = config["publish"];
    if (p.is_string()) targets.push_back(p.get<std::string>());
    for (const auto& t : p.is_array() ? p : nlohmann::json::array()) {
      if (t.is_string()) targets.push_back(t.get<std::string>());
    }
  }
  for (const auto& t : targets) {
    IPFSFS_ASSIGN_OR_RETURN(auto spec, Named("--publish", publish::TargetSpec::Parse(t)));
    if (spec.kind == publish::TargetSpec::Kind::kCar) spec.arg = Absolute(spec.arg);  // the daemon runs in /
    m.publish.push_back(std::move(spec));
  }
  if (!m.publish.empty() && m.staging_dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--publish needs staging/ (not with --read-only)");
  }
  std::string secret = a.api_auth;
  if (secret.empty() && config.contains("api_auth") && config["api_auth"].is_string()) {
    secret = config["api_auth"].get<std::string>();
  }
  if (!secret.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(m.api_authorization, Named("--api-auth", publish::KuboAuthorization(secret)));
  }
  return OkStatus();
}

}  // namespace

void AddMountFlags(CLI::App& cmd, MountFlags& a) {
  cmd.add_option("mountpoint", a.mountpoint, "Where to mount")->required();
  cmd.add_flag("-f,--foreground", a.foreground, "Stay in the foreground (else daemonize once mounted)");
  cmd.add_option("-o", a.o, "Mount options, comma-separated: FUSE options and the -o twin of every long flag")
      ->allow_extra_args(false);
  cmd.add_flag("--allow-other", a.allow_other, "Let other users in (= -o allow_other)");
  cmd.add_flag("--allow-root", a.allow_root, "Let root in (= -o allow_root)");
  cmd.add_flag("--read-only", a.read_only, "Read-only mount (= -o ro)");
  cmd.add_option("--uid", a.uid, "Owner shown for everything (default: yours)");
  cmd.add_option("--gid", a.gid, "Group shown for everything (default: yours)");
  cmd.add_option("--file-mode", a.file_mode, "Permission bits of files, octal (default: UnixFS mode or 0444)");
  cmd.add_option("--dir-mode", a.dir_mode, "Permission bits of directories, octal (default: UnixFS mode or 0555)");
  cmd.add_option("--attr-timeout", a.attr_timeout, "How long the kernel caches names and attributes (e.g. 1h)");
  cmd.add_option("--read-ahead", a.read_ahead, "Read-ahead window for sequential reads (default 8M)");
  cmd.add_option("--car-range", a.car_range,
                 "Long sequential reads take the rest of a file as ranged CARs of this size (default 64M; 0: "
                 "block by block only)");
  cmd.add_option("--staging-dir", a.staging_dir,
                 "Local directory holding the writable staging/ tree, which `ipfsfs sync` turns into UnixFS "
                 "(created 0700; dotfiles included; default $XDG_STATE_HOME/ipfsfs/staging; none in a read-only mount)");
  cmd.add_option("--log-file", a.log_file, "Log here (default: stderr with -f, else a file in the state dir)");
  cmd.add_option("--log-level", a.log_level, "trace, debug, info, warn, error");
  cmd.add_flag("-v", a.verbose, "More logging (-vv: trace)");
  cmd.add_flag("--fuse-debug", a.fuse_debug, "libfuse's own request trace");
  cmd.add_option("--sync-state-dir", a.sync_state_dir, "Where the sync index lives (default: STAGING_DIR.sync)");
  cmd.add_option("--auto-sync", a.auto_sync,
                 "Sync once writes through staging/ have been idle this long (e.g. 30s; default off)");
  cmd.add_option("--cid-version", a.cid_version, "Sync: CID version, 0 or 1 (as ipfs add)");
  cmd.add_flag("--raw-leaves", a.raw_leaves, "Sync: raw leaf blocks (default: on with CID version 1)");
  cmd.add_option("--chunker", a.chunker, "Sync: chunking, size-N, rabin-MIN-AVG-MAX or buzhash (as ipfs add)");
  cmd.add_flag("--trickle", a.trickle, "Sync: trickle DAG layout");
  cmd.add_option("--profile", a.profile, "Sync: IPIP-499 preset, unixfs-v0-2015 or unixfs-v1-2025");
  cmd.add_option("--publish", a.publish,
                 "After each sync, publish the root to TARGET (repeatable): kubo (the --api node: blocks imported, "
                 "root pinned, the old root unpinned), car:PATH (a CARv1 file), remote:SERVICE, ipns:KEY");
  cmd.add_option("--api-auth", a.api_auth,
                 "The kubo RPC secret (API.Authorizations): basic:USER:PASS, bearer:TOKEN or TOKEN");
  cmd.add_flag("--no-republish", a.no_republish,
               "Do not republish the IPNS names published with this user's keys (default: re-signed and put "
               "again every 4h, or at half their lifetime)");
  AddSourceOptions(cmd, a.sources);
  AddNameOptions(cmd, a.names);
}

ParsedO ParseO(const std::vector<std::string>& groups) {
  ParsedO out;
  for (const auto& group : groups) {
    std::stringstream ss(group);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) continue;
      std::string key = item.substr(0, item.find('='));
      std::string value = item.find('=') == std::string::npos ? "" : item.substr(item.find('=') + 1);
      std::string twin = key;
      std::replace(twin.begin(), twin.end(), '-', '_');
      if (std::find(kTwinKeys.begin(), kTwinKeys.end(), twin) != kTwinKeys.end()) {
        if ((twin == "gateway" || twin == "routing" || twin == "publish") && out.twins.count(twin)) value = out.twins[twin] + "\n" + value;
        out.twins[twin] = value;
      } else if (key == "ro") {
        out.twins["read_only"] = "";
      } else if (!IsFstabOnly(key)) {
        out.fuse.push_back(item);
      }
    }
  }
  return out;
}

void ApplyTwins(const ParsedO& parsed, MountFlags& a) {
  auto twin = [&](const std::string& key, std::string& flag) {
    auto it = parsed.twins.find(key);
    if (flag.empty() && it != parsed.twins.end()) flag = it->second;
  };
  auto on = [&](const std::string& key, bool& flag) { flag = flag || parsed.twins.count(key) > 0; };
  twin("uid", a.uid);
  twin("gid", a.gid);
  twin("file_mode", a.file_mode);
  twin("dir_mode", a.dir_mode);
  twin("attr_timeout", a.attr_timeout);
  twin("read_ahead", a.read_ahead);
  twin("car_range", a.car_range);
  twin("log_file", a.log_file);
  twin("staging_dir", a.staging_dir);
  twin("log_level", a.log_level);
  twin("api", a.sources.api);
  twin("cache_dir", a.sources.cache_dir);
  twin("cache_size", a.sources.cache_size);
  twin("config", a.sources.config);
  twin("staging_dir", a.staging_dir);
  twin("sync_state_dir", a.sync_state_dir);
  twin("auto_sync", a.auto_sync);
  twin("cid_version", a.cid_version);
  twin("chunker", a.chunker);
  twin("profile", a.profile);
  if (a.raw_leaves.empty() && parsed.twins.count("raw_leaves")) {
    a.raw_leaves = parsed.twins.at("raw_leaves").empty() ? "true" : parsed.twins.at("raw_leaves");
  }
  on("trickle", a.trickle);
  if (a.sources.gateways.empty() && parsed.twins.count("gateway")) {
    std::stringstream ss(parsed.twins.at("gateway"));
    for (std::string g; std::getline(ss, g);) a.sources.gateways.push_back(g);
  }
  if (a.names.routing.empty() && parsed.twins.count("routing")) {
    std::stringstream ss(parsed.twins.at("routing"));
    for (std::string r; std::getline(ss, r);) a.names.routing.push_back(r);
  }
  if (a.publish.empty() && parsed.twins.count("publish")) {
    std::stringstream ss(parsed.twins.at("publish"));
    for (std::string t; std::getline(ss, t);) a.publish.push_back(t);
  }
  twin("api_auth", a.api_auth);
  twin("dns", a.names.dns);
  twin("ipns_ttl_max", a.names.ipns_ttl_max);
  on("offline", a.sources.offline);
  on("hash_on_read", a.sources.hash_on_read);
  on("read_only", a.read_only);
  on("foreground", a.foreground);
  on("no_republish", a.no_republish);
  for (std::string* path : {&a.sources.cache_dir, &a.sources.config, &a.log_file, &a.staging_dir, &a.sync_state_dir}) {
    if (!path->empty()) *path = Absolute(*path);
  }
}

Result<MountOptions> ResolveMountOptions(const MountFlags& a, const ParsedO& parsed) {
  MountOptions m;
  m.mountpoint = Absolute(a.mountpoint);
  auto& fo = m.filesystem;
  fo.uid = geteuid();
  fo.gid = getegid();
  if (!a.uid.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(fo.uid, ParseNumber(a.uid, 10, "--uid"));
  }
  if (!a.gid.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(fo.gid, ParseNumber(a.gid, 10, "--gid"));
  }
  if (!a.file_mode.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(fo.file_mode, ParseMode(a.file_mode, "--file-mode"));
  }
  if (!a.dir_mode.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(fo.dir_mode, ParseMode(a.dir_mode, "--dir-mode"));
  }
  if (!a.attr_timeout.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(auto d, Named("--attr-timeout", ParseDuration(a.attr_timeout)));
    m.ipfs.attr_timeout = static_cast<double>(d.count()) / 1000.0;
  }
  if (!a.read_ahead.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(auto s, Named("--read-ahead", ParseSize(a.read_ahead)));
    m.ipfs.reader.max_window = s;
    m.ipfs.reader.initial_window = std::min<uint64_t>(m.ipfs.reader.initial_window, s);
  }
  if (!a.car_range.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(m.ipfs.reader.car_range, Named("--car-range", ParseSize(a.car_range)));
  }

  SourceOptions sources = a.sources;
  sources.routing = a.names.routing;  // providers of blocks too
  IPFSFS_ASSIGN_OR_RETURN(m.cache, ResolveSourceOptions(sources));
  m.open_names = [sources = a.sources, names = a.names] { return NameServices::Open(sources, names); };
  // No keystore, no names of ours: nothing to keep alive or move (and none is created).
  m.open_publishing = [sources = a.sources, names = a.names]() -> Result<std::unique_ptr<NamePublishing>> {
    if (!std::filesystem::exists(Keystore::DefaultDir())) return std::unique_ptr<NamePublishing>();
    return NamePublishing::Open(sources, names);
  };
  m.republish = !a.no_republish;
  // The mount streams files through its own bounded read-ahead window and the
  // kernel's page cache; a large in-memory block tier would only hold blocks
  // already read (the bench's peak RSS goal is 100 MiB while streaming).
  m.cache.memory_cache_bytes = std::min<uint64_t>(m.cache.memory_cache_bytes, 4u << 20);

  IPFSFS_RETURN_IF_ERROR(ResolveSyncOptions(a, m));
  IPFSFS_RETURN_IF_ERROR(ResolvePublishOptions(a, m));

  m.fuse.mountpoint = m.mountpoint;
  m.fuse.options = parsed.fuse;
  m.fuse.options.push_back("default_permissions");
  if (a.allow_other) m.fuse.options.push_back("allow_other");
  if (a.allow_root) m.fuse.options.push_back("allow_root");
  if (a.read_only) m.fuse.options.push_back("ro");
  m.fuse.debug = a.fuse_debug;
  return m;
}

}  // namespace ipfsfs::tools
