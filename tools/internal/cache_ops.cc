#include "tools/internal/cache_ops.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>

#include "blockcache/dag_tools.h"
#include "ipld/cid.h"
#include "tools/internal/control.h"
#include "tools/internal/progress.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

Result<ipld::Cid> ParseCid(const std::string& text) {
  std::string s = text;
  if (s.rfind("/ipfs/", 0) == 0) s = s.substr(6);
  return ipld::Cid::Parse(s);
}

bool NeedsCid(const std::string& name) {
  return name == "pin-add" || name == "pin-rm" || name == "prefetch" || name == "export";
}

std::string Shown(const CacheOp& op) { return op.shown_file.empty() ? op.file : op.shown_file; }

int Stat(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out) {
  auto s = cache.Stats();
  if (op.json) {
    nlohmann::json j = {{"blocks", s.stored_blocks},     {"bytes", s.stored_bytes},
                        {"max_bytes", s.max_bytes},      {"pinned_blocks", s.pinned_blocks},
                        {"pinned_roots", s.pinned_roots}};
    out << j.dump() << "\n";
    return 0;
  }
  out << "blocks:  " << s.stored_blocks << " (" << s.pinned_blocks << " pinned, under " << s.pinned_roots
      << " roots)\n"
      << "size:    " << FormatSize(s.stored_bytes) << " of " << FormatSize(s.max_bytes) << "\n";
  return 0;
}

int Gc(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err) {
  std::optional<uint64_t> target;
  if (op.all) target = 0;
  if (!op.gc_target.empty()) {
    auto t = ParseSize(op.gc_target);
    if (!t) return ReportUsageTo(err, t.error().message);
    target = *t;
  }
  auto r = cache.Gc(target);
  if (!r) return ReportErrorTo(err, "cache gc", r.error());
  if (op.json) {
    out << nlohmann::json{{"evicted_blocks", r->evicted_blocks}, {"evicted_bytes", r->evicted_bytes}}.dump() << "\n";
  } else {
    out << "removed " << r->evicted_blocks << " blocks (" << FormatSize(r->evicted_bytes) << ")\n";
  }
  return 0;
}

int PinLs(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err) {
  auto pins = cache.Pins();
  if (!pins) return ReportErrorTo(err, "pin ls", pins.error());
  for (const auto& p : *pins) {
    if (op.json) out << nlohmann::json{{"cid", p.ToString()}, {"type", "recursive"}}.dump() << "\n";
    else out << p.ToString() << " recursive\n";
  }
  return 0;
}

int Prefetch(blockcache::BlockCache& cache, const CacheOp& op, const ipld::Cid& cid, std::ostream& out,
             std::ostream& err) {
  bool progress = op.progress && !op.json;
  auto start = std::chrono::steady_clock::now();
  auto report = [&](const blockcache::FetchProgress& p) {
    if (!progress) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char line[160];
    std::snprintf(line, sizeof line, "\r%llu blocks, %s, %s/s   ", static_cast<unsigned long long>(p.blocks),
                  FormatSize(p.bytes).c_str(),
                  FormatSize(static_cast<uint64_t>(static_cast<double>(p.bytes) / std::max(secs, 1e-3))).c_str());
    err << line << std::flush;
  };
  auto r = blockcache::FetchDag(cache, cid, !op.no_car, report);
  if (progress) err << "\n";
  if (!r) return ReportErrorTo(err, "prefetch " + op.cid, r.error());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (op.json) {
    out << nlohmann::json{{"cid", cid.ToString()}, {"blocks", r->blocks}, {"bytes", r->bytes}, {"seconds", secs}}.dump()
        << "\n";
  } else {
    out << "prefetched " << cid.ToString() << ": " << r->blocks << " blocks, " << FormatSize(r->bytes) << "\n";
  }
  return 0;
}

