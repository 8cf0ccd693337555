// `ipfsfs mount [options] MOUNTPOINT` (umount and status: cmd_status.cc).
//
// mount wires net -> blockcache -> resolver -> fs into one FUSE mount. It
// daemonizes unless -f, and the parent exits 0 only once the mount answers
// (or 1 with the child's reason). Every long flag has a -o twin so an fstab
// line can say everything; a flag beats its -o twin (CONVENTIONS.md). The
// running mount answers `ipfsfs status` on a unix socket in the state dir,
// and runs `ipfsfs cache …` and plain `ipfsfs add` for commands that find its
// cache locked (tools/internal/control.h: <cache_dir>/mount.json).
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "blockcache/block_cache.h"
#include "blockcache/executor.h"
#include "fs/filesystem.h"
#include "fs/fuse_adapter.h"
#include "fs/ipfs_tree.h"
#include "resolver/resolver.h"
#include "tools/command.h"
#include "tools/internal/cache_ops.h"
#include "tools/internal/control.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

struct MountArgs {
  std::string mountpoint;
  bool foreground = false;
  std::vector<std::string> o;  // -o, each comma-separated
  bool allow_other = false;
  bool allow_root = false;
  bool read_only = false;
  std::string uid, gid, file_mode, dir_mode;
  std::string attr_timeout;
  std::string read_ahead;
  std::string car_range;
  std::string log_file;
  std::string log_level;
  int verbose = 0;
  bool fuse_debug = false;
  SourceOptions sources;
};

MountArgs& Args() {
  static MountArgs args;
  return args;
}

// ---------------------------------------------------------------- options

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

struct ParsedOptions {
  std::map<std::string, std::string> twins;  // ipfsfs options given as -o key=value
  std::vector<std::string> fuse;             // passed to libfuse as they are
};

// Long flags whose -o twin is spelled with '_' for '-'.
const std::vector<std::string> kTwinKeys = {
    "gateway",   "api",       "cache_dir",    "cache_size", "offline",  "config",   "uid",
    "gid",       "file_mode", "dir_mode",     "attr_timeout", "read_ahead", "log_file", "log_level",
    "read_only", "foreground", "car_range", "hash_on_read"};

ParsedOptions ParseO(const std::vector<std::string>& groups) {
  ParsedOptions out;
  for (const auto& group : groups) {
    std::stringstream ss(group);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) continue;
      std::string key = item.substr(0, item.find('='));
      std::string value = item.find('=') == std::string::npos ? "" : item.substr(item.find('=') + 1);
      std::string twin = key;
      for (char& c : twin) {
        if (c == '-') c = '_';
      }
      if (std::find(kTwinKeys.begin(), kTwinKeys.end(), twin) != kTwinKeys.end()) {
        if (twin == "gateway" && out.twins.count("gateway")) value = out.twins["gateway"] + "\n" + value;
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

Result<uint32_t> ParseNumber(const std::string& text, int base, const char* what) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(text.c_str(), &end, base);
  if (text.empty() || *end != '\0' || errno != 0 || v > 0xffffffffUL) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("bad ") + what + " '" + text + "'");
  }
  return static_cast<uint32_t>(v);
}

// ---------------------------------------------------------------- paths

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point == path) return true;
  }
  return false;
}

// Clear reasons before libfuse gives its own.
Status CheckMountpoint(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOTCONN) {
      return MakeError(ErrorCode::kUnavailable,
                       "a dead mount is still there (transport endpoint is not connected); run 'ipfsfs umount " +
                           path + "' first");
    }
    if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, "mountpoint does not exist (mkdir it first)");
    return MakeError(ErrorCode::kInvalidArgument, std::string("cannot use mountpoint: ") + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kInvalidArgument, "mountpoint is not a directory");
  if (IsMountPoint(path)) {
    return MakeError(ErrorCode::kUnavailable,
                     "mountpoint is busy: something is already mounted there (run 'ipfsfs umount " + path + "')");
  }
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("FUSE is unavailable: /dev/fuse: ") + std::strerror(errno) +
                                                  " (install fuse3, load the fuse module, or give the container "
                                                  "--device /dev/fuse)");
  }
  return OkStatus();
}

// ---------------------------------------------------------------- logging

