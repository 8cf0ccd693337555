// FuseMount: the session's life, from mount to the one teardown.
#include "fs/fuse_adapter.h"

#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

#include "fs/internal/fuse_ops.h"
#include "fs/logger.h"
#include "fs/mountinfo.h"

namespace ipfsfs::fs {
namespace {

void FuseLog(enum fuse_log_level level, const char* fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
  if (level <= FUSE_LOG_ERR) {
    Logger()->error("libfuse: {}", line);
  } else if (level <= FUSE_LOG_NOTICE) {
    Logger()->info("libfuse: {}", line);
  } else {
    Logger()->debug("libfuse: {}", line);
  }
}

bool HasOption(const std::vector<std::string>& options, std::string_view key) {
  for (const auto& o : options) {
    if (o == key || (o.size() > key.size() && o.compare(0, key.size(), key) == 0 && o[key.size()] == '=')) return true;
  }
  return false;
}

// "major:minor" of the topmost mount at `mountpoint` when it is an ipfsfs
// FUSE mount; empty otherwise.
std::string MountDevice(const std::string& mountpoint) {
  char real[PATH_MAX];
  std::string path = realpath(mountpoint.c_str(), real) ? real : mountpoint;
  auto mounts = ReadMountInfo();
  if (!mounts) return "";
  auto found = FindMount(*mounts, path);
  return found && found->fs_type == "fuse.ipfsfs" ? found->device : "";
}

}  // namespace

FuseMount::FuseMount(std::unique_ptr<FuseContext> context, FuseOptions options)
    : context_(std::move(context)), options_(std::move(options)) {}

Result<std::unique_ptr<FuseMount>> FuseMount::Mount(Filesystem& fs, FuseOptions options) {
  struct stat st {};
  if (stat(options.mountpoint.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOTCONN) {
      return MakeError(ErrorCode::kUnavailable, options.mountpoint +
                                                    ": a dead FUSE mount is still there; run 'ipfsfs umount " +
                                                    options.mountpoint + "' first");
    }
    return MakeError(ErrorCode::kNotFound, options.mountpoint + ": " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kInvalidArgument, options.mountpoint + ": not a directory");
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("FUSE is unavailable: /dev/fuse: ") + std::strerror(errno) +
                                                  " (install fuse3 and load the fuse module)");
  }
  fuse_set_log_func(FuseLog);

  std::vector<std::string> opts = options.options;
  if (!HasOption(opts, "fsname")) opts.push_back("fsname=ipfsfs");
  if (!HasOption(opts, "subtype")) opts.push_back("subtype=ipfsfs");
  if (!HasOption(opts, "max_read")) opts.push_back("max_read=" + std::to_string(options.max_read));
  uint32_t max_read = options.max_read;
  for (const auto& o : opts) {
    if (o.rfind("max_read=", 0) == 0) max_read = static_cast<uint32_t>(std::strtoul(o.c_str() + 9, nullptr, 10));
  }
  std::string joined;
  for (const auto& o : opts) {
    if (!joined.empty()) joined += ',';
    joined += o;
  }
  std::vector<std::string> argv_store = {"ipfsfs", "-o", joined};
  if (options.debug) argv_store.push_back("-d");
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_lowlevel_ops ops = MakeFuseOps();
  auto context = std::make_unique<FuseContext>();
  context->fs = &fs;
  context->max_read = max_read;
  FuseContext* userdata = context.get();
  auto mount = std::unique_ptr<FuseMount>(new FuseMount(std::move(context), options));
  mount->session_ = fuse_session_new(&args, &ops, sizeof(ops), userdata);
  fuse_opt_free_args(&args);
  if (!mount->session_) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot start a FUSE session with options '" + joined + "'");
  }
  if (fuse_session_mount(mount->session_, options.mountpoint.c_str()) != 0) {
    return MakeError(ErrorCode::kInternal, options.mountpoint + ": mount failed (see the log for libfuse's reason)");
  }
  mount->mounted_ = true;
  // Never stat the mountpoint here: the kernel would wait for our own loop,
  // which is not running yet. /proc/self/mountinfo names the device.
  mount->device_ = MountDevice(options.mountpoint);
  Logger()->info("mounted on {}", options.mountpoint);
  return mount;
}

void FuseMount::TuneReadAhead() {
  if (options_.read_ahead_kb == 0 || device_.empty()) return;
  std::string path = "/sys/class/bdi/" + device_ + "/read_ahead_kb";
  std::ofstream out(path);
  out << options_.read_ahead_kb << "\n";
  out.flush();
  if (!out) {
    Logger()->debug("cannot set {} (needs root); kernel read-ahead stays at its default", path);
  } else {
    Logger()->debug("{} = {}", path, options_.read_ahead_kb);
  }
}

FuseMount::~FuseMount() {
  if (!session_) return;
  Teardown();  // when Run never ran
  fuse_session_destroy(session_);
}

void FuseMount::Teardown() {
  std::lock_guard lock(teardown_mu_);
  if (torn_down_) return;
  torn_down_ = true;
  {
    std::unique_lock gate(context_->gate);  // waits for replies being sent
    context_->closed = true;
  }
  if (!mounted_) return;
  // Closes the descriptor, then unmounts, unless the connection was aborted.
  fuse_session_unmount(session_);
  // libfuse skips unmounting an aborted connection: detach it here.
  if (geteuid() == 0 && !device_.empty() && MountDevice(options_.mountpoint) == device_) {
    umount2(options_.mountpoint.c_str(), MNT_DETACH);
  }
  Logger()->info("unmounted {}", options_.mountpoint);
}

int FuseMount::Run(bool handle_signals) {
  if (handle_signals && fuse_set_signal_handlers(session_) != 0) {
    Logger()->warn("cannot install signal handlers");
    handle_signals = false;
  }
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, options_.max_threads);
  fuse_loop_cfg_set_idle_threads(config, std::min(options_.max_threads, 4u));
  // Returns once every worker thread has been joined.
  int rc = fuse_session_loop_mt(session_, config);
  fuse_loop_cfg_destroy(config);
  if (handle_signals) fuse_remove_signal_handlers(session_);
  Teardown();
  return rc > 0 ? rc : 0;
}

void FuseMount::Stop() {
  fuse_session_exit(session_);
  std::lock_guard lock(teardown_mu_);
  if (!mounted_ || aborted_ || torn_down_) return;
  aborted_ = true;
  // Workers block reading /dev/fuse, and a mount with open files outlives a
  // plain unmount: a forced unmount aborts the connection (Linux
  // fuse_umount_begin), which wakes them in every case. Only while the
  // mountpoint still shows our device, and only root may.
  if (device_.empty() || MountDevice(options_.mountpoint) != device_) return;
  if (geteuid() == 0) {
    umount2(options_.mountpoint.c_str(), MNT_FORCE);
    return;
  }
  // Without root, fuse_session_exit alone leaves an idle mount's workers
  // blocked in read(2) forever. fusermount3 unmounts without touching our
  // descriptor (closing it here would race the workers reading it); once no
  // file is open the kernel ends the connection and the reads return.
  const char* argv[] = {"fusermount3", "-u", "-q", "-z", "--", options_.mountpoint.c_str(), nullptr};
  pid_t pid = 0;
  int err = posix_spawnp(&pid, "fusermount3", nullptr, nullptr, const_cast<char* const*>(argv), environ);
  if (err != 0) {
    Logger()->warn("cannot run fusermount3 to unmount {}: {}", options_.mountpoint, std::strerror(err));
    return;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace ipfsfs::fs
