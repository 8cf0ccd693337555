// LocalTree: a small writable Tree for tests over one flat local directory.
// Files are read as descriptor ranges (ReadReply::fd), as the staging tree
// will serve them; each name has a version that tests bump to make the name
// point at another object (a fresh inode); entries carry the tree's own
// timeouts; mkdir and unlink really change the directory. Thread-safe for the
// tests' use (one mutex around the versions). Header-only.
#ifndef IPFSFS_TESTS_FS_LOCAL_TREE_H_
#define IPFSFS_TESTS_FS_LOCAL_TREE_H_

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "fs/tree.h"

namespace ipfsfs::testing {

class LocalTree : public fs::Tree {
 public:
  explicit LocalTree(std::string dir) : dir_(std::move(dir)) {}

  std::string_view name() const override { return "local"; }
  bool read_only() const override { return false; }

  double entry_timeout = 2.5;
  double attr_timeout = 1.5;
  double negative_timeout = 0.5;

  void SetVersion(const std::string& name, int version) {
    std::lock_guard lock(mu_);
    versions_[name] = version;
  }

  void Lookup(const fs::TreeNodePtr& dir, std::string name, fs::Callback<fs::TreeEntry> done) override {
    if (dir) return done(Negative());
    auto entry = Stat(name);
    if (!entry && entry.error().code == ErrorCode::kNotFound) return done(Negative());
    done(std::move(entry));
  }
  void ReadLink(const fs::TreeNodePtr&, fs::Callback<std::string> done) override {
    done(MakeError(ErrorCode::kInvalidArgument, "no symlinks here"));
  }
  void Open(const fs::TreeNodePtr& node, int flags, fs::Callback<fs::TreeOpened> done) override {
    int fd = ::open(Path(AsNode(node).name).c_str(), flags & ~(O_CREAT | O_EXCL));
    if (fd < 0) return done(MakeError(ErrorCode::kNotFound, std::strerror(errno)));
    done(fs::TreeOpened{std::make_shared<File>(fd), false});
  }
  void Read(const fs::TreeHandlePtr& file, uint64_t offset, size_t size, fs::Callback<fs::ReadReply> done) override {
    fs::ReadReply reply;
    reply.slices.push_back(fs::ReadSlice{file, nullptr, size, static_cast<File&>(*file).fd, offset});
    done(std::move(reply));
  }
  void OpenDir(const fs::TreeNodePtr&, fs::Callback<fs::TreeOpened> done) override {
    auto listing = std::make_shared<Listing>();
    if (DIR* d = opendir(dir_.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") listing->names.push_back(n);
      }
      closedir(d);
    }
    done(fs::TreeOpened{listing, false});
  }
  void ReadDir(const fs::TreeHandlePtr& dir, uint64_t first, size_t max,
               fs::Callback<std::vector<fs::TreeDirEntry>> done) override {
    auto& names = static_cast<Listing&>(*dir).names;
    std::vector<fs::TreeDirEntry> out;
    for (size_t i = first; i < names.size() && out.size() < max; ++i) {
      auto entry = Stat(names[i]);
      fs::TreeDirEntry e{names[i], 0, std::nullopt};
      if (entry) {
        e.type = entry->attr.mode & S_IFMT;
        e.entry = *entry;
      }
      out.push_back(std::move(e));
    }
    done(std::move(out));
  }
  void Mkdir(const fs::TreeNodePtr& dir, std::string name, uint32_t mode, fs::Callback<fs::TreeEntry> done) override {
    if (dir) return done(MakeError(ErrorCode::kUnsupported, "flat tree"));
    if (::mkdir(Path(name).c_str(), mode) != 0) return done(MakeError(ErrorCode::kInvalidArgument, std::strerror(errno)));
    done(Stat(name));
  }
  void Unlink(const fs::TreeNodePtr& dir, std::string name, fs::Callback<void> done) override {
    if (dir || ::unlink(Path(name).c_str()) != 0) return done(MakeError(ErrorCode::kNotFound, "cannot unlink " + name));
    done(OkStatus());
  }
  void StatFs(fs::Callback<fs::FsStats> done) override {
    fs::FsStats s;
    s.read_only = false;
    s.blocks = 1000;
    done(s);
  }

 private:
  struct Node : fs::TreeNode {
    Node(std::string n, int v) : name(std::move(n)), version(v) {}
    bool SameIdentity(const fs::TreeNode& newer) const override {
      return static_cast<const Node&>(newer).version == version;
    }
    std::string name;
    int version;
  };
  struct File : fs::TreeHandle {
    explicit File(int f) : fd(f) {}
    ~File() override { ::close(fd); }
    int fd;
  };
  struct Listing : fs::TreeHandle {
    std::vector<std::string> names;
  };

  static const Node& AsNode(const fs::TreeNodePtr& node) { return static_cast<const Node&>(*node); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  fs::TreeEntry Negative() const {
    fs::TreeEntry e;
    e.entry_timeout = negative_timeout;
    return e;
  }
  Result<fs::TreeEntry> Stat(const std::string& name) {
    struct stat st {};
    if (::lstat(Path(name).c_str(), &st) != 0) return MakeError(ErrorCode::kNotFound, name + ": " + std::strerror(errno));
    int version = 0;
    {
      std::lock_guard lock(mu_);
      version = versions_[name];
    }
    fs::TreeEntry e;
    e.node = std::make_shared<Node>(name, version);
    e.attr.mode = st.st_mode;
    e.attr.size = static_cast<uint64_t>(st.st_size);
    e.attr.nlink = static_cast<uint32_t>(st.st_nlink);
    e.attr.mtime_sec = st.st_mtim.tv_sec;
    e.entry_timeout = entry_timeout;
    e.attr_timeout = attr_timeout;
    return e;
  }

  const std::string dir_;
  std::mutex mu_;
  std::map<std::string, int> versions_;  // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_FS_LOCAL_TREE_H_
