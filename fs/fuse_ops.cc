// libfuse3 low-level front of Filesystem: unpack, call one method, reply.
#include "fs/internal/fuse_ops.h"
#include "fs/internal/fuse_reply.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <new>
#include <utility>
#include <vector>

#include "fs/logger.h"

namespace ipfsfs::fs {
namespace {

void OpInit(void* userdata, fuse_conn_info* conn) {
  conn->max_read = static_cast<FuseContext*>(userdata)->max_read;
  auto want = [conn](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_ASYNC_READ);
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_PARALLEL_DIROPS);
  want(FUSE_CAP_CACHE_SYMLINKS);
  // Reads answered with descriptor ranges (cached leaves, staging files) are
  // spliced from the page cache instead of copied through the daemon.
  want(FUSE_CAP_SPLICE_WRITE);
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;  // content never changes, or only through this mount
  // Writes through this mount are the only writes (staging/): the kernel may
  // keep them in its page cache and own sizes and times (passthrough_ll -o writeback).
  if (static_cast<FuseContext*>(userdata)->fs->writable()) want(FUSE_CAP_WRITEBACK_CACHE);
  // max_pages follows max_write in libfuse: this is what lets reads reach 1 MiB.
  conn->max_write = 1u << 20;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  Logger()->info("FUSE protocol {}.{}, max_read {}, max_readahead {}", conn->proto_major, conn->proto_minor,
                 conn->max_read, conn->max_readahead);
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "lookup", [&](Reply r) { Fs(req).Lookup(parent, name, EntryReply(r, "lookup")); });
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
  Guarded(req, "getattr", [&](Reply r) { Fs(req).GetAttr(ino, AttrReply(r, &Fs(req), ino, "getattr")); });
}

void OpReadLink(fuse_req_t req, fuse_ino_t ino) {
  Guarded(req, "readlink", [&](Reply r) {
    Fs(req).ReadLink(ino, [r](Result<std::string> target) {
      if (!target) return r->Error("readlink", target.error());
      r->Send([&](fuse_req_t q) { return fuse_reply_readlink(q, target->c_str()); });
    });
  });
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guarded(req, "open", [&](Reply r) {
    fuse_file_info copy = *fi;  // fi dies when this handler returns
    Filesystem* fs = &Fs(req);
    fs->Open(ino, fi->flags, [r, copy, fs](Result<OpenedFile> opened) mutable {
      if (!opened) return r->Error("open", opened.error());
      copy.fh = opened->fh;
      copy.keep_cache = opened->keep_cache;
      // A failed reply: the opener is gone (interrupted), nobody will release.
      if (r->Send([&](fuse_req_t q) { return fuse_reply_open(q, &copy); }) != 0) fs->Release(opened->fh);
    });
  });
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guarded(req, "read", [&](Reply r) {
    Fs(req).Read(fi->fh, static_cast<uint64_t>(off), size, [r](Result<ReadReply> reply) {
      if (!reply) return r->Error("read", reply.error());
      const auto& slices = reply->slices;
      if (std::any_of(slices.begin(), slices.end(), [](const ReadSlice& s) { return s.fd >= 0; })) {
        // Descriptor ranges (cached leaves, staging files): libfuse splices
        // them from the page cache into /dev/fuse (no copy through our
        // memory; a plain copy where it cannot splice), memory slices
        // written beside them (passthrough_ll's lo_read, several buffers).
        std::vector<std::byte> storage(sizeof(fuse_bufvec) + (slices.size() - 1) * sizeof(fuse_buf));
        auto* bv = new (storage.data()) fuse_bufvec{};
        bv->count = slices.size();
        for (size_t i = 0; i < slices.size(); ++i) {
          fuse_buf& b = bv->buf[i];
          b = fuse_buf{};
          b.size = slices[i].length;
          if (slices[i].fd >= 0) {
            b.flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
            b.fd = slices[i].fd;
            b.pos = static_cast<off_t>(slices[i].fd_offset);
          } else {
            b.mem = const_cast<std::byte*>(slices[i].data);
          }
        }
        return (void)r->Send([bv](fuse_req_t q) { return fuse_reply_data(q, bv, fuse_buf_copy_flags{}); });
      }
      std::vector<iovec> iov;
      iov.reserve(reply->slices.size());
      for (const auto& s : reply->slices) iov.push_back(iovec{const_cast<std::byte*>(s.data), s.length});
      // fuse_reply_iov writes synchronously: the slices live until it returns.
      r->Send([&](fuse_req_t q) { return fuse_reply_iov(q, iov.data(), static_cast<int>(iov.size())); });
    });
  });
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).Release(fi->fh);
  fuse_reply_err(req, 0);
}

void OpOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guarded(req, "opendir", [&](Reply r) {
    fuse_file_info copy = *fi;
    Filesystem* fs = &Fs(req);
    fs->OpenDir(ino, [r, copy, fs](Result<OpenedDir> opened) mutable {
      if (!opened) return r->Error("opendir", opened.error());
      copy.fh = opened->fh;
      copy.cache_readdir = opened->cache_readdir;
      copy.keep_cache = opened->cache_readdir;
      if (r->Send([&](fuse_req_t q) { return fuse_reply_open(q, &copy); }) != 0) fs->ReleaseDir(opened->fh);
    });
  });
}

void DoReadDir(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  Guarded(req, plus ? "readdirplus" : "readdir", [&](Reply r) {
    size_t max = std::max<size_t>(1, size / 48);
    Filesystem* fs = &Fs(req);
    fs->ReadDir(fi->fh, static_cast<uint64_t>(off), max, [r, fs, size, plus](Result<std::vector<DirListEntry>> list) {
      if (!list) return r->Error(plus ? "readdirplus" : "readdir", list.error());
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
          if (item.entry.ino != 0) fs->CommitListed(item.entry.ino);
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
  });
}

void OpReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  DoReadDir(req, size, off, fi, false);
}

void OpReadDirPlus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  DoReadDir(req, size, off, fi, true);
}

void OpReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).ReleaseDir(fi->fh);
  fuse_reply_err(req, 0);
}

void OpStatFs(fuse_req_t req, fuse_ino_t ino) {
  Guarded(req, "statfs", [&](Reply r) {
    Fs(req).StatFs(ino, [r](Result<FsStats> s) {
      if (!s) return r->Error("statfs", s.error());
      struct statvfs st {};
      st.f_bsize = s->block_size;
      st.f_frsize = s->fragment_size;
      st.f_blocks = s->blocks;
      st.f_bfree = s->blocks_free;
      st.f_bavail = s->blocks_available;
      st.f_files = s->files;
      st.f_ffree = s->files_free;
      st.f_namemax = s->name_max;
      st.f_flag = s->read_only ? ST_RDONLY : 0;
      r->Send([&](fuse_req_t q) { return fuse_reply_statfs(q, &st); });
    });
  });
}

void OpGetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guarded(req, "getxattr", [&](Reply r) {
    Fs(req).GetXattr(ino, name, [r, size](Result<std::string> value) {
      if (!value) return r->Error("getxattr", value.error(), ErrnoContext::kXattr);
      ReplyXattr(r, "getxattr", *value, size);
    });
  });
}

void OpListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guarded(req, "listxattr", [&](Reply r) {
    Fs(req).ListXattr(ino, [r, size](Result<std::vector<std::string>> names) {
      if (!names) return r->Error("listxattr", names.error(), ErrnoContext::kXattr);
      std::string list;
      for (const auto& n : *names) {
        list += n;
        list.push_back('\0');
      }
      ReplyXattr(r, "listxattr", list, size);
    });
  });
}

}  // namespace

fuse_lowlevel_ops MakeFuseOps() {
  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetAttr;
  ops.readlink = OpReadLink;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.release = OpRelease;
  ops.opendir = OpOpenDir;
  ops.readdir = OpReadDir;
  ops.readdirplus = OpReadDirPlus;
  ops.releasedir = OpReleaseDir;
  ops.statfs = OpStatFs;
  ops.getxattr = OpGetXattr;
  ops.listxattr = OpListXattr;
  AddWriteOps(ops);
  return ops;
}

}  // namespace ipfsfs::fs
