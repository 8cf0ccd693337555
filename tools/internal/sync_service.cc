#include "tools/internal/sync_service.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "blockcache/dag_tools.h"
#include "writeback/cache_sink.h"

namespace ipfsfs::tools {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<SyncService>> SyncService::Open(SyncServiceOptions options, blockcache::BlockCache& cache) {
  if (options.staging_dir.empty()) return MakeError(ErrorCode::kInvalidArgument, "no staging directory");
  while (options.staging_dir.size() > 1 && options.staging_dir.back() == '/') options.staging_dir.pop_back();
  if (::mkdir(options.staging_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return MakeError(ErrorCode::kUnavailable, options.staging_dir + ": " + std::strerror(errno));
  }
  if (options.state_dir.empty()) options.state_dir = options.staging_dir + ".sync";
  auto state = writeback::OpenRocksSyncState(options.state_dir);
  if (!state) return tl::unexpected(state.error());
  if (auto root = (*state)->Root()) {
    auto pins = cache.Pins();
    if (!pins || std::find(pins->begin(), pins->end(), *root) == pins->end()) {
      spdlog::warn("sync index {}: its root {} is not pinned in this cache; the next sync reads every file",
                   options.state_dir, root->ToString());
      IPFSFS_RETURN_IF_ERROR((*state)->ClearIndex());
    }
  }
  return std::unique_ptr<SyncService>(new SyncService(std::move(options), cache, std::move(*state)));
}

SyncService::SyncService(SyncServiceOptions options, blockcache::BlockCache& cache,
                         std::unique_ptr<writeback::SyncState> state)
    : options_(std::move(options)),
      cache_(cache),
      state_(std::move(state)),
      syncer_(std::make_unique<writeback::Syncer>(*state_)),
      snapshot_(std::make_shared<const writeback::SyncIndex>(state_->Entries())),
      root_(state_->Root()) {
  if (options_.auto_sync.count() > 0) {
    scheduler_ = std::make_unique<writeback::SyncScheduler>(options_.auto_sync, [this] {
      auto r = Sync("");
      if (r) {
        spdlog::info("auto-sync: {}{}", r->root.ToString(), r->changed ? "" : " (unchanged)");
        if (options_.publish) options_.publish(r->root, {});  // each outcome is logged by the publisher
      } else {
        spdlog::error("auto-sync failed: {}", r.error().message);
      }
    });
  }
}

SyncService::~SyncService() {
  closing_ = true;
  scheduler_.reset();
  std::lock_guard lock(mu_);  // a sync still running (a control request) ends at its next poll
}

Result<writeback::SyncResult> SyncService::Sync(const std::string& path) {
  std::lock_guard lock(mu_);
  files_ = 0;
  bytes_ = 0;
  started_ms_ = NowMs();
  running_ = true;
  writeback::SyncHooks hooks;
  hooks.unpin = [this](const ipld::Cid& old) { return blockcache::Unpin(cache_, old); };
  hooks.cancelled = [this] { return closing_.load(); };
  hooks.progress = [this](const writeback::SyncStats& s) {
    files_ = s.files_read;
    bytes_ = s.bytes_read;
  };
  writeback::CacheSink sink(cache_);
  std::string scope = path;
  while (!scope.empty() && scope.back() == '/') scope.pop_back();
  while (!scope.empty() && scope.front() == '/') scope.erase(0, 1);
  auto result = syncer_->Sync(options_.staging_dir, options_.import, sink, hooks, scope);
  running_ = false;
  if (result) {
    auto snapshot = std::make_shared<const writeback::SyncIndex>(state_->Entries());
    std::lock_guard snap_lock(snapshot_mu_);
    snapshot_ = std::move(snapshot);
    root_ = result->root;
  }
  if (result && !result->warning.empty()) spdlog::warn("sync: {}", result->warning);
  return result;
}

nlohmann::json SyncService::SyncJson(const nlohmann::json& request) {
  std::string path = request.contains("path") && request["path"].is_string() ? request["path"].get<std::string>() : "";
  auto r = Sync(path);
  if (!r) {
    spdlog::error("sync: {}", r.error().message);
    return {{"error", r.error().message}};
  }
  spdlog::info("sync: {} ({} files read, {} reused)", r->root.ToString(), r->stats.files_read, r->stats.files_reused);
  std::vector<std::string> once;
  if (request.contains("publish") && request["publish"].is_array()) {
    for (const auto& t : request["publish"]) {
      if (t.is_string()) once.push_back(t.get<std::string>());
    }
  }
  nlohmann::json published = nlohmann::json::array();
  if (options_.publish) {
    published = options_.publish(r->root, once);
  } else {
    for (const auto& t : once) published.push_back({{"target", t}, {"ok", false}, {"line", "this mount cannot publish"}});
  }
  return {{"root", r->root.ToString()},
          {"publish", published},
          {"changed", r->changed},
          {"files_read", r->stats.files_read},
          {"files_reused", r->stats.files_reused},
          {"bytes_read", r->stats.bytes_read},
          {"dirs_built", r->stats.dirs_built},
          {"dirs_reused", r->stats.dirs_reused},
          {"placeholders", r->stats.placeholders},
          {"deferred", r->deferred},
          {"warning", r->warning}};
}

nlohmann::json SyncService::ProgressJson() const {
  bool running = running_.load();
  nlohmann::json root = nullptr;
  {
    std::lock_guard lock(snapshot_mu_);
    if (root_) root = root_->ToString();
  }
  return {{"root", root},
          {"running", running},
          {"files", files_.load()},
          {"bytes", bytes_.load()},
          {"elapsed_ms", running ? NowMs() - started_ms_.load() : 0}};
}

void SyncService::Touch() {
  if (scheduler_) scheduler_->Touch();
}

std::optional<ipld::Cid> SyncService::Lookup(const std::string& path) const {
  std::shared_ptr<const writeback::SyncIndex> snapshot;
  {
    std::lock_guard lock(snapshot_mu_);
    snapshot = snapshot_;
  }
  auto it = snapshot->find(path);
  if (it == snapshot->end()) return std::nullopt;
  return it->second.cid;
}

}  // namespace ipfsfs::tools
