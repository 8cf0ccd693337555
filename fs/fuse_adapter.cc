// libfuse3 low-level front of Filesystem: unpack, call one method, reply.
#define FUSE_USE_VERSION 312

#include "fs/fuse_adapter.h"

#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <shared_mutex>
#include <utility>

#include "fs/errors.h"
#include "fs/logger.h"
#include "fs/mountinfo.h"

namespace ipfsfs::fs {

// What every request reaches through fuse_req_userdata. Replies may come from
// block layer threads after the loop has ended: they take `gate` shared and,
// once Teardown has closed it (exclusive), free the request instead of
// writing to a descriptor that is gone.
struct FuseContext {
  Filesystem* fs = nullptr;
  std::shared_mutex gate;
  bool closed = false;  // GUARDED_BY(gate)
};

namespace {

FuseContext& Ctx(fuse_req_t req) { return *static_cast<FuseContext*>(fuse_req_userdata(req)); }
Filesystem& Fs(fuse_req_t req) { return *Ctx(req).fs; }

// Sends one reply through the gate; -1 when the session is closed (the
// request is freed unanswered: the kernel already failed it).
template <class F>
int SendReply(fuse_req_t req, F&& reply) {
  FuseContext& ctx = Ctx(req);
  std::shared_lock lock(ctx.gate);
  if (ctx.closed) {
    fuse_reply_none(req);
    return -1;
  }
  return reply(req);
}

// Owns one fuse_req_t until a reply consumes it; dropped unanswered, EIO.
class PendingReply {
 public:
  explicit PendingReply(fuse_req_t req) : req_(req) {}
  PendingReply(PendingReply&& other) noexcept : req_(std::exchange(other.req_, nullptr)) {}
  PendingReply& operator=(PendingReply&&) = delete;
  ~PendingReply() {
    if (req_) Error("reply", ::ipfsfs::Error{ErrorCode::kInternal, "request dropped unanswered"});
  }
  fuse_req_t req() const { return req_; }
  // Replies with `reply(req)` (a fuse_reply_* call); returns its result.
  template <class F>
  int Send(F&& reply) {
    return SendReply(std::exchange(req_, nullptr), std::forward<F>(reply));
  }
  void Err(int errnum) {
    Send([errnum](fuse_req_t q) { return fuse_reply_err(q, errnum); });
  }
  void Error(const char* op, const ::ipfsfs::Error& error, ErrnoContext context = ErrnoContext::kDefault) {
    LogError(op, error, context);
    Err(ToErrno(error, context));
  }

 private:
  fuse_req_t req_;
};

// std::function needs copyable callables: share the one reply.
using Reply = std::shared_ptr<PendingReply>;
Reply MakeReply(fuse_req_t req) { return std::make_shared<PendingReply>(req); }

struct stat ToStat(const Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_size = static_cast<off_t>(a.size);
  st.st_blocks = static_cast<blkcnt_t>(a.blocks);
  st.st_blksize = 128 << 10;  // cp and cat size their buffers by it; 128 KiB stays in cache
  st.st_mtim.tv_sec = a.mtime_sec;
  st.st_mtim.tv_nsec = a.mtime_nsec;
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  return st;
}

fuse_entry_param ToEntryParam(const Entry& e) {
  fuse_entry_param p{};
  p.ino = e.ino;
  p.attr = ToStat(e.attr);
  p.attr_timeout = e.attr_timeout;
  p.entry_timeout = e.entry_timeout;
  return p;
}

// Every entry point catches: nothing may unwind into libfuse's C code.
#define IPFSFS_FUSE_GUARD(req, body)                         \
  try {                                                      \
    body                                                     \
  } catch (const std::exception& e) {                        \
    Logger()->error("{}: internal error: {}", __func__, e.what()); \
    fuse_reply_err(req, ToErrno(Error{ErrorCode::kInternal, e.what()})); \
  }

// The -o max_read= given to the session; init must ask for the same.
std::atomic<uint32_t> g_max_read{1u << 20};

void OpInit(void* userdata, fuse_conn_info* conn) {
  (void)userdata;
  conn->max_read = g_max_read.load();
  auto want = [conn](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_ASYNC_READ);
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_PARALLEL_DIROPS);
  want(FUSE_CAP_CACHE_SYMLINKS);
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;  // content never changes
  // max_pages follows max_write in libfuse: this is what lets reads reach 1 MiB.
  conn->max_write = 1u << 20;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  Logger()->info("FUSE protocol {}.{}, max_read {}, max_readahead {}", conn->proto_major, conn->proto_minor,
                 conn->max_read, conn->max_readahead);
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    Fs(req).Lookup(parent, name, [r](Result<Entry> e) {
      if (!e) return r->Error("lookup", e.error());
      if (e->ino == 0 && e->entry_timeout <= 0) return r->Error("lookup", Error{ErrorCode::kNotFound, "no such name"});
      fuse_entry_param p = ToEntryParam(*e);
      r->Send([&p](fuse_req_t q) { return fuse_reply_entry(q, &p); });
    });
  })
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Fs(req).Forget(ino, nlookup);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OpGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    double timeout = Fs(req).AttrTimeout(ino);
    Fs(req).GetAttr(ino, [r, timeout](Result<Attr> a) {
      if (!a) return r->Error("getattr", a.error());
      struct stat st = ToStat(*a);
      r->Send([&](fuse_req_t q) { return fuse_reply_attr(q, &st, timeout); });
    });
  })
}