int Import(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err) {
  // A CAR larger than the quota keeps its first blocks until its roots are pinned.
  auto hold = cache.HoldNewBlocks();
  std::error_code size_error;
  uint64_t car_size = std::filesystem::file_size(op.file, size_error);
  ProgressLine line(err, op.progress && !op.json, size_error ? 0 : car_size);
  auto roots = blockcache::ImportCar(cache, op.file, [&line](uint64_t n) { line.Add(n); });
  line.Finish();
  if (!roots) return ReportErrorTo(err, "import " + Shown(op), roots.error());
  for (const auto& root : *roots) {
    if (op.pin_roots) {
      if (auto s = blockcache::Pin(cache, root); !s) return ReportErrorTo(err, "pin " + root.ToString(), s.error());
      out << "imported and pinned " << root.ToString() << "\n";
    } else {
      out << "imported " << root.ToString() << "\n";
    }
  }
  return 0;
}

int Verify(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err) {
  auto r = cache.Verify();
  if (!r) return ReportErrorTo(err, "cache verify", r.error());
  if (op.json) {
    out << nlohmann::json{{"checked", r->checked}, {"removed", r->removed}}.dump() << "\n";
  } else {
    out << "verified " << r->checked << " blocks, removed " << r->removed << " damaged\n";
  }
  return r->removed == 0 ? 0 : 1;
}

}  // namespace

int ReportErrorTo(std::ostream& err, const std::string& what, const Error& error) {
  err << "ipfsfs: " << what << ": " << error.message << "\n";
  return 1;
}

int ReportUsageTo(std::ostream& err, const std::string& message) {
  err << "ipfsfs: " << message << "\n"
      << "Run with --help for more information.\n";
  return 2;
}

nlohmann::json CacheOpToJson(const CacheOp& op) {
  return {{"name", op.name},         {"json", op.json},     {"cid", op.cid},       {"file", op.file},
          {"shown_file", op.shown_file}, {"gc_target", op.gc_target}, {"all", op.all}, {"no_car", op.no_car},
          {"pin_roots", op.pin_roots}};
}

Result<CacheOp> CacheOpFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return MakeError(ErrorCode::kInvalidArgument, "cache request: not an object");
  CacheOp op;
  auto str = [&](const char* key, std::string& field) -> bool {
    if (!j.contains(key)) return true;
    if (!j[key].is_string()) return false;
    field = j[key].get<std::string>();
    return true;
  };
  auto flag = [&](const char* key, bool& field) -> bool {
    if (!j.contains(key)) return true;
    if (!j[key].is_boolean()) return false;
    field = j[key].get<bool>();
    return true;
  };
  bool ok = str("name", op.name) && str("cid", op.cid) && str("file", op.file) && str("shown_file", op.shown_file) &&
            str("gc_target", op.gc_target) && flag("json", op.json) && flag("all", op.all) &&
            flag("no_car", op.no_car) && flag("pin_roots", op.pin_roots);
  if (!ok) return MakeError(ErrorCode::kInvalidArgument, "cache request: a field has the wrong type");
  return op;
}

std::string CacheOpWhat(const CacheOp& op) {
  if (op.name == "stat" || op.name == "gc" || op.name == "verify") return "cache " + op.name;
  if (op.name == "pin-add") return "pin add " + op.cid;
  if (op.name == "pin-rm") return "pin rm " + op.cid;
  if (op.name == "pin-ls") return "pin ls";
  if (op.name == "prefetch" || op.name == "export") return op.name + " " + op.cid;
  if (op.name == "import") return "import " + Shown(op);
  return "cache " + op.name;
}

int CheckCacheOp(const CacheOp& op, std::ostream& err) {
  static const char* kNames[] = {"stat", "gc", "pin-add", "pin-rm", "pin-ls", "prefetch", "import", "export", "verify"};
  if (std::none_of(std::begin(kNames), std::end(kNames), [&](const char* n) { return op.name == n; })) {
    return ReportUsageTo(err, "unknown cache operation '" + op.name + "'");
  }
  if (NeedsCid(op.name)) {
    if (auto cid = ParseCid(op.cid); !cid) return ReportUsageTo(err, cid.error().message);
  }
  if ((op.name == "import" || op.name == "export") && op.file.empty()) {
    return ReportUsageTo(err, op.name + ": a file is required");
  }
  if (op.name == "gc" && !op.gc_target.empty()) {
    if (auto t = ParseSize(op.gc_target); !t) return ReportUsageTo(err, t.error().message);
  }
  return 0;
}

