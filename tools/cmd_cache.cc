// `ipfsfs cache stat | gc | pin add/rm/ls | prefetch CID | import FILE.car | export CID OUT.car | verify`
//
// The operations themselves are in tools/internal/cache_ops.h. When the cache
// is locked by a running mount (which holds it for its whole life), the
// command asks that mount to run the operation over its control socket and
// prints its answer: same output, same exit code. The mount then fetches from
// its own sources within its own quota (source flags given here do not
// apply) and shows no progress line.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "blockcache/block_cache.h"
#include "tools/command.h"
#include "tools/internal/cache_ops.h"
#include "tools/internal/control.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

struct CacheArgs {
  SourceOptions sources;
  CacheOp op;
};

CacheArgs& Args() {
  static CacheArgs args;
  return args;
}

// The mount named in the cache dir runs `op`; nullopt when none answers
// (no pointer, a stale one, or a mount of another cache).
std::optional<int> RunInMount(const std::string& cache_dir, CacheOp op, const Error& busy) {
  auto mount = FindMount(cache_dir);
  if (!mount) return std::nullopt;
  if (!op.file.empty()) {
    op.shown_file = op.file;
    op.file = Absolute(op.file);  // the mount's cwd is /
  }
  auto reply = AskMountToRun(mount->socket, cache_dir, op);
  if (!reply && reply.error().code == ErrorCode::kNotFound) return std::nullopt;
  if (!reply) {
    return ReportError(CacheOpWhat(op), Error{busy.code, busy.message + " (its mount at " + mount->mountpoint +
                                                             " could not run this: " + reply.error().message + ")"});
  }
  std::cout << reply->out << std::flush;
  std::cerr << reply->err << std::flush;
  return reply->exit;
}

int Run(const char* name) {
  CacheOp op = Args().op;
  op.name = name;
  op.progress = isatty(STDERR_FILENO) && !op.json;
  if (int rc = CheckCacheOp(op, std::cerr); rc != 0) return rc;
  auto options = ResolveSourceOptions(Args().sources);
  if (!options && options.error().code == ErrorCode::kInvalidArgument) return ReportUsage(options.error().message);
  if (!options) return ReportError(CacheOpWhat(op), options.error());
  std::string cache_dir = options->cache_dir;
  auto cache = blockcache::BlockCache::Open(std::move(*options));
  if (!cache && cache.error().code == ErrorCode::kUnavailable && !cache_dir.empty()) {
    if (auto rc = RunInMount(cache_dir, op, cache.error())) return *rc;
  }
  if (!cache && cache.error().code == ErrorCode::kInvalidArgument) return ReportUsage(cache.error().message);
  if (!cache) return ReportError(CacheOpWhat(op), cache.error());
  return RunCacheOp(**cache, op, std::cout, std::cerr);
}

void Setup(CLI::App& app, int& exit_code) {
  auto* cache = app.add_subcommand("cache", "Inspect and manage the local block cache");
  cache->require_subcommand(1);
  CacheOp& op = Args().op;
  auto leaf = [&](CLI::App* parent, const char* name, const char* op_name, const char* help) {
    auto* sub = parent->add_subcommand(name, help);
    AddSourceOptions(*sub, Args().sources);
    sub->add_flag("--json", op.json, "One JSON object per line");
    sub->callback([&exit_code, op_name] { exit_code = Run(op_name); });
    return sub;
  };
  leaf(cache, "stat", "stat", "Show what the cache holds");
  auto* gc = leaf(cache, "gc", "gc", "Evict unpinned blocks down to the quota");
  gc->add_flag("--all", op.all, "Evict every unpinned block");
  gc->add_option("--target", op.gc_target, "Evict down to this size instead of the quota (e.g. 1G)");
  auto* pin = cache->add_subcommand("pin", "Recursive pins: never evicted");
  pin->require_subcommand(1);
  leaf(pin, "add", "pin-add", "Fetch and pin a DAG")->add_option("cid", op.cid, "Root CID")->required();
  leaf(pin, "rm", "pin-rm", "Unpin a DAG")->add_option("cid", op.cid, "Root CID")->required();
  leaf(pin, "ls", "pin-ls", "List pinned roots");
  auto* pf = leaf(cache, "prefetch", "prefetch", "Fetch a whole DAG into the cache");
  pf->add_option("cid", op.cid, "Root CID")->required();
  pf->add_flag("--no-car", op.no_car, "Block by block only, no CAR request");
  auto* im = leaf(cache, "import", "import", "Store (and pin) every block of a CAR file");
  im->add_option("file", op.file, "CAR file")->required()->check(CLI::ExistingFile);
  im->add_flag("!--no-pin", op.pin_roots, "Do not pin the CAR's roots");
  auto* ex = leaf(cache, "export", "export", "Write a DAG as a CARv1 file");
  ex->add_option("cid", op.cid, "Root CID")->required();
  ex->add_option("out", op.file, "Output CAR file")->required();
  leaf(cache, "verify", "verify", "Re-hash every cached block; remove damaged ones");
}

IPFSFS_REGISTER_COMMAND(40, Setup);

}  // namespace
}  // namespace ipfsfs::tools
