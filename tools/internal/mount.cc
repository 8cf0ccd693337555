#include "tools/internal/mount.h"

#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <type_traits>
#include <thread>

#include <spdlog/spdlog.h>

#include "blockcache/executor.h"
#include "fs/ipns_tree.h"
#include "fs/stager.h"
#include "resolver/resolver.h"
#include "tools/internal/cache_ops.h"
#include "tools/internal/control.h"
#include "tools/internal/name_options.h"
#include "tools/internal/publish_service.h"
#include "tools/internal/name_publishing.h"
#include "tools/internal/sync_service.h"

namespace ipfsfs::tools {
namespace {

// Streamed blocks are freed by other threads than made them, so glibc's arenas
// keep free pages resident; this hands them back now and then while it lives
// (the RSS goal is 100 MiB however long a file is streamed).
class MemoryTrimmer {
 public:
  MemoryTrimmer()
      : thread_([this] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) malloc_trim(0);
        }) {}
  ~MemoryTrimmer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// The publish targets of staging/'s syncs: the kubo node is the cache's RPC
// source; which roots ipfsfs pinned there is kept beside the sync index.
Result<std::unique_ptr<PublishService>> OpenPublishService(const MountOptions& o, blockcache::BlockCache& cache,
                                                          NamePublishing* names) {
  PublishServiceOptions po;
  if (names) {
    // ipns:KEY: the key's name moved to the new root, put to the name targets
    // (--api, --routing); with none, kept locally (the mount's ipns/ sees it).
    po.publish_name = [names](const std::string& key, const ipld::Cid& root) -> Result<std::string> {
      publish::PublishOptions opts;
      opts.allow_offline = true;
      IPFSFS_ASSIGN_OR_RETURN(auto r, names->Publish(key, "/ipfs/" + root.ToString(), opts));
      std::string failed;
      for (const auto& t : r.outcomes) {
        if (!t.status) failed += (failed.empty() ? "" : "; ") + t.target + ": " + t.status.error().message;
      }
      if (!failed.empty()) return MakeError(ErrorCode::kUnavailable, r.name + " (sequence " + std::to_string(r.sequence) + "): " + failed);
      return r.name + " -> " + r.value + " (sequence " + std::to_string(r.sequence) + ", " +
             (r.outcomes.empty() ? std::string("kept locally: no name target") : std::to_string(r.outcomes.size()) + " target(s)") + ")";
    };
  }
  po.targets = o.publish;
  for (const auto& s : o.cache.sources) {
    if (s.kind == blockcache::SourceSpec::Kind::kKuboRpc && po.api_url.empty()) po.api_url = s.url;
  }
  po.api_authorization = o.api_authorization;
  po.kubo_pins_file = (o.sync_state_dir.empty() ? o.staging_dir + ".sync" : o.sync_state_dir) + ".kubo-pins.json";
  return PublishService::Open(std::move(po), cache);
}

}  // namespace

namespace {

// The staging directory, made 0700 when absent (its parents as mkdir -p).
Status MakeStagingDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return OkStatus();
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kInternal, "--staging-dir " + dir + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec) return MakeError(ErrorCode::kInternal, "--staging-dir " + dir + ": " + ec.message());
  return OkStatus();
}

}  // namespace

// The staging tree's way to the sync (Touch, fsync of staging/, user.ipfs.cid):
// FUSE may still call in while the Parts tear the sync down, so the sync is
// reached under a shared lock and Close() waits for calls in progress.
class SyncGate {
 public:
  explicit SyncGate(SyncService* sync) : sync_(sync) {}
  void Close() {
    std::unique_lock lock(mu_);
    sync_ = nullptr;
  }
  template <class F, class R = std::invoke_result_t<F, SyncService&>>
  std::optional<R> With(F f) {
    std::shared_lock lock(mu_);
    if (!sync_) return std::nullopt;
    return f(*sync_);
  }

 private:
  std::shared_mutex mu_;
  SyncService* sync_;  // GUARDED_BY(mu_); null once closed
};