void SetupLogging(const std::string& file, spdlog::level::level_enum level, bool to_stderr) {
  std::vector<spdlog::sink_ptr> sinks;
  if (!file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "ipfsfs: cannot open log file " << file << ": " << e.what() << "\n";
    }
  }
  if (to_stderr || sinks.empty()) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  for (const char* name : {"net", "blockcache", "resolver", "writeback", "fs", "tools"}) {
    spdlog::drop(name);
    auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::register_logger(logger);
  }
  auto def = std::make_shared<spdlog::logger>("", sinks.begin(), sinks.end());
  def->set_level(level);
  spdlog::set_default_logger(def);
  spdlog::flush_every(std::chrono::seconds(2));
}

// ---------------------------------------------------------------- control socket

// Counts the block gets the filesystem has outstanding (cache hits included).
class CountingGetter : public blockcache::BlockGetter {
 public:
  explicit CountingGetter(blockcache::BlockGetter& inner) : inner_(inner) {}
  void Get(const ipld::Cid& cid, blockcache::BlockCallback done) override {
    ++in_flight_;
    inner_.Get(cid, [this, done = std::move(done)](Result<blockcache::Block> b) {
      --in_flight_;
      done(std::move(b));
    });
  }
  void Prefetch(const ipld::Cid& root, blockcache::PrefetchScope scope) override { inner_.Prefetch(root, scope); }
  void PrefetchRange(const ipld::Cid& root, blockcache::ByteRange range, std::function<void(Status)> done) override {
    inner_.PrefetchRange(root, range, std::move(done));
  }
  void CancelRange(const ipld::Cid& root, blockcache::ByteRange range) override { inner_.CancelRange(root, range); }
  void GetExpected(const ipld::Cid& cid, std::chrono::milliseconds patience, blockcache::BlockCallback done) override {
    ++in_flight_;
    inner_.GetExpected(cid, patience, [this, done = std::move(done)](Result<blockcache::Block> b) {
      --in_flight_;
      done(std::move(b));
    });
  }
  int64_t in_flight() const { return in_flight_.load(); }

 private:
  blockcache::BlockGetter& inner_;
  std::atomic<int64_t> in_flight_{0};
};

// ---------------------------------------------------------------- mount

// The child's report to the waiting parent: "ready" or the error line.
void Tell(int fd, const std::string& message) {
  if (fd < 0) return;
  std::string line = message + "\n";
  if (write(fd, line.data(), line.size()) < 0) {
  }
}

