// `ipfsfs cache stat | gc | pin add/rm/ls | prefetch CID | import FILE.car | export CID OUT.car | verify`
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "blockcache/block_cache.h"
#include "tools/command.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

struct CacheArgs {
  SourceOptions sources;
  bool json = false;
  std::string cid;
  std::string file;
  std::string gc_target;
  bool all = false;
  bool no_car = false;
  bool pin_roots = true;
};

CacheArgs& Args() {
  static CacheArgs args;
  return args;
}

Result<ipld::Cid> ParseCid(const std::string& text) {
  std::string s = text;
  if (s.rfind("/ipfs/", 0) == 0) s = s.substr(6);
  auto cid = ipld::Cid::Parse(s);
  if (!cid) return tl::unexpected(cid.error());
  return cid;
}

int WithCache(const std::string& what, const std::function<int(blockcache::BlockCache&)>& fn) {
  auto cache = OpenBlockCache(Args().sources);
  if (!cache && cache.error().code == ErrorCode::kInvalidArgument) return ReportUsage(cache.error().message);
  if (!cache) return ReportError(what, cache.error());
  return fn(**cache);
}

int Stat() {
  return WithCache("cache stat", [](blockcache::BlockCache& cache) {
    auto s = cache.Stats();
    if (Args().json) {
      nlohmann::json j = {{"blocks", s.stored_blocks},     {"bytes", s.stored_bytes},
                          {"max_bytes", s.max_bytes},      {"pinned_blocks", s.pinned_blocks},
                          {"pinned_roots", s.pinned_roots}};
      std::cout << j.dump() << "\n";
      return 0;
    }
    std::cout << "blocks:  " << s.stored_blocks << " (" << s.pinned_blocks << " pinned, under " << s.pinned_roots
              << " roots)\n"
              << "size:    " << FormatSize(s.stored_bytes) << " of " << FormatSize(s.max_bytes) << "\n";
    return 0;
  });
}

int Gc() {
  return WithCache("cache gc", [](blockcache::BlockCache& cache) {
    std::optional<uint64_t> target;
    if (Args().all) target = 0;
    if (!Args().gc_target.empty()) {
      auto t = ParseSize(Args().gc_target);
      if (!t) return ReportUsage(t.error().message);
      target = *t;
    }
    auto r = cache.Gc(target);
    if (!r) return ReportError("cache gc", r.error());
    if (Args().json) {
      std::cout << nlohmann::json{{"evicted_blocks", r->evicted_blocks}, {"evicted_bytes", r->evicted_bytes}}.dump()
                << "\n";
    } else {
      std::cout << "removed " << r->evicted_blocks << " blocks (" << FormatSize(r->evicted_bytes) << ")\n";
    }
    return 0;
  });
}

int PinAdd() {
  auto cid = ParseCid(Args().cid);
  if (!cid) return ReportUsage(cid.error().message);
  return WithCache("pin add " + Args().cid, [&](blockcache::BlockCache& cache) {
    if (auto s = cache.Pin(*cid); !s) return ReportError("pin add " + Args().cid, s.error());
    std::cout << "pinned " << cid->ToString() << " recursively\n";
    return 0;
  });
}

int PinRm() {
  auto cid = ParseCid(Args().cid);
  if (!cid) return ReportUsage(cid.error().message);
  return WithCache("pin rm " + Args().cid, [&](blockcache::BlockCache& cache) {
    if (auto s = cache.Unpin(*cid); !s) return ReportError("pin rm " + Args().cid, s.error());
    std::cout << "unpinned " << cid->ToString() << "\n";
    return 0;
  });
}

int PinLs() {
  return WithCache("pin ls", [](blockcache::BlockCache& cache) {
    auto pins = cache.Pins();
    if (!pins) return ReportError("pin ls", pins.error());
    for (const auto& p : *pins) {
      if (Args().json) std::cout << nlohmann::json{{"cid", p.ToString()}, {"type", "recursive"}}.dump() << "\n";
      else std::cout << p.ToString() << " recursive\n";
    }
    return 0;
  });
}

