// `ipfsfs add`: files and directories -> UnixFS, as `ipfs add` builds them
// (kubo-add.md). Prints `added <cid> <path>` lines like kubo; --only-hash
// keeps nothing, --car writes a CARv1, plain add stores and pins into the
// block cache. When a running mount holds that cache, plain add writes a
// temporary CAR in the cache dir and has the mount import and pin it
// (tools/internal/control.h), with the same output.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ipld/cid.h"
#include "ipld/multihash.h"
#include "tools/command.h"
#include "tools/internal/cache_ops.h"
#include "tools/internal/control.h"
#include "tools/internal/progress.h"
#include "tools/internal/source_options.h"
#include "writeback/block_sink.h"
#include "writeback/cache_sink.h"
#include "writeback/car_sink.h"
#include "writeback/importer.h"

namespace ipfsfs::tools {
namespace {

struct AddFlags {
  bool only_hash = false;
  int cid_version = 0;
  bool raw_leaves = false;
  std::string chunker;
  bool trickle = false;
  bool recursive = false;
  bool hidden = false;
  bool wrap = false;
  bool inline_blocks = false;
  size_t inline_limit = 32;
  std::string profile;
  size_t max_file_links = 174;
  uint64_t max_hamt_fanout = 256;
  bool preserve_mode = false;
  bool preserve_mtime = false;
  std::string mode;
  int64_t mtime = 0;
  uint32_t mtime_nsecs = 0;
  std::string hash;
  std::string car;
  std::string cache_dir;
  bool quiet = false;
  bool quieter = false;
  bool json = false;
  std::vector<std::string> ignore;
  std::string ignore_rules_path;
  bool empty_dirs = true;
  bool dereference_args = false;
  bool dereference_symlinks = false;
  std::vector<std::string> paths;

  CLI::Option* cid_version_opt = nullptr;
  CLI::Option* raw_leaves_opt = nullptr;
  CLI::Option* chunker_opt = nullptr;
  CLI::Option* max_links_opt = nullptr;
  CLI::Option* fanout_opt = nullptr;
  CLI::Option* mtime_opt = nullptr;
};

// Standard input as a file (`ipfsfs add` without paths, like `ipfs add`).
class StdinSource : public writeback::ByteSource {
 public:
  Result<size_t> Read(std::span<std::byte> out) override {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::read(0, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return MakeError(ErrorCode::kUnavailable, std::string("stdin: ") + std::strerror(errno));
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }
};

// Interrupted with --car: remove the partial file (unlink is async-signal-safe).
char g_car_temp[4096];
char g_car_temp2[4096];
char g_car_whole[4096];  // the finished CAR too, when it is only a vehicle for the mount

void RemovePartialCar(int sig) {
  ::unlink(g_car_temp);
  ::unlink(g_car_temp2);
  if (g_car_whole[0] != '\0') ::unlink(g_car_whole);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void CleanUpOnSignals(const std::string& car, bool whole) {
  std::snprintf(g_car_temp, sizeof g_car_temp, "%s.tmp", car.c_str());
  std::snprintf(g_car_temp2, sizeof g_car_temp2, "%s.tmp2", car.c_str());
  if (whole) std::snprintf(g_car_whole, sizeof g_car_whole, "%s", car.c_str());
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, RemovePartialCar);
}


// Explicit flags override the profile's values (IPIP-499 presets are config).
Result<writeback::ImportOptions> BuildOptions(const AddFlags& f) {
  writeback::ImportOptions o;
  if (!f.profile.empty()) {
    IPFSFS_ASSIGN_OR_RETURN(o, writeback::ProfileOptions(f.profile));
  }
  if (f.cid_version_opt->count() > 0) o.cid_version = f.cid_version;
  if (!f.hash.empty()) {
    std::optional<uint64_t> code = ipld::HashCodeFromName(f.hash);
    if (!code) return MakeError(ErrorCode::kInvalidArgument, "unrecognized hash function: " + f.hash);
    if (*code != static_cast<uint64_t>(ipld::HashCode::kSha2_256) && f.cid_version_opt->count() > 0 &&
        f.cid_version == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "CIDv0 only supports sha2-256");
    }
    o.hash = *code;
  }
  if (f.raw_leaves_opt->count() > 0) o.raw_leaves = f.raw_leaves;
  if (f.chunker_opt->count() > 0) o.chunker = f.chunker;
  if (f.max_links_opt->count() > 0) o.max_links = f.max_file_links;
  if (f.fanout_opt->count() > 0) o.hamt_fanout = f.max_hamt_fanout;
  if (f.trickle) o.layout = writeback::Layout::kTrickle;
  o.hidden = f.hidden;
  o.wrap = f.wrap;
  o.inline_blocks = f.inline_blocks;
  o.inline_limit = f.inline_limit;
  o.preserve_mode = f.preserve_mode;
  o.preserve_mtime = f.preserve_mtime;
  if (!f.mode.empty()) {
    // Octal, as chmod and kubo's --mode take it.
    uint32_t mode = 0;
    for (char c : f.mode) {
      if (c < '0' || c > '7' || mode > 07777) {
        return MakeError(ErrorCode::kInvalidArgument, "--mode must be octal (e.g. 0644), got " + f.mode);
      }
      mode = mode * 8 + static_cast<uint32_t>(c - '0');
    }
    o.mode = mode;
  }
  if (f.mtime_opt->count() > 0) o.mtime = f.mtime;
  o.mtime_nsecs = f.mtime_nsecs;
  // The rules file's lines first, then --ignore's, as kubo compiles them.
  if (!f.ignore_rules_path.empty()) {
    std::ifstream in(f.ignore_rules_path);
    if (!in) return MakeError(ErrorCode::kInvalidArgument, "cannot read --ignore-rules-path " + f.ignore_rules_path);
    for (std::string line; std::getline(in, line);) o.ignore_rules.push_back(line);
  }
  o.ignore_rules.insert(o.ignore_rules.end(), f.ignore.begin(), f.ignore.end());
  o.empty_dirs = f.empty_dirs;
  o.dereference_args = f.dereference_args;
  o.dereference_symlinks = f.dereference_symlinks;
  return o;
}

// kubo's cmdenv.EscNonPrint: a name with a backslash or a non-printable
// character is printed as the inside of a Go quoted string.
std::string EscapeNonPrintable(const std::string& name) {
  auto is_plain = [](unsigned char c) { return c >= 0x20 && c != 0x7f && c != '\\'; };
  bool escape = false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x80 && !is_plain(c)) escape = true;
    // C1 controls U+0080..U+009F arrive as C2 80..C2 9F.
    if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xa0) escape = true;
  }
  if (!escape) return name;
  std::string out;
  char buf[8];
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    switch (c) {
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xa0) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(name[++i]));
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// --json: one object per entry, kubo's `ipfs add --enc=json` fields.
void PrintJson(const writeback::AddedEntry& e) {
  std::cout << nlohmann::json{{"Name", e.path}, {"Hash", e.cid.ToString()}, {"Size", std::to_string(e.tsize)}}.dump()
            << "\n";
}