int RunCacheOp(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err) {
  if (int rc = CheckCacheOp(op, err); rc != 0) return rc;
  std::optional<ipld::Cid> cid;
  if (NeedsCid(op.name)) {
    auto parsed = ParseCid(op.cid);
    if (!parsed) return ReportUsageTo(err, parsed.error().message);
    cid = *parsed;
  }
  if (op.name == "stat") return Stat(cache, op, out);
  if (op.name == "gc") return Gc(cache, op, out, err);
  if (op.name == "pin-add") {
    if (auto s = blockcache::Pin(cache, *cid); !s) return ReportErrorTo(err, "pin add " + op.cid, s.error());
    out << "pinned " << cid->ToString() << " recursively\n";
    return 0;
  }
  if (op.name == "pin-rm") {
    if (auto s = blockcache::Unpin(cache, *cid); !s) return ReportErrorTo(err, "pin rm " + op.cid, s.error());
    out << "unpinned " << cid->ToString() << "\n";
    return 0;
  }
  if (op.name == "pin-ls") return PinLs(cache, op, out, err);
  if (op.name == "prefetch") return Prefetch(cache, op, *cid, out, err);
  if (op.name == "import") return Import(cache, op, out, err);
  if (op.name == "export") {
    // The DAG's size is unknown until walked: bytes and rate, no ETA.
    ProgressLine line(err, op.progress && !op.json, 0);
    auto s = blockcache::ExportCar(cache, *cid, op.file, [&line](uint64_t n) { line.Add(n); });
    line.Finish();
    if (!s) return ReportErrorTo(err, "export " + op.cid, s.error());
    return 0;
  }
  return Verify(cache, op, out, err);
}

Result<CacheReply> AskMountToRun(const std::string& socket, const std::string& cache_dir, const CacheOp& op) {
  nlohmann::json request = {{"command", "cache"}, {"cache_dir", Absolute(cache_dir)}, {"op", CacheOpToJson(op)}};
  // No time limit: a pin or prefetch of a big DAG takes what it takes, and the
  // mount's exit closes the socket.
  IPFSFS_ASSIGN_OR_RETURN(auto j, AskSocket(socket, request, std::chrono::milliseconds(0)));
  if (!j.contains("exit") || !j["exit"].is_number_integer()) {
    return MakeError(ErrorCode::kCorrupt, "the mount sent no exit code");
  }
  CacheReply reply;
  reply.exit = j["exit"].get<int>();
  if (j.contains("stdout") && j["stdout"].is_string()) reply.out = j["stdout"].get<std::string>();
  if (j.contains("stderr") && j["stderr"].is_string()) reply.err = j["stderr"].get<std::string>();
  return reply;
}

nlohmann::json AnswerCacheRequest(blockcache::BlockCache& cache, const std::string& cache_dir,
                                  const nlohmann::json& request) {
  if (!request.contains("cache_dir") || !request["cache_dir"].is_string() ||
      Absolute(request["cache_dir"].get<std::string>()) != cache_dir) {
    return {{"error", "this mount holds the cache " + cache_dir}, {"code", "not_found"}};
  }
  if (!request.contains("op")) return {{"error", "cache request without op"}};
  auto op = CacheOpFromJson(request["op"]);
  if (!op) return {{"error", op.error().message}};
  op->progress = false;  // the caller's stderr is a string here
  std::ostringstream out, err;
  int rc = RunCacheOp(cache, *op, out, err);
  return {{"exit", rc}, {"stdout", out.str()}, {"stderr", err.str()}};
}

}  // namespace ipfsfs::tools
