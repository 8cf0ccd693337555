// `ipfsfs umount [-z] MOUNTPOINT` and `ipfsfs status [--json] MOUNTPOINT`:
// the commands that talk to a running mount over its control socket
// (tools/internal/control.h).
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/command.h"
#include "tools/internal/control.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

struct {
  std::string mountpoint;
  bool lazy = false;
  bool json = false;
} g_args;

// After an unmount the daemon still flushes and closes its cache: wait for it,
// so that `umount` then `mount` (or a cache command) finds the cache free.
// Running, not yet reaped counts as gone: its files (the cache lock) are
// closed, and an init that reaps slowly must not hold umount up.
bool Exited(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

void WaitForExit(pid_t pid) {
  if (pid <= 0) return;
  for (int i = 0; i < 500 && !Exited(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

int RunUmount() {
  std::string mountpoint = Absolute(g_args.mountpoint);
  pid_t daemon = 0;
  if (!g_args.lazy) {  // a lazy unmount ends only when the last file closes
    if (auto j = AskMount(mountpoint, "status"); j && j->contains("pid") && (*j)["pid"].is_number_integer()) {
      daemon = (*j)["pid"].get<pid_t>();
    }
  }
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), g_args.lazy ? MNT_DETACH : 0) == 0) {
      WaitForExit(daemon);
      return 0;
    }
    int err = errno;
    if (err == EBUSY) {
      return ReportError("umount " + mountpoint,
                         Error{ErrorCode::kUnavailable, "busy: files are open there (use --lazy to detach now)"});
    }
    if (err == EINVAL) return ReportError("umount " + mountpoint, Error{ErrorCode::kNotFound, "not mounted"});
    return ReportError("umount " + mountpoint, Error{ErrorCode::kInternal, std::strerror(err)});
  }
  std::vector<const char*> argv = {"fusermount3", "-u"};
  if (g_args.lazy) argv.push_back("-z");
  argv.push_back(mountpoint.c_str());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp("fusermount3", const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return ReportError("umount " + mountpoint, Error{ErrorCode::kUnavailable, "fusermount3 not found (install fuse3)"});
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  WaitForExit(daemon);
  return 0;
}

int RunStatus() {
  std::string mountpoint = Absolute(g_args.mountpoint);
  auto j = AskMount(mountpoint, "status");
  if (!j) return ReportError("status " + mountpoint, j.error());
  if (g_args.json) {
    std::cout << j->dump() << "\n";
    return 0;
  }
  const auto& c = (*j)["cache"];
  std::cout << "mount:      " << (*j)["mountpoint"].get<std::string>() << " (pid " << (*j)["pid"] << ", up "
            << (*j)["uptime_s"] << " s)\n";
  std::cout << "cache:      " << FormatSize(c["bytes"].get<uint64_t>()) << " of "
            << FormatSize(c["max_bytes"].get<uint64_t>()) << ", " << c["blocks"] << " blocks\n";
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.1f%%", c["hit_rate"].get<double>() * 100);
  std::cout << "hit rate:   " << rate << " (" << c["hits"] << " hits, " << c["misses"] << " misses)\n";
  std::cout << "in flight:  " << (*j)["in_flight_fetches"] << " fetches\n";
  std::cout << "reads:      " << (*j)["fs"]["reads"] << " (" << FormatSize((*j)["fs"]["read_bytes"].get<uint64_t>())
            << "), " << (*j)["fs"]["errors"] << " errors, " << (*j)["fs"]["open_files"] << " open files\n";
  if (j->contains("sync") && (*j)["sync"].is_object()) {
    const auto& sy = (*j)["sync"];
    std::cout << "sync:       " << (sy["root"].is_string() ? "root " + sy["root"].get<std::string>() : "never synced")
              << (sy.value("running", false) ? ", syncing now" : "") << "\n";
  }
  if (j->contains("publish") && (*j)["publish"].is_array() && !(*j)["publish"].empty()) {
    std::cout << "publish:\n";
    for (const auto& t : (*j)["publish"]) {
      std::cout << "  " << t.value("target", "?") << ": ";
      if (t["last_root"].is_string()) {
        std::cout << "published " << t["last_root"].get<std::string>() << " at "
                  << (t["last_published"].is_string() ? t["last_published"].get<std::string>() : "?");
      } else {
        std::cout << "never published";
      }
      if (!t.value("progress", "").empty()) std::cout << "; now " << t.value("progress", "");
      if (!t.value("last_error", "").empty()) {
        std::cout << "; last error: " << t.value("last_error", "");
        if (t["next_retry"].is_string()) std::cout << " (retry at " << t["next_retry"].get<std::string>() << ")";
      }
      std::cout << "\n";
    }
  }
  std::cout << "sources:\n";
  for (const auto& s : (*j)["sources"]) {
    char line[320];
    std::snprintf(line, sizeof(line), "  %-40s %-8s %6llu requests %4llu failed  %7.1f ms  %9s  %7.1f MiB/s  health %.2f\n",
                  s["name"].get<std::string>().c_str(), s.value("state", "ok").c_str(),
                  static_cast<unsigned long long>(s["requests"].get<uint64_t>()),
                  static_cast<unsigned long long>(s["failures"].get<uint64_t>()), s["mean_latency_ms"].get<double>(),
                  FormatSize(s.value("bytes", uint64_t{0})).c_str(), s.value("throughput", 0.0) / 1048576.0,
                  s["health"].get<double>());
    std::cout << line;
  }
  if (j->contains("names") && !(*j)["names"].empty()) {
    std::cout << "names:\n";
    for (const auto& n : (*j)["names"]) {
      std::cout << "  " << n["name"].get<std::string>() << " -> " << n["value"].get<std::string>()
                << (n["stale"].get<bool>() ? "  (stale)" : "") << "\n";
    }
  }
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* umount = app.add_subcommand("umount", "Unmount an ipfsfs mount");
  umount->add_option("mountpoint", g_args.mountpoint, "The mountpoint")->required();
  umount->add_flag("-z,--lazy", g_args.lazy, "Detach now, finish when files are closed");
  umount->callback([&exit_code] { exit_code = RunUmount(); });

  auto* status = app.add_subcommand("status", "Show a running mount: sources, cache, hit rate, in-flight fetches");
  status->add_option("mountpoint", g_args.mountpoint, "The mountpoint")->required();
  status->add_flag("--json", g_args.json, "One JSON object");
  status->callback([&exit_code] { exit_code = RunStatus(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(11, Setup);

}  // namespace ipfsfs::tools
