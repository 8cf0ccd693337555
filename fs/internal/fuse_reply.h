// Replying to FUSE requests, shared by the read (fuse_ops.cc) and write
// (fuse_write_ops.cc) handlers: PendingReply answers each request exactly
// once, through the session's gate; the reply makers turn a Filesystem
// callback's Result into fuse_reply_* (errnos from fs/errors.h alone).
// Internal to fs/. Thread-safe as the libfuse reply calls are.
#ifndef IPFSFS_FS_INTERNAL_FUSE_REPLY_H_
#define IPFSFS_FS_INTERNAL_FUSE_REPLY_H_

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "fs/errors.h"
#include "fs/internal/fuse_ops.h"
#include "fs/logger.h"

namespace ipfsfs::fs {

inline FuseContext& Ctx(fuse_req_t req) { return *static_cast<FuseContext*>(fuse_req_userdata(req)); }
inline Filesystem& Fs(fuse_req_t req) { return *Ctx(req).fs; }

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
  PendingReply(const PendingReply&) = delete;
  PendingReply& operator=(const PendingReply&) = delete;
  ~PendingReply() {
    if (req_) Error("reply", ::ipfsfs::Error{ErrorCode::kInternal, "request dropped unanswered"});
  }
  fuse_req_t req() const { return req_; }
  // Replies with `reply(req)` (a fuse_reply_* call); returns its result.
  template <class F>
  int Send(F&& reply) {
    return SendReply(std::exchange(req_, nullptr), std::forward<F>(reply));
  }
  void Ok() {
    Send([](fuse_req_t q) { return fuse_reply_err(q, 0); });
  }
  void Error(const char* op, const ::ipfsfs::Error& error, ErrnoContext context = ErrnoContext::kDefault) {
    LogError(op, error, context);
    int errnum = ToErrno(error, context);
    Send([errnum](fuse_req_t q) { return fuse_reply_err(q, errnum); });
  }

 private:
  fuse_req_t req_;
};

// std::function needs copyable callables: share the one reply.
using Reply = std::shared_ptr<PendingReply>;

// Runs a handler's body; nothing may unwind into libfuse's C code. A body
// that throws drops its Reply, which answers EIO unless it already replied.
template <class F>
void Guarded(fuse_req_t req, const char* op, F&& body) {
  auto r = std::make_shared<PendingReply>(req);
  const fuse_ctx* ctx = fuse_req_ctx(req);
  ScopedCaller caller(Caller{ctx->uid, ctx->gid, ctx->umask});
  try {
    body(r);
  } catch (const std::exception& e) {
    Logger()->error("{}: internal error: {}", op, e.what());
  }
}

inline struct stat ToStat(const Attr& a) {
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
  if (a.atime_sec != 0 || a.atime_nsec != 0) st.st_atim = timespec{a.atime_sec, a.atime_nsec};
  if (a.ctime_sec != 0 || a.ctime_nsec != 0) st.st_ctim = timespec{a.ctime_sec, a.ctime_nsec};
  st.st_rdev = static_cast<dev_t>(a.rdev);
  return st;
}

inline fuse_entry_param ToEntryParam(const Entry& e) {
  fuse_entry_param p{};
  p.ino = e.ino;
  p.attr = ToStat(e.attr);
  p.attr_timeout = e.attr_timeout;
  p.entry_timeout = e.entry_timeout;
  return p;
}

// Reply makers shared by the handlers below.
inline Callback<Entry> EntryReply(Reply r, const char* op) {
  return [r, op](Result<Entry> e) {
    if (!e) return r->Error(op, e.error());
    if (e->ino == 0 && e->entry_timeout <= 0) return r->Error(op, Error{ErrorCode::kNotFound, "no such name"});
    fuse_entry_param p = ToEntryParam(*e);
    r->Send([&p](fuse_req_t q) { return fuse_reply_entry(q, &p); });
  };
}

inline Callback<void> StatusReply(Reply r, const char* op, ErrnoContext context = ErrnoContext::kDefault) {
  return [r, op, context](Status s) {
    if (!s) return r->Error(op, s.error(), context);
    r->Ok();
  };
}

inline Callback<Attr> AttrReply(Reply r, Filesystem* fs, fuse_ino_t ino, const char* op) {
  return [r, fs, ino, op](Result<Attr> a) {
    if (!a) return r->Error(op, a.error());
    struct stat st = ToStat(*a);
    double timeout = fs->AttrTimeout(ino);
    r->Send([&](fuse_req_t q) { return fuse_reply_attr(q, &st, timeout); });
  };
}

// A value for getxattr/listxattr: its size when asked with size 0.
inline void ReplyXattr(const Reply& r, const char* op, const std::string& value, size_t size) {
  if (size == 0) return (void)r->Send([&](fuse_req_t q) { return fuse_reply_xattr(q, value.size()); });
  if (size < value.size()) return r->Error(op, Error{ErrorCode::kTooLarge, "buffer too small"}, ErrnoContext::kXattr);
  r->Send([&](fuse_req_t q) { return fuse_reply_buf(q, value.data(), value.size()); });
}

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_INTERNAL_FUSE_REPLY_H_