// The parts in build order; ~Parts tears down in the order the header gives,
// whatever was built.
struct Mount::Parts {
  std::unique_ptr<blockcache::BlockCache> cache;
  std::unique_ptr<blockcache::WorkerPool> prefetch;
  std::unique_ptr<resolver::Resolver> resolver;
  std::unique_ptr<NameServices> names;
  std::unique_ptr<NamePublishing> publishing;
  std::unique_ptr<fs::Filesystem> filesystem;
  fs::StagingTree* staging = nullptr;  // owned by filesystem
  std::unique_ptr<fs::FuseMount> fuse;
  std::unique_ptr<PublishService> publish;  // stopped first, destroyed after the sync that calls it
  std::unique_ptr<SyncService> sync;
  std::shared_ptr<SyncGate> sync_gate;
  std::unique_ptr<ControlServer> control;
  std::unique_ptr<MountPointer> pointer;

  ~Parts() {
    pointer.reset();
    if (publish) publish->Stop();  // no more retries; a sync's publishing fails at once
    if (sync) sync->Cancel();  // a sync request ends early: control.reset waits for it
    control.reset();           // waits for cache commands still running
    if (sync_gate) sync_gate->Close();  // the staging tree's calls into the sync end
    sync.reset();              // waits for an auto-sync; it writes into the cache
    publishing.reset();        // after the sync (ipns: targets use it); joins the republisher
    if (prefetch) prefetch->Shutdown();
    names.reset();  // its cancelled lookups walk into the ipns/ tree's IpfsTree and the cache
    cache.reset();  // its cancelled callbacks reply into the session and the filesystem
    fuse.reset();
    filesystem.reset();
    resolver.reset();
    prefetch.reset();
  }
};

std::string Mount::staging_dir() const { return parts_ && parts_->staging ? parts_->staging->dir() : ""; }

fs::CidOverlay* Mount::staging_cids() const { return parts_ && parts_->staging ? &parts_->staging->cids() : nullptr; }

Mount::Mount(MountOptions options)
    : options_(std::move(options)), started_(std::chrono::steady_clock::now()), parts_(std::make_unique<Parts>()) {}

Mount::~Mount() {
  // The control server's handlers read parts_: stop it (waiting for commands
  // in progress) while parts_ still points at the parts. unique_ptr::reset
  // nulls the pointer before ~Parts runs.
  if (parts_) {
    parts_->pointer.reset();
    if (parts_->sync) parts_->sync->Cancel();
    parts_->control.reset();
  }
  parts_.reset();
}

Result<std::unique_ptr<Mount>> Mount::Start(MountOptions options) {
  std::unique_ptr<Mount> mount(new Mount(std::move(options)));
  IPFSFS_RETURN_IF_ERROR(mount->Build());
  return mount;
}

