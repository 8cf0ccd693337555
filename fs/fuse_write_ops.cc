// The write operations of the libfuse3 front: unpack (copying what dies with
// the handler), call one Filesystem method, reply.
#include <cerrno>
#include <ctime>
#include <utility>

#include "fs/internal/fuse_ops.h"
#include "fs/internal/fuse_reply.h"

namespace ipfsfs::fs {
namespace {

Bytes Copy(const char* data, size_t size) {
  auto* p = reinterpret_cast<const std::byte*>(data);
  return Bytes(p, p + size);
}

void OpSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  Guarded(req, "setattr", [&](Reply r) {
    SetAttrRequest c;
    if (to_set & FUSE_SET_ATTR_MODE) c.mode = attr->st_mode;
    if (to_set & FUSE_SET_ATTR_UID) c.uid = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) c.gid = attr->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) c.size = static_cast<uint64_t>(attr->st_size);
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    if (to_set & FUSE_SET_ATTR_MTIME) {
      c.mtime_sec = attr->st_mtim.tv_sec;
      c.mtime_nsec = static_cast<uint32_t>(attr->st_mtim.tv_nsec);
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
      c.mtime_sec = now.tv_sec;
      c.mtime_nsec = static_cast<uint32_t>(now.tv_nsec);
    }
    if (to_set & FUSE_SET_ATTR_ATIME) {
      c.atime_sec = attr->st_atim.tv_sec;
      c.atime_nsec = static_cast<uint32_t>(attr->st_atim.tv_nsec);
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
      c.atime_sec = now.tv_sec;
      c.atime_nsec = static_cast<uint32_t>(now.tv_nsec);
    }
    Fs(req).SetAttr(ino, c, AttrReply(r, &Fs(req), ino, "setattr"));
  });
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Guarded(req, "mknod", [&](Reply r) { Fs(req).Mknod(parent, name, mode, rdev, EntryReply(r, "mknod")); });
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Guarded(req, "mkdir", [&](Reply r) { Fs(req).Mkdir(parent, name, mode, EntryReply(r, "mkdir")); });
}

void OpSymlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  Guarded(req, "symlink", [&](Reply r) { Fs(req).Symlink(target, parent, name, EntryReply(r, "symlink")); });
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  Guarded(req, "link", [&](Reply r) {
    Fs(req).Link(ino, new_parent, new_name, [r](Result<Entry> e) {
      if (!e) return r->Error("link", e.error(), ErrnoContext::kCrossTree);
      EntryReply(r, "link")(std::move(e));
    });
  });
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "unlink", [&](Reply r) { Fs(req).Unlink(parent, name, StatusReply(r, "unlink")); });
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guarded(req, "rmdir", [&](Reply r) { Fs(req).Rmdir(parent, name, StatusReply(r, "rmdir")); });
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent, const char* new_name,
              unsigned flags) {
  Guarded(req, "rename", [&](Reply r) {
    Fs(req).Rename(parent, name, new_parent, new_name, flags, StatusReply(r, "rename", ErrnoContext::kCrossTree));
  });
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Guarded(req, "create", [&](Reply r) {
    fuse_file_info copy = *fi;
    Filesystem* fs = &Fs(req);
    fs->Create(parent, name, mode, fi->flags, [r, copy, fs](Result<CreatedFile> created) mutable {
      if (!created) return r->Error("create", created.error());
      fuse_entry_param p = ToEntryParam(created->entry);
      copy.fh = created->file.fh;
      copy.keep_cache = created->file.keep_cache;
      if (r->Send([&](fuse_req_t q) { return fuse_reply_create(q, &p, &copy); }) != 0) fs->Release(copy.fh);
    });
  });
}

void OpWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off, fuse_file_info* fi) {
  Guarded(req, "write", [&](Reply r) {
    Fs(req).Write(fi->fh, static_cast<uint64_t>(off), Copy(data, size), [r](Result<size_t> n) {
      if (!n) return r->Error("write", n.error());
      r->Send([&](fuse_req_t q) { return fuse_reply_write(q, *n); });
    });
  });
}

void OpFsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  Guarded(req, "fsync", [&](Reply r) { Fs(req).Fsync(fi->fh, datasync != 0, StatusReply(r, "fsync")); });
}

void OpSetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  Guarded(req, "setxattr", [&](Reply r) {
    Fs(req).SetXattr(ino, name, Copy(value, size), flags, StatusReply(r, "setxattr", ErrnoContext::kXattr));
  });
}

void OpRemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Guarded(req, "removexattr", [&](Reply r) {
    Fs(req).RemoveXattr(ino, name, StatusReply(r, "removexattr", ErrnoContext::kXattr));
  });
}

void OpFsyncDir(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  Guarded(req, "fsyncdir", [&](Reply r) { Fs(req).FsyncDir(fi->fh, datasync != 0, StatusReply(r, "fsyncdir")); });
}

void OpFallocate(fuse_req_t req, fuse_ino_t, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  Guarded(req, "fallocate", [&](Reply r) {
    Fs(req).Fallocate(fi->fh, mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(length),
                      StatusReply(r, "fallocate"));
  });
}

void OpLseek(fuse_req_t req, fuse_ino_t, off_t off, int whence, fuse_file_info* fi) {
  Guarded(req, "lseek", [&](Reply r) {
    Fs(req).Lseek(fi->fh, static_cast<uint64_t>(off), whence, [r](Result<uint64_t> at) {
      // A tree without holes: ENOSYS makes the kernel answer lseek itself.
      if (!at && at.error().sys_errno == 0 && at.error().code == ErrorCode::kUnsupported) {
        return (void)r->Send([](fuse_req_t q) { return fuse_reply_err(q, ENOSYS); });
      }
      if (!at) return r->Error("lseek", at.error());
      r->Send([&](fuse_req_t q) { return fuse_reply_lseek(q, static_cast<off_t>(*at)); });
    });
  });
}

}  // namespace

void AddWriteOps(fuse_lowlevel_ops& ops) {
  ops.setattr = OpSetAttr;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.symlink = OpSymlink;
  ops.link = OpLink;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.rename = OpRename;
  ops.create = OpCreate;
  ops.write = OpWrite;
  ops.fsync = OpFsync;
  ops.setxattr = OpSetXattr;
  ops.removexattr = OpRemoveXattr;
  ops.fsyncdir = OpFsyncDir;
  ops.fallocate = OpFallocate;
  ops.lseek = OpLseek;
}

}  // namespace ipfsfs::fs