// Everything after the fork (or in the foreground). Returns the exit code.
int Serve(const std::string& mountpoint, int report_fd) {
  MountArgs& a = Args();
  ParsedOptions parsed = ParseO(a.o);
  auto twin = [&](const std::string& key, std::string& flag) {
    if (flag.empty() && parsed.twins.count(key)) flag = parsed.twins[key];
  };
  auto fail = [&](const std::string& what, const Error& e) {
    Tell(report_fd, what + ": " + e.message);
    spdlog::error("{}: {}", what, e.message);
    return report_fd >= 0 ? 1 : ReportError(what, e);
  };
  twin("uid", a.uid);
  twin("gid", a.gid);
  twin("file_mode", a.file_mode);
  twin("dir_mode", a.dir_mode);
  twin("attr_timeout", a.attr_timeout);
  twin("read_ahead", a.read_ahead);
  twin("car_range", a.car_range);
  twin("api", a.sources.api);
  twin("cache_dir", a.sources.cache_dir);
  twin("cache_size", a.sources.cache_size);
  twin("config", a.sources.config);
  if (a.sources.gateways.empty() && parsed.twins.count("gateway")) {
    std::stringstream ss(parsed.twins["gateway"]);
    for (std::string g; std::getline(ss, g);) a.sources.gateways.push_back(g);
  }
  if (parsed.twins.count("offline")) a.sources.offline = true;
  if (parsed.twins.count("hash_on_read")) a.sources.hash_on_read = true;
  if (parsed.twins.count("read_only")) a.read_only = true;

  fs::FilesystemOptions fo;
  fo.uid = geteuid();
  fo.gid = getegid();
  fs::IpfsTreeOptions to;
  if (!a.uid.empty()) {
    auto v = ParseNumber(a.uid, 10, "--uid");
    if (!v) return fail("mount " + mountpoint, v.error());
    fo.uid = *v;
  }
  if (!a.gid.empty()) {
    auto v = ParseNumber(a.gid, 10, "--gid");
    if (!v) return fail("mount " + mountpoint, v.error());
    fo.gid = *v;
  }
  if (!a.file_mode.empty()) {
    auto v = ParseNumber(a.file_mode, 8, "--file-mode");
    if (!v || *v > 07777) return fail("mount " + mountpoint, Error{ErrorCode::kInvalidArgument, "bad --file-mode"});
    fo.file_mode = *v;
  }
  if (!a.dir_mode.empty()) {
    auto v = ParseNumber(a.dir_mode, 8, "--dir-mode");
    if (!v || *v > 07777) return fail("mount " + mountpoint, Error{ErrorCode::kInvalidArgument, "bad --dir-mode"});
    fo.dir_mode = *v;
  }
  if (!a.attr_timeout.empty()) {
    auto d = ParseDuration(a.attr_timeout);
    if (!d) return fail("mount " + mountpoint, d.error());
    to.attr_timeout = static_cast<double>(d->count()) / 1000.0;
  }
  if (!a.read_ahead.empty()) {
    auto s = ParseSize(a.read_ahead);
    if (!s) return fail("mount " + mountpoint, s.error());
    to.reader.max_window = *s;
    to.reader.initial_window = std::min<uint64_t>(to.reader.initial_window, *s);
  }
  if (!a.car_range.empty()) {
    auto s = ParseSize(a.car_range);
    if (!s) return fail("mount " + mountpoint, s.error());
    to.reader.car_range = *s;
  }

  auto cache_options = ResolveSourceOptions(a.sources);
  if (!cache_options) return fail("mount " + mountpoint, cache_options.error());
  // The mount streams files through its own bounded read-ahead window and the
  // kernel's page cache; a large in-memory block tier would only hold blocks
  // already read (the bench's peak RSS goal is 100 MiB while streaming).
  cache_options->memory_cache_bytes = std::min<uint64_t>(cache_options->memory_cache_bytes, 4u << 20);
  const std::string cache_dir_option = cache_options->cache_dir;
  auto cache = blockcache::BlockCache::Open(std::move(*cache_options));
  if (!cache) return fail("mount " + mountpoint, cache.error());
  CountingGetter counting(**cache);
  blockcache::WorkerPool prefetch_pool(4);  // runs jobs inline once shut down
  to.reader.executor = [&prefetch_pool](std::function<void()> job) { prefetch_pool.Post(std::move(job)); };
  resolver::Resolver resolver(counting);
  blockcache::BlockCache* cache_ptr = cache->get();
  to.pinned_roots = [cache_ptr] {
    auto pins = cache_ptr->Pins();
    return pins ? *pins : std::vector<ipld::Cid>{};
  };
  std::vector<std::unique_ptr<fs::Tree>> trees;
  trees.push_back(std::make_unique<fs::IpfsTree>(resolver, to));
  fs::Filesystem filesystem(std::move(trees), fo);

  fs::FuseOptions fuse;
  fuse.mountpoint = mountpoint;
  fuse.options = parsed.fuse;
  fuse.options.push_back("default_permissions");
  if (a.allow_other) fuse.options.push_back("allow_other");
  if (a.allow_root) fuse.options.push_back("allow_root");
  if (a.read_only) fuse.options.push_back("ro");
  fuse.debug = a.fuse_debug;
  auto mount = fs::FuseMount::Mount(filesystem, fuse);
  if (!mount) return fail("mount " + mountpoint, mount.error());

  const auto started = std::chrono::steady_clock::now();
  const std::string cache_dir = Absolute(cache_dir_option);
  std::atomic<int> cache_commands{0};  // in progress for commands (status shows it)
  auto control = ControlServer::Start(
      SocketPath(mountpoint),
      {{"cache",
        [&](const nlohmann::json& req) {
          // An `ipfsfs cache …` or `add` that found this mount's cache locked.
          ++cache_commands;
          auto reply = AnswerCacheRequest(*cache_ptr, cache_dir, req);
          --cache_commands;
          spdlog::info("cache command {}: {}", req.contains("op") ? req["op"].value("name", "?") : "?",
                       reply.contains("exit") ? "exit " + reply["exit"].dump() : reply.value("error", "?"));
          return reply;
        }},
       {"status", [&](const nlohmann::json&) {
          auto s = cache_ptr->Stats();
          auto f = filesystem.stats();
          nlohmann::json sources = nlohmann::json::array();
          for (const auto& src : s.sources) {
            sources.push_back({{"name", src.name},
                               {"requests", src.requests},
                               {"failures", src.failures},
                               {"corrupt", src.corrupt},
                               {"bytes", src.bytes},
                               {"mean_latency_ms", src.mean_latency_ms},
                               {"health", src.health}});
          }
          uint64_t lookups = s.hits + s.misses;
          return nlohmann::json{
              {"mountpoint", mountpoint},
              {"pid", getpid()},
              {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
                               .count()},
              {"sources", sources},
              {"cache", {{"blocks", s.stored_blocks}, {"bytes", s.stored_bytes}, {"max_bytes", s.max_bytes},
                         {"pinned_roots", s.pinned_roots}, {"hits", s.hits}, {"misses", s.misses},
                         {"hit_rate", lookups ? static_cast<double>(s.hits) / static_cast<double>(lookups) : 0.0},
                         {"fetched_bytes", s.fetched_bytes}, {"fetch_errors", s.fetch_errors}}},
              {"in_flight_fetches", counting.in_flight()},
              {"cache_commands", cache_commands.load()},
              {"fs", {{"lookups", f.lookups}, {"reads", f.reads}, {"read_bytes", f.read_bytes},
                      {"errors", f.errors}, {"open_files", f.open_files}, {"inodes", f.inodes}}}};
        }}},
      {"cache"});
  if (!control) spdlog::warn("no control socket: {}", control.error().message);
  // Tells `ipfsfs cache …` and `ipfsfs add` where to find the mount that holds the cache.
  std::unique_ptr<MountPointer> pointer;
  if (control) {
    auto p = MountPointer::Write(cache_dir, SocketPath(mountpoint), mountpoint);
    if (p) pointer = std::move(*p);
    else spdlog::warn("cache commands will not find this mount: {}", p.error().message);
  }

  // Ready once the kernel's first request is answered: stat needs INIT and GETATTR.
  fs::FuseMount* fuse_mount = mount->get();
  std::thread ready([mountpoint, report_fd, fuse_mount] {
    struct stat st {};
    int rc = stat(mountpoint.c_str(), &st);
    if (rc == 0) fuse_mount->TuneReadAhead();
    Tell(report_fd, rc == 0 ? "ready" : std::string("mount did not answer: ") + std::strerror(errno));
    if (report_fd >= 0) close(report_fd);
  });
  // Streamed blocks are freed by other threads than made them, so glibc's
  // arenas keep free pages resident; hand them back now and then (the RSS goal
  // is 100 MiB however long a file is streamed).
  std::atomic<bool> trimming{true};
  std::mutex trim_mu;
  std::condition_variable trim_cv;
  std::thread trimmer([&] {
    std::unique_lock lock(trim_mu);
    while (!trim_cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return !trimming.load(); })) malloc_trim(0);
  });
  // FUSE workers are created by Run from this thread: let them take the
  // signals that libfuse's handlers turn into a clean exit.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  int signal_number = (*mount)->Run(true);
  ready.join();
  {
    std::lock_guard lock(trim_mu);
    trimming = false;
  }
  trim_cv.notify_all();
  trimmer.join();
  if (signal_number) spdlog::info("signal {}: unmounted {}", signal_number, mountpoint);
  pointer.reset();
  if (control) control->reset();  // waits for cache commands still running
  // Queued prefetches need the cache; then the cache cancels what is still in
  // flight and runs those callbacks, which reply into the session and the
  // filesystem, so both must still exist.
  prefetch_pool.Shutdown();
  cache->reset();
  mount->reset();
  spdlog::info("stopped");
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
  return 0;
}

