// `ipfsfs mount [options] MOUNTPOINT` (umount and status: cmd_status.cc).
//
// mount turns its flags into MountOptions (tools/internal/mount_options.h),
// checks the mountpoint, daemonizes unless -f (the parent exits 0 only once
// the mount answers, or 1 with the child's reason), sets up logging and runs
// one Mount (tools/internal/mount.h), which builds and tears down the parts.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "fs/mountinfo.h"
#include "tools/command.h"
#include "tools/internal/control.h"
#include "tools/internal/mount.h"
#include "tools/internal/mount_options.h"

namespace ipfsfs::tools {
namespace {

MountFlags& Flags() {
  static MountFlags flags;
  return flags;
}

// ---------------------------------------------------------------- paths

bool IsMountPoint(const std::string& path) {
  auto mounts = fs::ReadMountInfo();
  return mounts && fs::FindMount(*mounts, path).has_value();
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

// ---------------------------------------------------------------- mount

// The child's report to the waiting parent: "ready" or the error line.
void Tell(int fd, const std::string& message) {
  if (fd < 0) return;
  std::string line = message + "\n";
  if (write(fd, line.data(), line.size()) < 0) {
  }
}

// Everything after the fork (or in the foreground). Returns the exit code.
int Serve(const MountOptions& options, int report_fd) {
  auto fail = [&](const Error& e) {
    std::string what = "mount " + options.mountpoint;
    Tell(report_fd, what + ": " + e.message);
    spdlog::error("{}: {}", what, e.message);
    return report_fd >= 0 ? 1 : ReportError(what, e);
  };
  auto mount = Mount::Start(options);
  if (!mount) return fail(mount.error());
  int signal_number = (*mount)->Run([report_fd](Status ready) {
    Tell(report_fd, ready ? "ready" : ready.error().message);
    if (report_fd >= 0) close(report_fd);
  });
  if (signal_number) spdlog::info("signal {}: unmounted {}", signal_number, options.mountpoint);
  mount->reset();
  spdlog::info("stopped");
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
  return 0;
}

int RunMount() {
  MountFlags& a = Flags();
  ParsedO parsed = ParseO(a.o);
  ApplyTwins(parsed, a);  // paths made absolute: the daemon runs in /
  const std::string& log_level = a.log_level;
  std::string log_file = a.log_file;
  std::string mountpoint = Absolute(a.mountpoint);
  if (auto st = CheckMountpoint(mountpoint); !st) return ReportError("mount " + mountpoint, st.error());
  // Bad values are reported before daemonizing, on the caller's terminal.
  auto options = ResolveMountOptions(a, parsed);
  if (!options) return ReportError("mount " + mountpoint, options.error());

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

  if (a.foreground) {
    SetupLogging(log_file, level, true);
    return Serve(*options, -1);
  }
  if (log_file.empty()) {
    MakeDirs(DefaultStateDir());
    log_file = SocketPath(mountpoint);
    log_file.replace(log_file.size() - 5, 5, ".log");
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
  int rc = Serve(*options, pipefd[1]);
  spdlog::shutdown();
  _exit(rc);
}

// --help in groups, as rclone shows its mount flags. A flag not listed here
// stays under "Options".
void GroupHelp(CLI::App& mount) {
  static const std::pair<const char*, const char*> kGroups[] = {
      {"--foreground", "Mount"},      {"-o", "Mount"},
      {"--allow-other", "Mount"},     {"--allow-root", "Mount"},
      {"--read-only", "Mount"},       {"--uid", "Files and attributes"},
      {"--gid", "Files and attributes"}, {"--file-mode", "Files and attributes"},
      {"--dir-mode", "Files and attributes"}, {"--attr-timeout", "Files and attributes"},
      {"--read-ahead", "Reading"},    {"--car-range", "Reading"},
      {"--gateway", "Sources"},       {"--api", "Sources"},
      {"--offline", "Sources"},       {"--config", "Sources"},
      {"--cache-dir", "Cache"},       {"--cache-size", "Cache"},
      {"--hash-on-read", "Cache"},    {"--log-file", "Logging"},
      {"--log-level", "Logging"},     {"-v", "Logging"},
      {"--fuse-debug", "Logging"},
      {"--staging-dir", "Staging and sync"}, {"--sync-state-dir", "Staging and sync"},
      {"--auto-sync", "Staging and sync"}, {"--cid-version", "Staging and sync"},
      {"--raw-leaves", "Staging and sync"}, {"--chunker", "Staging and sync"},
      {"--trickle", "Staging and sync"},   {"--profile", "Staging and sync"},
      {"--routing", "Names (ipns/)"},      {"--dns", "Names (ipns/)"},
      {"--ipns-ttl-max", "Names (ipns/)"},
      {"--publish", "Publishing"},         {"--api-auth", "Publishing"},         {"--no-republish", "Publishing"},
  };
  for (CLI::Option* opt : mount.get_options()) {
    for (const auto& [name, group] : kGroups) {
      if (opt->check_name(name)) opt->group(group);
    }
  }
}

void Setup(CLI::App& app, int& exit_code) {
  auto* mount = app.add_subcommand("mount", "Mount IPFS as a filesystem (ipfs/<cid>/...)");
  AddMountFlags(*mount, Flags());
  GroupHelp(*mount);
  mount->callback([&exit_code] { exit_code = RunMount(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(10, Setup);

}  // namespace ipfsfs::tools