Status Mount::Build() {
  Parts& p = *parts_;
  IPFSFS_ASSIGN_OR_RETURN(p.cache, blockcache::BlockCache::Open(options_.cache));
  p.prefetch = std::make_unique<blockcache::WorkerPool>(options_.prefetch_threads);
  p.resolver = std::make_unique<resolver::Resolver>(*p.cache);

  fs::IpfsTreeOptions to = options_.ipfs;
  to.reader.executor = [pool = p.prefetch.get()](std::function<void()> job) { pool->Post(std::move(job)); };
  to.reader.extents = true;  // cached leaves go to the kernel spliced from the packs
  to.pinned_roots = [cache = p.cache.get()] {
    auto pins = cache->Pins();
    return pins ? *pins : std::vector<ipld::Cid>{};
  };
  std::vector<std::unique_ptr<fs::Tree>> trees;
  trees.push_back(std::make_unique<fs::IpfsTree>(*p.resolver, to));
  if (options_.open_names) {
    IPFSFS_ASSIGN_OR_RETURN(p.names, options_.open_names());
    trees.push_back(std::make_unique<fs::IpnsTree>(p.names->names(), std::make_unique<fs::IpfsTree>(*p.resolver, to)));
  }
  if (options_.open_publishing) {
    // Republishing is a service beside the mount: without it the mount still serves.
    auto publishing = options_.open_publishing();
    if (!publishing) {
      spdlog::warn("IPNS names will not be republished: {}", publishing.error().message);
    } else if (*publishing) {
      p.publishing = std::move(*publishing);
    }
    if (p.publishing && options_.republish) {
      publish::RepublisherOptions ro;
      ro.on_result = [](const publish::Republished& r) {
        if (r.ok) spdlog::info("republished {} (sequence {})", r.name, r.sequence);
        else spdlog::warn("republishing {} (sequence {}): {}", r.name, r.sequence, r.error);
      };
      p.publishing->StartRepublishing(std::move(ro));
    }
  }
  // staging/ and its sync. The sync index has one holder: a second mount with
  // the default staging dir runs without staging/ (said in the log), one
  // given --staging-dir that another mount holds fails with the reason.
  if (!options_.staging_dir.empty()) {
    IPFSFS_RETURN_IF_ERROR(MakeStagingDir(options_.staging_dir));
    SyncServiceOptions so{options_.staging_dir, options_.sync_state_dir, options_.import, options_.auto_sync};
    IPFSFS_ASSIGN_OR_RETURN(p.publish, OpenPublishService(options_, *p.cache, p.publishing.get()));
    so.publish = [publish = p.publish.get()](const ipld::Cid& root, const std::vector<std::string>& once) {
      return publish->Publish(root, once);
    };
    auto sync = SyncService::Open(std::move(so), *p.cache);
    if (!sync && options_.staging_is_default && sync.error().code == ErrorCode::kUnavailable) {
      spdlog::warn("no staging/ on this mount: the default staging dir {} is in use by another mount ({}); "
                   "give this one its own --staging-dir",
                   options_.staging_dir, sync.error().message);
    } else {
      if (!sync) return tl::unexpected(sync.error().Wrap("staging " + options_.staging_dir));
      p.sync = std::move(*sync);
      IPFSFS_ASSIGN_OR_RETURN(auto staging, fs::StagingTree::Open(options_.staging_dir));
      p.staging = staging.get();
      staging->SetPlaceholderSource(p.resolver.get(), to.reader);
      fs::CleanStageLeftovers(staging->dir());
      p.sync_gate = std::make_shared<SyncGate>(p.sync.get());
      auto gate = p.sync_gate;
      staging->cids().SetSource([gate](const std::string& path) -> std::optional<std::string> {
        auto cid = gate->With([&](SyncService& s) { return s.Lookup(path); });
        if (!cid || !*cid) return std::nullopt;
        return (*cid)->ToString();
      });
      staging->SetHooks(fs::StagingHooks{
          [gate] { gate->With([](SyncService& s) { s.Touch(); return 0; }); },
          [gate]() -> Status {
            auto synced = gate->With([](SyncService& s) -> Status {
              auto r = s.Sync("");
              if (!r) return tl::unexpected(r.error());
              return OkStatus();
            });
            return synced ? *synced : MakeError(ErrorCode::kUnavailable, "the mount is stopping");
          }});
      trees.push_back(std::move(staging));
    }
  }
  p.filesystem = std::make_unique<fs::Filesystem>(std::move(trees), options_.filesystem);
  IPFSFS_ASSIGN_OR_RETURN(p.fuse, fs::FuseMount::Mount(*p.filesystem, options_.fuse));

  const std::string cache_dir = Absolute(options_.cache.cache_dir);
  const std::string socket = SocketPath(options_.mountpoint);
  auto control = ControlServer::Start(
      socket,
      {{"cache",
        [this, cache_dir](const nlohmann::json& req) {
          // An `ipfsfs cache …` or `add` that found this mount's cache locked.
          ++cache_commands_;
          auto reply = AnswerCacheRequest(*parts_->cache, cache_dir, req);
          --cache_commands_;
          spdlog::info("cache command {}: {}", req.contains("op") ? req["op"].value("name", "?") : "?",
                       reply.contains("exit") ? "exit " + reply["exit"].dump() : reply.value("error", "?"));
          return reply;
        }},
       {"status", [this](const nlohmann::json&) { return StatusJson(); }},
       {"sync",
        [this](const nlohmann::json& req) -> nlohmann::json {
          if (!parts_->sync) return {{"error", "this mount has no staging/ (it is read-only)"}};
          return parts_->sync->SyncJson(req);
        }},
       {"stage",
        [this](const nlohmann::json& req) -> nlohmann::json {
          // `ipfsfs stage CID PATH`: placeholders, no bytes copied (fs/stager.h).
          if (!parts_->staging) return {{"error", "this mount has no staging/ (it is read-only)"}};
          auto field = [&](const char* k) { return req.contains(k) && req[k].is_string() ? req[k].get<std::string>() : ""; };
          auto r = fs::StageDag(*parts_->resolver, parts_->staging->dir(), field("source"), field("path"));
          if (!r) {
            spdlog::error("stage {} at staging/{}: {}", field("source"), field("path"), r.error().message);
            return {{"error", r.error().message}};
          }
          spdlog::info("staged {} at staging/{}: {} files, {} directories", r->cid.ToString(), field("path"), r->files,
                       r->directories);
          if (parts_->sync) parts_->sync->Touch();  // a change for --auto-sync like any other
          return {{"cid", r->cid.ToString()}, {"files", r->files}, {"directories", r->directories},
                  {"symlinks", r->symlinks}, {"bytes", r->bytes}};
        }},
       {"sync-progress",
        [this](const nlohmann::json&) -> nlohmann::json {
          if (!parts_->sync) return {{"running", false}};
          return parts_->sync->ProgressJson();
        }}},
      {"cache", "sync", "stage"});
  // Without its socket the mount still serves files; only commands cannot reach it.
  if (!control) {
    spdlog::warn("no control socket: {}", control.error().message);
    return OkStatus();
  }
  p.control = std::move(*control);
  auto pointer = MountPointer::Write(cache_dir, socket, options_.mountpoint);
  if (pointer) {
    p.pointer = std::move(*pointer);
  } else {
    spdlog::warn("cache commands will not find this mount: {}", pointer.error().message);
  }
  return OkStatus();
}