int RunMount() {
  MountArgs& a = Args();
  ParsedOptions parsed = ParseO(a.o);
  std::string log_level = a.log_level.empty() && parsed.twins.count("log_level") ? parsed.twins["log_level"] : a.log_level;
  std::string log_file = a.log_file.empty() && parsed.twins.count("log_file") ? parsed.twins["log_file"] : a.log_file;
  bool foreground = a.foreground || parsed.twins.count("foreground");
  std::string mountpoint = Absolute(a.mountpoint);
  // The daemon runs in /: relative paths are the caller's.
  for (auto [key, field] : {std::pair{"cache_dir", &a.sources.cache_dir}, std::pair{"config", &a.sources.config}}) {
    if (field->empty() && parsed.twins.count(key)) *field = parsed.twins[key];
    if (!field->empty()) *field = Absolute(*field);
  }

  if (auto st = CheckMountpoint(mountpoint); !st) return ReportError("mount " + mountpoint, st.error());

  spdlog::level::level_enum level = a.verbose >= 2 ? spdlog::level::trace
                                    : a.verbose == 1 ? spdlog::level::debug
                                                     : spdlog::level::info;
  if (!log_level.empty()) {
    level = spdlog::level::from_str(log_level);
    if (level == spdlog::level::off && log_level != "off") return ReportUsage("bad --log-level '" + log_level + "'");
  }
  // Signals are blocked in every thread but the FUSE workers (see Serve).
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (foreground) {
    SetupLogging(log_file, level, true);
    return Serve(mountpoint, -1);
  }
  if (log_file.empty()) {
    MakeDirs(DefaultStateDir());
    log_file = SocketPath(mountpoint);
    log_file.replace(log_file.size() - 5, 5, ".log");
  } else {
    log_file = Absolute(log_file);
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return ReportError("mount", Error{ErrorCode::kInternal, "pipe failed"});
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) return ReportError("mount", Error{ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno)});
  if (pid > 0) {
    close(pipefd[1]);
    std::string message;
    char buf[512];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) message.append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
    if (message.rfind("ready", 0) == 0) return 0;
    if (message.empty()) {
      int status = 0;
      waitpid(pid, &status, 0);
      message = "the mount process died before the mount was ready (see " + log_file + ")";
    }
    while (!message.empty() && message.back() == '\n') message.pop_back();
    std::cerr << "ipfsfs: " << message << "\n";
    return 1;
  }
  // The daemon: own session, no terminal, cwd /, stdio to /dev/null.
  close(pipefd[0]);
  setsid();
  if (chdir("/") != 0) {
  }
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (devnull > 2) close(devnull);
  SetupLogging(log_file, level, false);
  int rc = Serve(mountpoint, pipefd[1]);
  spdlog::shutdown();
  _exit(rc);
}