void PrintAdded(const AddFlags& f, const writeback::AddedEntry& e) {
  if (f.quieter) return;
  if (f.json) {
    PrintJson(e);
  } else if (f.quiet) {
    std::cout << e.cid.ToString() << "\n";
  } else {
    std::cout << "added " << e.cid.ToString() << " " << EscapeNonPrintable(e.path) << "\n";
  }
}

// The bytes of the regular files under the paths, for the progress line's
// total (0 for standard input: unknown).
uint64_t InputBytes(const AddFlags& f) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (const std::string& p : f.paths) {
    bool follow = f.dereference_args || f.dereference_symlinks;
    fs::file_status st = follow ? fs::status(p, ec) : fs::symlink_status(p, ec);
    if (fs::is_regular_file(st)) {
      total += fs::file_size(p, ec);
      continue;
    }
    if (!fs::is_directory(st) || !f.recursive) continue;
    auto options = fs::directory_options::skip_permission_denied;
    if (f.dereference_symlinks) options |= fs::directory_options::follow_directory_symlink;
    for (fs::recursive_directory_iterator it(p, options, ec), end; !ec && it != end; it.increment(ec)) {
      if (!f.hidden && it->path().filename().string().front() == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      bool regular = f.dereference_symlinks ? it->is_regular_file(ec) : it->is_regular_file(ec) && !it->is_symlink(ec);
      if (regular) total += it->file_size(ec);
    }
  }
  return total;
}

Result<std::unique_ptr<writeback::CarFileSink>> CreateCar(const AddFlags& f, const writeback::ImportOptions& o,
                                                          const std::string& path) {
  size_t roots = f.wrap || f.paths.empty() ? 1 : f.paths.size();
  // The root's length as predicted; another length costs one copy at the end.
  size_t root_length = 34;
  if (o.cid_version == 1) {
    auto probe = ipld::Multihash::Sum(o.hash, ByteSpan{});
    root_length = probe ? ipld::Cid::V1(ipld::Codec::kDagPb, *probe).EncodedLength() : 36;
  }
  return writeback::CarFileSink::Create(path, roots, root_length);
}

