#include "fs/ipfs_tree.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "fs/internal/file_slices.h"
#include "fs/logger.h"

namespace ipfsfs::fs {
namespace {

// What the tree keeps per entry: the node's facts (small enough to remember
// forever), not the node (directories' links stay in the resolver's cache).
struct IpfsNode : TreeNode {
  explicit IpfsNode(resolver::NodeInfo i) : info(std::move(i)) {}
  const resolver::NodeInfo info;
};

struct IpfsFile : TreeHandle {
  explicit IpfsFile(std::shared_ptr<resolver::FileReader> r) : reader(std::move(r)) {}
  const std::shared_ptr<resolver::FileReader> reader;
};

// The top directory lists a fixed set of names; others stream their entries.
struct IpfsDir : TreeHandle {
  std::vector<std::string> names;
  std::shared_ptr<resolver::DirectoryStream> stream;
};

const resolver::NodeInfo& Info(const TreeNodePtr& node) { return static_cast<const IpfsNode&>(*node).info; }

uint32_t Perm(const std::optional<uint32_t>& unixfs, uint32_t fallback) {
  return unixfs ? *unixfs & 0777 : fallback;  // never setuid, setgid or sticky from content
}

}  // namespace

IpfsTree::IpfsTree(resolver::Resolver& resolver, IpfsTreeOptions options)
    : resolver_(resolver), options_(std::move(options)), warmer_(options_.warm_in_flight, options_.warm_queue) {}

TreeEntry IpfsTree::MakeEntry(const resolver::NodeInfo& info) const {
  TreeEntry e;
  Attr& a = e.attr;
  switch (info.kind) {
    case resolver::NodeKind::kDirectory:
    case resolver::NodeKind::kHamtShard:
      a.mode = S_IFDIR | Perm(info.mode, 0555);
      a.nlink = 2;
      break;
    case resolver::NodeKind::kFile:
      a.mode = S_IFREG | Perm(info.mode, 0444);
      a.size = info.size;
      break;
    case resolver::NodeKind::kSymlink:
      a.mode = S_IFLNK | 0777;
      a.size = info.symlink_target.size();
      break;
  }
  a.blocks = (a.size + 511) / 512;
  if (info.mtime) {
    a.mtime_sec = info.mtime->seconds;
    a.mtime_nsec = info.mtime->nanos.value_or(0);
  }
  e.node = std::make_shared<IpfsNode>(info);
  e.entry_timeout = options_.attr_timeout;
  e.attr_timeout = options_.attr_timeout;
  e.immutable = true;
  return e;
}

TreeEntry IpfsTree::Negative(double timeout) const {
  TreeEntry e;
  e.entry_timeout = timeout;
  return e;
}

void IpfsTree::Lookup(const TreeNodePtr& dir, std::string name, Callback<TreeEntry> done) {
  if (!dir) {
    auto cid = ipld::Cid::Parse(name);
    if (!cid) {
      Logger()->debug("lookup ipfs/{}: not a CID: {}", name, cid.error().message);
      return done(Negative(options_.top_negative_timeout));
    }
    resolver_.GetNodeAhead(*cid, options_.lookup_head, [this, done = std::move(done)](Result<resolver::NodePtr> node) {
      if (!node && node.error().code == ErrorCode::kNotFound) {
        Logger()->debug("lookup ipfs/: {}", node.error().message);
        return done(Negative(options_.top_negative_timeout));
      }
      if (!node) return done(tl::unexpected(std::move(node).error()));
      done(MakeEntry((*node)->info));
    });
    return;
  }
  const ipld::Cid dir_cid = Info(dir).cid;
  resolver_.GetNode(dir_cid, [this, name = std::move(name), done = std::move(done)](Result<resolver::NodePtr> node) {
    if (!node) return done(tl::unexpected(std::move(node).error()));
    if (!(*node)->is_directory()) {
      return done(MakeError(ErrorCode::kInvalidArgument, (*node)->info.cid.ToString() + " is not a directory"));
    }
    resolver_.FindChild(std::move(*node), name, [this, done](Result<ipld::Cid> cid) {
      if (!cid && cid.error().code == ErrorCode::kNotFound) return done(Negative(options_.attr_timeout));
      if (!cid) return done(tl::unexpected(std::move(cid).error()));
      // The directory names this child, so a child nobody serves is an I/O
      // error, not a missing name.
      resolver_.GetNodeAhead(*cid, options_.lookup_head, [this, done, cid = *cid](Result<resolver::NodePtr> child) {
        if (!child && child.error().code == ErrorCode::kNotFound) {
          return done(MakeError(ErrorCode::kUnavailable, cid.ToString() + ": " + child.error().message));
        }
        if (!child) return done(tl::unexpected(std::move(child).error()));
        done(MakeEntry((*child)->info));
      });
    });
  });
}

void IpfsTree::ReadLink(const TreeNodePtr& node, Callback<std::string> done) {
  const auto& info = Info(node);
  if (info.kind != resolver::NodeKind::kSymlink) {
    return done(MakeError(ErrorCode::kInvalidArgument, info.cid.ToString() + " is not a symlink"));
  }
  done(info.symlink_target);
}

void IpfsTree::Open(const TreeNodePtr& node, int flags, Callback<TreeOpened> done) {
  const auto& info = Info(node);
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT | O_APPEND))) {
    return done(MakeError(ErrorCode::kReadOnly, info.cid.ToString() + " is read-only"));
  }
  if (info.kind != resolver::NodeKind::kFile) {
    return done(MakeError(ErrorCode::kInvalidArgument, info.cid.ToString() + " is not a file"));
  }
  resolver_.GetNode(info.cid, [this, done = std::move(done)](Result<resolver::NodePtr> file) {
    if (!file) return done(tl::unexpected(std::move(file).error()));
    auto reader = resolver::FileReader::Open(resolver_, std::move(*file), options_.reader);
    if (!reader) return done(tl::unexpected(std::move(reader).error()));
    done(TreeOpened{std::make_shared<IpfsFile>(std::move(*reader)), true});
  });
}