int Prefetch() {
  auto cid = ParseCid(Args().cid);
  if (!cid) return ReportUsage(cid.error().message);
  return WithCache("prefetch " + Args().cid, [&](blockcache::BlockCache& cache) {
    bool tty = isatty(STDERR_FILENO) && !Args().json;
    auto start = std::chrono::steady_clock::now();
    auto progress = [&](const blockcache::BlockCache::FetchProgress& p) {
      if (!tty) return;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\r%llu blocks, %s, %s/s   ", static_cast<unsigned long long>(p.blocks),
                   FormatSize(p.bytes).c_str(), FormatSize(static_cast<uint64_t>(p.bytes / std::max(secs, 1e-3))).c_str());
    };
    auto r = cache.Fetch(*cid, !Args().no_car, progress);
    if (tty) std::fprintf(stderr, "\n");
    if (!r) return ReportError("prefetch " + Args().cid, r.error());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (Args().json) {
      std::cout << nlohmann::json{{"cid", cid->ToString()}, {"blocks", r->blocks}, {"bytes", r->bytes},
                                  {"seconds", secs}}.dump()
                << "\n";
    } else {
      std::cout << "prefetched " << cid->ToString() << ": " << r->blocks << " blocks, " << FormatSize(r->bytes) << "\n";
    }
    return 0;
  });
}

int Import() {
  return WithCache("import " + Args().file, [](blockcache::BlockCache& cache) {
    auto roots = cache.ImportCar(Args().file);
    if (!roots) return ReportError("import " + Args().file, roots.error());
    for (const auto& root : *roots) {
      if (Args().pin_roots) {
        if (auto s = cache.Pin(root); !s) return ReportError("pin " + root.ToString(), s.error());
        std::cout << "imported and pinned " << root.ToString() << "\n";
      } else {
        std::cout << "imported " << root.ToString() << "\n";
      }
    }
    return 0;
  });
}

int Export() {
  auto cid = ParseCid(Args().cid);
  if (!cid) return ReportUsage(cid.error().message);
  return WithCache("export " + Args().cid, [&](blockcache::BlockCache& cache) {
    if (auto s = cache.ExportCar(*cid, Args().file); !s) return ReportError("export " + Args().cid, s.error());
    return 0;
  });
}

int Verify() {
  return WithCache("cache verify", [](blockcache::BlockCache& cache) {
    auto r = cache.Verify();
    if (!r) return ReportError("cache verify", r.error());
    if (Args().json) {
      std::cout << nlohmann::json{{"checked", r->checked}, {"removed", r->removed}}.dump() << "\n";
    } else {
      std::cout << "verified " << r->checked << " blocks, removed " << r->removed << " damaged\n";
    }
    return r->removed == 0 ? 0 : 1;
  });
}

void Setup(CLI::App& app, int& exit_code) {
  auto* cache = app.add_subcommand("cache", "Inspect and manage the local block cache");
  cache->require_subcommand(1);
  auto leaf = [&](CLI::App* parent, const char* name, const char* help, int (*fn)()) {
    auto* sub = parent->add_subcommand(name, help);
    AddSourceOptions(*sub, Args().sources);
    sub->add_flag("--json", Args().json, "One JSON object per line");
    sub->callback([&exit_code, fn] { exit_code = fn(); });
    return sub;
  };
  leaf(cache, "stat", "Show what the cache holds", Stat);
  auto* gc = leaf(cache, "gc", "Evict unpinned blocks down to the quota", Gc);
  gc->add_flag("--all", Args().all, "Evict every unpinned block");
  gc->add_option("--target", Args().gc_target, "Evict down to this size instead of the quota (e.g. 1G)");
  auto* pin = cache->add_subcommand("pin", "Recursive pins: never evicted");
  pin->require_subcommand(1);
  leaf(pin, "add", "Fetch and pin a DAG", PinAdd)->add_option("cid", Args().cid, "Root CID")->required();
  leaf(pin, "rm", "Unpin a DAG", PinRm)->add_option("cid", Args().cid, "Root CID")->required();
  leaf(pin, "ls", "List pinned roots", PinLs);
  auto* pf = leaf(cache, "prefetch", "Fetch a whole DAG into the cache", Prefetch);
  pf->add_option("cid", Args().cid, "Root CID")->required();
  pf->add_flag("--no-car", Args().no_car, "Block by block only, no CAR request");
  auto* im = leaf(cache, "import", "Store (and pin) every block of a CAR file", Import);
  im->add_option("file", Args().file, "CAR file")->required()->check(CLI::ExistingFile);
  im->add_flag("!--no-pin", Args().pin_roots, "Do not pin the CAR's roots");
  auto* ex = leaf(cache, "export", "Write a DAG as a CARv1 file", Export);
  ex->add_option("cid", Args().cid, "Root CID")->required();
  ex->add_option("out", Args().file, "Output CAR file")->required();
  leaf(cache, "verify", "Re-hash every cached block; remove damaged ones", Verify);
}

IPFSFS_REGISTER_COMMAND(40, Setup);

}  // namespace
}  // namespace ipfsfs::tools