// CARs left by adds that were killed (SIGKILL leaves no chance to clean up):
// add-<pid>.car (or .car.tmp) whose process is gone.
void RemoveStaleAddCars(const std::string& cache_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(cache_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("add-", 0) != 0) continue;
    auto dot = name.find(".car");
    if (dot == std::string::npos) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + 4, &end, 10);
    if (end != name.c_str() + dot || pid <= 0) continue;
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(e.path(), ec);
  }
}

// The mount that holds the cache imports and pins the CAR `path` (then
// removed): 0, or the exit code after its error lines.
int ImportInMount(const MountInfo& mount, const std::string& cache_dir, const std::string& path) {
  CacheOp op;
  op.name = "import";
  op.file = path;
  auto reply = AskMountToRun(mount.socket, cache_dir, op);
  ::unlink(path.c_str());
  if (!reply) {
    return ReportError("add", Error{reply.error().code, "the mount at " + mount.mountpoint +
                                                            " holds the cache and could not store the blocks: " +
                                                            reply.error().message});
  }
  if (reply->exit != 0) std::cerr << reply->err << std::flush;
  return reply->exit;
}

int RunAdd(const AddFlags& f) {
  auto options = BuildOptions(f);
  if (!options) return ReportUsage("add: " + options.error().message);
  auto resolved = writeback::ResolveOptions(*options);
  if (!resolved) return ReportUsage("add: " + resolved.error().message);

  std::unique_ptr<writeback::BlockSink> sink;
  std::optional<MountInfo> mount;  // set: the blocks go to `mount_car`, then to this mount
  std::string cache_dir = f.cache_dir.empty() ? DefaultCacheDir() : f.cache_dir;
  std::string mount_car;
  if (!f.car.empty()) {
    auto car = CreateCar(f, resolved->options, f.car);
    if (!car) return ReportError("add --car " + f.car, car.error());
    CleanUpOnSignals(f.car, false);
    sink = std::move(*car);
  } else if (f.only_hash) {
    sink = std::make_unique<writeback::NullSink>();
  } else {
    auto cache = writeback::CacheSink::Open(cache_dir);
    if (!cache && cache.error().code == ErrorCode::kUnavailable) {
      if (auto found = FindMount(cache_dir)) mount = *found;
    }
    if (mount) {
      RemoveStaleAddCars(Absolute(cache_dir));
      // In the cache dir: the one place both this command and the mount reach.
      mount_car = Absolute(cache_dir) + "/add-" + std::to_string(getpid()) + ".car";
      auto car = CreateCar(f, resolved->options, mount_car);
      if (!car) return ReportError("add", car.error());
      CleanUpOnSignals(mount_car, true);
      sink = std::move(*car);
    } else if (!cache) {
      return ReportError("add", cache.error());
    } else {
      sink = std::move(*cache);
    }
  }

  auto importer = writeback::Importer::Create(*options, *sink);
  if (!importer) return ReportUsage("add: " + importer.error().message);

  // A progress line on a terminal; the total is what the paths hold (filters may leave some out).
  const bool show_progress = ::isatty(STDERR_FILENO) == 1 && !f.json;
  ProgressLine progress(std::cerr, show_progress, show_progress ? InputBytes(f) : 0);
  (*importer)->SetReadProgress([&progress](uint64_t n) { progress.Add(n); });
  std::optional<writeback::AddedEntry> last;
  auto added = [&](const writeback::AddedEntry& e) {
    progress.Clear();
    PrintAdded(f, e);
    std::cout.flush();
    last = e;
  };
  std::vector<ipld::Cid> roots;
  if (f.paths.empty()) {
    StdinSource in;
    auto ref = (*importer)->AddStream(in);
    if (!ref) {
      std::cerr << "ipfsfs: add: " << ref.error().message << "\n";
      return 1;
    }
    added(writeback::AddedEntry{ref->cid.ToString(), ref->cid, ref->tsize, false});
    roots.push_back(ref->cid);
  } else {
    auto refs = (*importer)->AddPaths(f.paths, f.recursive, added);
    if (!refs) {
      std::cout.flush();
      std::cerr << "ipfsfs: add " << refs.error().message << "\n";
      return 1;
    }
    for (const auto& r : *refs) roots.push_back(r.cid);
  }
  progress.Finish();
  if (auto done = sink->Finish(roots); !done) {
    std::cout.flush();
    return ReportError("add", done.error());
  }
  if (mount) {
    sink.reset();
    std::cout.flush();
    if (int rc = ImportInMount(*mount, cache_dir, mount_car); rc != 0) return rc;
  }
  if (f.quieter && last) {
    if (f.json) {
      PrintJson(*last);
    } else {
      std::cout << last->cid.ToString() << "\n";
    }
  }
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<AddFlags>();
  CLI::App* add = app.add_subcommand("add", "Import files and directories as UnixFS, exactly as `ipfs add` does");
  add->add_option("paths", flags->paths, "Files or directories to add (none: standard input)");
  add->add_flag("-n,--only-hash", flags->only_hash, "Only compute the CIDs; store nothing");
  flags->cid_version_opt =
      add->add_option("--cid-version", flags->cid_version, "CID version (0 or 1; 1 turns on raw leaves)")
          ->check(CLI::Range(0, 1));
  flags->raw_leaves_opt =
      add->add_flag("--raw-leaves", flags->raw_leaves, "Raw leaves (--raw-leaves=false for dag-pb leaves)");
  flags->chunker_opt = add->add_option("-s,--chunker", flags->chunker,
                                       "Chunker: size-N, rabin, rabin-AVG, rabin-MIN-AVG-MAX, buzhash");
  add->add_option("--hash", flags->hash, "Hash function (sha2-256; others force CIDv1)");
  add->add_flag("-t,--trickle", flags->trickle, "Trickle layout instead of balanced");
  add->add_flag("-r,--recursive", flags->recursive, "Add directories recursively");
  add->add_flag("-H,--hidden", flags->hidden, "Include files whose names start with '.'");
  add->add_flag("-w,--wrap-with-directory", flags->wrap, "Wrap the arguments in a directory");
  add->add_flag("--inline", flags->inline_blocks, "Identity CIDs for blocks up to --inline-limit bytes");
  add->add_option("--inline-limit", flags->inline_limit, "Largest block to inline (bytes, at most 128)");
  add->add_option("--profile", flags->profile, "IPIP-499 profile: unixfs-v0-2015 or unixfs-v1-2025");
  flags->max_links_opt =
      add->add_option("--max-file-links", flags->max_file_links, "Links per file node (default 174)");
  flags->fanout_opt =
      add->add_option("--max-hamt-fanout", flags->max_hamt_fanout, "HAMT fanout (power of 2, 8..1024)");
  add->add_flag("--preserve-mode", flags->preserve_mode, "Store file permissions");
  add->add_flag("--preserve-mtime", flags->preserve_mtime, "Store modification times");
  add->add_option("--mode", flags->mode, "Store this mode (octal) on every file and directory");
  flags->mtime_opt = add->add_option("--mtime", flags->mtime, "Store this mtime (seconds) on every entry");
  add->add_option("--mtime-nsecs", flags->mtime_nsecs, "Nanoseconds of --mtime");
  add->add_option("--ignore", flags->ignore, "A .gitignore-style rule for names to leave out (repeatable)")
      ->allow_extra_args(false);
  add->add_option("--ignore-rules-path", flags->ignore_rules_path, "A file of .gitignore-style rules")
      ->check(CLI::ExistingFile);
  add->add_flag("-E,--empty-dirs", flags->empty_dirs,
                "Keep empty directories (default; --empty-dirs=false leaves them out)");
  add->add_flag("--dereference-args", flags->dereference_args, "Follow symlinks given as arguments");
  add->add_flag("--dereference-symlinks", flags->dereference_symlinks,
                "Follow every symlink, in the arguments and below them");
  add->add_option("--car", flags->car, "Write the blocks to this CARv1 file");
  add->add_option("--cache-dir", flags->cache_dir, "Block cache to store and pin into (plain add)");
  add->add_flag("-q,--quiet", flags->quiet, "Print only the CIDs");
  add->add_flag("-Q,--quieter", flags->quieter, "Print only the final root CID");
  add->add_flag("--json", flags->json, "One JSON object per entry (Name, Hash, Size as `ipfs add --enc=json`)");
  add->callback([flags, &exit_code] { exit_code = RunAdd(*flags); });
}

IPFSFS_REGISTER_COMMAND(30, Setup);

}  // namespace
}  // namespace ipfsfs::tools
