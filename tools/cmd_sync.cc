// `ipfsfs sync MOUNTPOINT [PATH]`: has the running mount turn its staging
// directory into UnixFS (tools/internal/sync_service.h) over the control
// socket: the mount owns the cache. Prints `synced <root-cid>` last (-q: the
// CID alone; --json: the mount's whole answer), and on a terminal a progress
// line while the sync runs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tools/command.h"
#include "tools/internal/control.h"

namespace ipfsfs::tools {
namespace {

struct {
  std::string mountpoint;
  std::string path;
  bool quiet = false;
  bool json = false;
} g_sync;

// PATH (a path under MOUNTPOINT/staging) relative to the staging tree ("" = all).
Result<std::string> ScopeOf(const std::string& mountpoint, const std::string& path) {
  if (path.empty()) return std::string();
  const std::string abs = Absolute(path);
  const std::string root = mountpoint + "/staging";
  if (abs == root) return std::string();
  if (abs.rfind(root + "/", 0) == 0) return abs.substr(root.size() + 1);
  return MakeError(ErrorCode::kInvalidArgument, path + ": not inside " + root);
}

std::string Mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

int RunSync() {
  const std::string mountpoint = Absolute(g_sync.mountpoint);
  auto scope = ScopeOf(mountpoint, g_sync.path);
  if (!scope) return ReportError("sync", scope.error());
  const std::string socket = SocketPath(mountpoint);

  // The progress line: asked for on another connection while the sync runs.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread progress;
  const bool show = !g_sync.quiet && !g_sync.json && ::isatty(2);
  if (show) {
    progress = std::thread([&] {
      std::unique_lock lock(mu);
      bool printed = false;
      while (!cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return done; })) {
        lock.unlock();
        auto p = AskSocket(socket, {{"command", "sync-progress"}}, std::chrono::seconds(2));
        lock.lock();
        if (!p || !p->value("running", false) || done) continue;
        double seconds = std::max<int64_t>(1, p->value("elapsed_ms", int64_t{1})) / 1000.0;
        uint64_t bytes = p->value("bytes", uint64_t{0});
        std::fprintf(stderr, "\rsyncing: %llu files, %s, %s/s   ",
                     static_cast<unsigned long long>(p->value("files", uint64_t{0})), Mib(bytes).c_str(),
                     Mib(static_cast<uint64_t>(static_cast<double>(bytes) / seconds)).c_str());
        printed = true;
      }
      if (printed) std::fprintf(stderr, "\r\033[K");
    });
  }
  auto reply = AskSocket(socket, {{"command", "sync"}, {"path", *scope}}, std::chrono::milliseconds(0));
  if (show) {
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    progress.join();
  }
  if (!reply) {
    if (reply.error().code == ErrorCode::kNotFound) {
      return ReportError("sync " + mountpoint, Error{ErrorCode::kNotFound, "no ipfsfs mount answers there"});
    }
    return ReportError("sync " + mountpoint, reply.error());
  }
  if (g_sync.json) {
    std::cout << reply->dump() << "\n";
    return 0;
  }
  const std::string root = reply->value("root", "");
  if (g_sync.quiet) {
    std::cout << root << "\n";
    return 0;
  }
  for (const auto& d : reply->value("deferred", nlohmann::json::array())) {
    std::cerr << "ipfsfs: sync: " << d.get<std::string>() << ": changed while read, left for the next sync\n";
  }
  if (!reply->value("warning", "").empty()) std::cerr << "ipfsfs: sync: " << reply->value("warning", "") << "\n";
  std::cout << reply->value("files_read", 0) << " files read, " << reply->value("files_reused", 0) << " unchanged, "
            << Mib(reply->value("bytes_read", uint64_t{0})) << "\n";
  std::cout << "synced " << root << "\n";
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* sync = app.add_subcommand(
      "sync", "Turn a mount's staging/ into UnixFS with the CID ipfs add would give (dotfiles included), pin it, print its CID");
  sync->add_option("mountpoint", g_sync.mountpoint, "The mountpoint")->required();
  sync->add_option("path", g_sync.path, "Only this part of staging/ (the rest stays as last synced)");
  sync->add_flag("-q,--quiet", g_sync.quiet, "Print the root CID alone");
  sync->add_flag("--json", g_sync.json, "One JSON object: root, counters, deferred files");
  sync->callback([&exit_code] { exit_code = RunSync(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(12, Setup);

}  // namespace ipfsfs::tools
