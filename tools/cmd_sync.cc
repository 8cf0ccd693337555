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
#include <vector>

#include "tools/command.h"
#include "tools/internal/control.h"

namespace ipfsfs::tools {
namespace {

struct {
  std::string mountpoint;
  std::string path;
  bool quiet = false;
  bool json = false;
  std::vector<std::string> publish;
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
  for (auto& t : g_sync.publish) {
    if (t.rfind("car:", 0) == 0 && t.size() > 4) t = "car:" + Absolute(t.substr(4));  // the mount runs in /
  }

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
  auto reply = AskSocket(socket, {{"command", "sync"}, {"path", *scope}, {"publish", g_sync.publish}},
                         std::chrono::milliseconds(0));
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
  // One line per publish target; a failed one makes the exit status 1.
  int status = 0;
  const nlohmann::json published = reply->contains("publish") && (*reply)["publish"].is_array()
                                       ? (*reply)["publish"]
                                       : nlohmann::json::array();
  for (const auto& t : published) {
    if (!t.value("ok", false)) {
      status = 1;
      if (!g_sync.json) {
        std::cerr << "ipfsfs: sync: publish " << t.value("target", "?") << ": " << t.value("line", "") << "\n";
      }
    }
  }
  if (g_sync.json) {
    std::cout << reply->dump() << "\n";
    return status;
  }
  const std::string root = reply->value("root", "");
  if (g_sync.quiet) {
    std::cout << root << "\n";
    return status;
  }
  for (const auto& d : reply->value("deferred", nlohmann::json::array())) {
    std::cerr << "ipfsfs: sync: " << d.get<std::string>() << ": changed while read, left for the next sync\n";
  }
  if (!reply->value("warning", "").empty()) std::cerr << "ipfsfs: sync: " << reply->value("warning", "") << "\n";
  std::cout << reply->value("files_read", 0) << " files read, " << reply->value("files_reused", 0) << " unchanged, "
            << Mib(reply->value("bytes_read", uint64_t{0})) << "\n";
  std::cout << "synced " << root << "\n";
  for (const auto& t : published) {
    if (t.value("ok", false)) std::cout << "published " << t.value("target", "?") << ": " << t.value("line", "") << "\n";
  }
  return status;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* sync = app.add_subcommand(
      "sync", "Turn a mount's staging/ into UnixFS with the CID ipfs add would give (dotfiles included), pin it, print its CID");
  sync->add_option("mountpoint", g_sync.mountpoint, "The mountpoint")->required();
  sync->add_option("path", g_sync.path, "Only this part of staging/ (the rest stays as last synced)");
  sync->add_flag("-q,--quiet", g_sync.quiet, "Print the root CID alone");
  sync->add_flag("--json", g_sync.json, "One JSON object: root, counters, deferred files, publish outcomes");
  sync->add_option("--publish", g_sync.publish,
                   "Also publish the root to TARGET for this sync only (repeatable): kubo, car:PATH, "
                   "remote:SERVICE, ipns:KEY; exit 1 if any target fails");
  sync->callback([&exit_code] { exit_code = RunSync(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(12, Setup);

}  // namespace ipfsfs::tools