void IpfsTree::Read(const TreeHandlePtr& file, uint64_t offset, size_t size, Callback<ReadReply> done) {
  std::shared_ptr<resolver::FileReader> reader = static_cast<IpfsFile&>(*file).reader;
  reader->Read(offset, size, [reader, offset, done = std::move(done)](Result<std::vector<resolver::Slice>> r) {
    if (!r) {
      return done(tl::unexpected(
          r.error().Wrap("read " + reader->root()->info.cid.ToString() + " at " + std::to_string(offset))));
    }
    done(ToReadReply(*r));
  });
}

void IpfsTree::OpenDir(const TreeNodePtr& dir, Callback<TreeOpened> done) {
  auto handle = std::make_shared<IpfsDir>();
  if (!dir) {
    if (options_.pinned_roots) {
      for (const auto& cid : options_.pinned_roots()) handle->names.push_back(cid.ToString());
    }
    return done(TreeOpened{std::move(handle), false});
  }
  resolver_.GetNode(Info(dir).cid, [this, handle, done = std::move(done)](Result<resolver::NodePtr> node) {
    if (!node) return done(tl::unexpected(std::move(node).error()));
    auto stream = resolver::DirectoryStream::Open(resolver_, std::move(*node), options_.listing);
    if (!stream) return done(tl::unexpected(std::move(stream).error()));
    handle->stream = std::move(*stream);
    done(TreeOpened{handle, true});
  });
}

TreeDirEntry IpfsTree::Listed(const TreeHandle& dir, std::string name, const std::optional<ipld::Cid>& cid) {
  TreeDirEntry e;
  e.name = std::move(name);
  if (!cid) return e;
  // A block already cached answers before Add returns: then the entry goes
  // out whole, and the stat that follows needs no LOOKUP. One that comes
  // later is handed to the Filesystem (learned) for that stat.
  struct Cell {
    std::mutex mu;
    std::optional<resolver::NodeInfo> info;  // GUARDED_BY(mu)
    bool listed = false;                     // GUARDED_BY(mu): too late to go out with the listing
  };
  auto cell = std::make_shared<Cell>();
  warmer_.Add(resolver_, *cid, [this, cell, name = e.name, learned = dir.learned](const resolver::NodeInfo& info) {
    {
      std::lock_guard lock(cell->mu);
      if (!cell->listed) {
        cell->info = info;
        return;
      }
    }
    if (learned) learned(name, MakeEntry(info));
  });
  std::lock_guard lock(cell->mu);
  cell->listed = true;
  if (cell->info) {
    e.entry = MakeEntry(*cell->info);
    e.type = e.entry->attr.mode & S_IFMT;
  }
  return e;
}