int Mount::Run(std::function<void(Status)> ready) {
  fs::FuseMount* fuse = parts_->fuse.get();
  // Ready once the kernel's first request is answered: stat needs INIT and GETATTR.
  std::thread waiter([mountpoint = options_.mountpoint, fuse, ready = std::move(ready)] {
    struct stat st {};
    if (stat(mountpoint.c_str(), &st) != 0) {
      ready(MakeError(ErrorCode::kUnavailable, std::string("mount did not answer: ") + std::strerror(errno)));
      return;
    }
    fuse->TuneReadAhead();
    ready(OkStatus());
  });
  MemoryTrimmer trimmer;
  // FUSE workers are created by Run from this thread: let them take the
  // signals that libfuse's handlers turn into a clean exit.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  int signal_number = fuse->Run(true);
  waiter.join();
  return signal_number;
}

SyncService* Mount::sync_service() const { return parts_ ? parts_->sync.get() : nullptr; }

nlohmann::json Mount::StatusJson() const {
  const Parts& p = *parts_;
  auto s = p.cache->Stats();
  auto f = p.filesystem->stats();
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& src : s.sources) {
    sources.push_back({{"name", src.name},
                       {"requests", src.requests},
                       {"failures", src.failures},
                       {"corrupt", src.corrupt},
                       {"bytes", src.bytes},
                       {"mean_latency_ms", src.mean_latency_ms},
                       {"throughput", src.throughput},
                       {"streams", src.streams},
                       {"state", src.demoted ? "demoted" : src.health < 0.5 ? "failing" : "ok"},
                       {"health", src.health}});
  }
  uint64_t lookups = s.hits + s.misses;
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  nlohmann::json names = nlohmann::json::array();
  if (p.names) {
    for (const auto& n : p.names->names().Known()) {
      names.push_back({{"name", n.name}, {"value", n.value}, {"stale", n.stale}, {"lookups", n.lookups}});
    }
  }
  nlohmann::json sync = nullptr;
  if (p.sync) sync = p.sync->ProgressJson();
  return nlohmann::json{
      {"mountpoint", options_.mountpoint},
      {"publish", p.publish ? p.publish->StatusJson() : nlohmann::json::array()},
      {"names", names},
      {"sync", sync},
      {"pid", getpid()},
      {"uptime_s", uptime.count()},
      {"sources", sources},
      {"cache",
       {{"blocks", s.stored_blocks},
        {"bytes", s.stored_bytes},
        {"max_bytes", s.max_bytes},
        {"pinned_roots", s.pinned_roots},
        {"hits", s.hits},
        {"misses", s.misses},
        {"hit_rate", lookups ? static_cast<double>(s.hits) / static_cast<double>(lookups) : 0.0},
        {"fetched_bytes", s.fetched_bytes},
        {"fetch_errors", s.fetch_errors}}},
      {"in_flight_fetches", s.in_flight},
      {"cache_commands", cache_commands_.load()},
      {"fs",
       {{"lookups", f.lookups},
        {"reads", f.reads},
        {"read_bytes", f.read_bytes},
        {"errors", f.errors},
        {"open_files", f.open_files},
        {"inodes", f.inodes}}}};
}

}  // namespace ipfsfs::tools