void Setup(CLI::App& app, int& exit_code) {
  MountArgs& a = Args();
  auto* mount = app.add_subcommand("mount", "Mount IPFS as a filesystem (ipfs/<cid>/...)");
  mount->add_option("mountpoint", a.mountpoint, "Where to mount")->required();
  mount->add_flag("-f,--foreground", a.foreground, "Stay in the foreground (else daemonize once mounted)");
  mount->add_option("-o", a.o, "Mount options, comma-separated: FUSE options and the -o twin of every long flag")
      ->allow_extra_args(false);
  mount->add_flag("--allow-other", a.allow_other, "Let other users in (= -o allow_other)");
  mount->add_flag("--allow-root", a.allow_root, "Let root in (= -o allow_root)");
  mount->add_flag("--read-only", a.read_only, "Read-only mount (= -o ro)");
  mount->add_option("--uid", a.uid, "Owner shown for everything (default: yours)");
  mount->add_option("--gid", a.gid, "Group shown for everything (default: yours)");
  mount->add_option("--file-mode", a.file_mode, "Permission bits of files, octal (default: UnixFS mode or 0444)");
  mount->add_option("--dir-mode", a.dir_mode, "Permission bits of directories, octal (default: UnixFS mode or 0555)");
  mount->add_option("--attr-timeout", a.attr_timeout, "How long the kernel caches names and attributes (e.g. 1h)");
  mount->add_option("--read-ahead", a.read_ahead, "Read-ahead window for sequential reads (default 8M)");
  mount->add_option("--car-range", a.car_range,
                    "Long sequential reads take the rest of a file as ranged CARs of this size (default 64M; 0: "
                    "block by block only)");
  mount->add_option("--log-file", a.log_file, "Log here (default: stderr with -f, else a file in the state dir)");
  mount->add_option("--log-level", a.log_level, "trace, debug, info, warn, error");
  mount->add_flag("-v", a.verbose, "More logging (-vv: trace)");
  mount->add_flag("--fuse-debug", a.fuse_debug, "libfuse's own request trace");
  AddSourceOptions(*mount, a.sources);
  mount->callback([&exit_code] { exit_code = RunMount(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(10, Setup);

}  // namespace ipfsfs::tools