void IpfsTree::ReadDir(const TreeHandlePtr& dir, uint64_t first, size_t max, Callback<std::vector<TreeDirEntry>> done) {
  auto& handle = static_cast<IpfsDir&>(*dir);
  if (!handle.stream) {
    std::vector<TreeDirEntry> out;
    for (size_t i = first; i < handle.names.size() && out.size() < max; ++i) {
      auto cid = ipld::Cid::Parse(handle.names[i]);
      out.push_back(Listed(handle, handle.names[i], cid ? std::optional<ipld::Cid>(*cid) : std::nullopt));
    }
    return done(std::move(out));
  }
  auto stream = handle.stream;
  stream->Fill(first + max, [this, dir, stream, first, max, done = std::move(done)](Status st) {
    auto entries = stream->Entries(first, max);
    if (!st && entries.empty()) return done(tl::unexpected(st.error()));
    if (!st) Logger()->error("listing ends early: {}", st.error().message);
    if (stream->children_in_car()) return ListedWhole(dir, std::move(entries), stream->options().car_patience, done);
    std::vector<TreeDirEntry> out;
    out.reserve(entries.size());
    for (auto& e : entries) out.push_back(Listed(*dir, std::move(e.name), e.cid));
    done(std::move(out));
  });
}

// The children's root blocks are coming in the directory's CAR: the batch
// waits for them (readdirplus then sends every entry whole, and ls -l or find
// need no LOOKUP per entry). One that cannot be had goes out bare.
void IpfsTree::ListedWhole(const TreeHandlePtr& dir, std::vector<resolver::DirEntry> entries,
                           std::chrono::milliseconds patience, const Callback<std::vector<TreeDirEntry>>& done) {
  struct Batch {
    std::mutex mu;
    std::vector<resolver::DirEntry> entries;               // set before the fetches start
    std::vector<std::optional<resolver::NodeInfo>> infos;  // GUARDED_BY(mu)
    size_t left = 0;                                       // GUARDED_BY(mu)
    Callback<std::vector<TreeDirEntry>> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->infos.resize(entries.size());
  batch->left = entries.size() + 1;  // + 1 for the loop below: inline answers must not finish early
  batch->entries = std::move(entries);
  batch->done = done;
  auto finish = [this, dir, batch] {
    std::vector<TreeDirEntry> out;
    out.reserve(batch->entries.size());
    for (size_t i = 0; i < batch->entries.size(); ++i) {
      auto& e = batch->entries[i];
      std::optional<resolver::NodeInfo> info;
      {
        std::lock_guard lock(batch->mu);
        info = std::move(batch->infos[i]);
      }
      if (!info) {
        out.push_back(Listed(*dir, std::move(e.name), e.cid));
        continue;
      }
      TreeDirEntry t;
      t.name = std::move(e.name);
      t.entry = MakeEntry(*info);
      t.type = t.entry->attr.mode & S_IFMT;
      out.push_back(std::move(t));
    }
    batch->done(std::move(out));
  };
  auto one_done = [batch, finish] {
    bool last;
    {
      std::lock_guard lock(batch->mu);
      last = --batch->left == 0;
    }
    if (last) finish();
  };
  for (size_t i = 0; i < batch->entries.size(); ++i) {
    resolver_.GetExpectedNode(batch->entries[i].cid, patience, [batch, i, one_done](Result<resolver::NodePtr> node) {
      if (node) {
        std::lock_guard lock(batch->mu);
        batch->infos[i] = (*node)->info;
      }
      one_done();
    });
  }
  one_done();
}

void IpfsTree::GetXattr(const TreeNodePtr& node, std::string name, Callback<std::string> done) {
  const auto& info = Info(node);
  if (name == "user.ipfs.cid") return done(info.cid.ToString());
  if (name == "user.ipfs.codec") {
    auto codec = ipld::CodecName(info.cid.codec());
    return done(codec ? std::string(*codec) : fmt::format("0x{:x}", info.cid.codec()));
  }
  if (name == "user.ipfs.size") return done(std::to_string(info.dag_size));
  Tree::GetXattr(node, std::move(name), std::move(done));
}

void IpfsTree::ListXattr(const TreeNodePtr&, Callback<std::vector<std::string>> done) {
  done(std::vector<std::string>{"user.ipfs.cid", "user.ipfs.codec", "user.ipfs.size"});
}

}  // namespace ipfsfs::fs