void OpReadLink(fuse_req_t req, fuse_ino_t ino) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    Fs(req).ReadLink(ino, [r](Result<std::string> target) {
      if (!target) return r->Error("readlink", target.error());
      r->Send([&](fuse_req_t q) { return fuse_reply_readlink(q, target->c_str()); });
    });
  })
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    fuse_file_info copy = *fi;  // fi dies when this handler returns
    Filesystem* fs = &Fs(req);
    fs->Open(ino, fi->flags, [r, copy, fs](Result<OpenedFile> opened) mutable {
      if (!opened) return r->Error("open", opened.error());
      copy.fh = opened->fh;
      copy.keep_cache = opened->keep_cache;
      if (r->Send([&](fuse_req_t q) { return fuse_reply_open(q, &copy); }) != 0) {
        // The opener is gone (interrupted): nobody will release this handle.
        fs->Release(opened->fh);
      }
    });
  })
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    Fs(req).Read(fi->fh, static_cast<uint64_t>(off), size, [r](Result<std::vector<resolver::Slice>> slices) {
      if (!slices) return r->Error("read", slices.error());
      std::vector<iovec> iov;
      iov.reserve(slices->size());
      for (const auto& s : *slices) {
        iov.push_back(iovec{const_cast<std::byte*>(s.owner->data() + s.offset), s.length});
      }
      // fuse_reply_iov writes synchronously: the slices live until it returns.
      r->Send([&](fuse_req_t q) { return fuse_reply_iov(q, iov.data(), static_cast<int>(iov.size())); });
    });
  })
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).Release(fi->fh);
  fuse_reply_err(req, 0);
}

void OpOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    fuse_file_info copy = *fi;
    Filesystem* fs = &Fs(req);
    fs->OpenDir(ino, [r, copy, fs](Result<OpenedDir> opened) mutable {
      if (!opened) return r->Error("opendir", opened.error());
      copy.fh = opened->fh;
      copy.cache_readdir = opened->cache_readdir;
      copy.keep_cache = opened->cache_readdir;
      if (r->Send([&](fuse_req_t q) { return fuse_reply_open(q, &copy); }) != 0) fs->ReleaseDir(opened->fh);
    });
  })
}

void DoReadDir(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  Reply r = MakeReply(req);
  size_t max = std::max<size_t>(1, size / 48);
  Fs(req).ReadDir(fi->fh, static_cast<uint64_t>(off), max, [r, size, plus](Result<std::vector<DirListEntry>> list) {
    if (!list) return r->Error(plus ? "readdirplus" : "readdir", list.error());
    Filesystem& fs = Fs(r->req());
    std::vector<char> buf(size);
    size_t used = 0;
    for (const auto& item : *list) {
      size_t room = size - used;
      size_t need;
      if (plus) {
        fuse_entry_param p = ToEntryParam(item.entry);
        need = fuse_add_direntry_plus(r->req(), buf.data() + used, room, item.name.c_str(), &p,
                                      static_cast<off_t>(item.next_offset));
        if (need > room) break;
        if (item.entry.ino != 0) fs.CommitListed(item.entry.ino);
      } else {
        struct stat st = ToStat(item.entry.attr);
        need = fuse_add_direntry(r->req(), buf.data() + used, room, item.name.c_str(), &st,
                                 static_cast<off_t>(item.next_offset));
        if (need > room) break;
      }
      used += need;
    }
    r->Send([&](fuse_req_t q) { return fuse_reply_buf(q, buf.data(), used); });
  });
}

void OpReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  IPFSFS_FUSE_GUARD(req, { DoReadDir(req, size, off, fi, false); })
}

void OpReadDirPlus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  IPFSFS_FUSE_GUARD(req, { DoReadDir(req, size, off, fi, true); })
}

void OpReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).ReleaseDir(fi->fh);
  fuse_reply_err(req, 0);
}

void OpStatFs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st {};
  st.f_bsize = 1 << 20;
  st.f_frsize = 512;
  st.f_namemax = 255;
  st.f_flag = ST_RDONLY;
  fuse_reply_statfs(req, &st);
}

void OpGetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    Fs(req).GetXattr(ino, name, [r, size](Result<std::string> value) {
      if (!value) return r->Error("getxattr", value.error(), ErrnoContext::kXattr);
      if (size == 0) return (void)r->Send([&](fuse_req_t q) { return fuse_reply_xattr(q, value->size()); });
      if (size < value->size()) return r->Error("getxattr", Error{ErrorCode::kTooLarge, "buffer too small"}, ErrnoContext::kXattr);
      r->Send([&](fuse_req_t q) { return fuse_reply_buf(q, value->data(), value->size()); });
    });
  })
}

void OpListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  IPFSFS_FUSE_GUARD(req, {
    Reply r = MakeReply(req);
    Fs(req).ListXattr(ino, [r, size](Result<std::vector<std::string>> names) {
      if (!names) return r->Error("listxattr", names.error(), ErrnoContext::kXattr);
      std::string list;
      for (const auto& n : *names) {
        list += n;
        list.push_back('\0');
      }
      if (size == 0) return (void)r->Send([&](fuse_req_t q) { return fuse_reply_xattr(q, list.size()); });
      if (size < list.size()) return r->Error("listxattr", Error{ErrorCode::kTooLarge, "buffer too small"}, ErrnoContext::kXattr);
      r->Send([&](fuse_req_t q) { return fuse_reply_buf(q, list.data(), list.size()); });
    });
  })
}

// Everything that would change /ipfs.
void OpSetAttr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void OpMknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { fuse_reply_err(req, EROFS); }
void OpMkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { fuse_reply_err(req, EROFS); }
void OpUnlink(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void OpRename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  fuse_reply_err(req, EROFS);
}
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }
void OpWrite(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void OpCreate(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { fuse_reply_err(req, EROFS); }
void OpSetXattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) { fuse_reply_err(req, EROFS); }
void OpRemoveXattr(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, EROFS); }

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetAttr;
  ops.setattr = OpSetAttr;
  ops.readlink = OpReadLink;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.unlink = OpUnlink;
  ops.rmdir = OpUnlink;
  ops.symlink = OpSymlink;
  ops.rename = OpRename;
  ops.link = OpLink;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.release = OpRelease;
  ops.opendir = OpOpenDir;
  ops.readdir = OpReadDir;
  ops.readdirplus = OpReadDirPlus;
  ops.releasedir = OpReleaseDir;
  ops.statfs = OpStatFs;
  ops.setxattr = OpSetXattr;
  ops.getxattr = OpGetXattr;
  ops.listxattr = OpListXattr;
  ops.removexattr = OpRemoveXattr;
  ops.create = OpCreate;
  return ops;
}

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
  g_max_read = options.max_read;
  for (const auto& o : opts) {
    if (o.rfind("max_read=", 0) == 0) g_max_read = static_cast<uint32_t>(std::strtoul(o.c_str() + 9, nullptr, 10));
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
  fuse_lowlevel_ops ops = MakeOps();
  auto context = std::make_unique<FuseContext>();
  context->fs = &fs;
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
  if (geteuid() == 0 && !device_.empty() && MountDevice(options_.mountpoint) == device_) {
    umount2(options_.mountpoint.c_str(), MNT_FORCE);
  }
}

}  // namespace ipfsfs::fs
