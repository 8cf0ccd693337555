// InodeTable: inode numbers for (parent inode, name) keys, lookup counts, and
// what is known about each entry.
//
// Numbers are handed out once and never reused, and a key keeps its number
// for the life of the mount as long as it is remembered: an entry the kernel
// has forgotten (lookup count 0) stays remembered with its attributes, since
// /ipfs content is immutable, until more than `max_remembered` forgotten
// entries exist; then the oldest forgotten ones are dropped. Lookup counts are
// raised exactly where an entry reply is sent and lowered by forget; an
// underflow is a bug and aborts (passthrough_hp.cc does the same).
//
// Thread-safe: one mutex, never held across a reply or a callback.
#ifndef IPFSFS_FS_INODE_TABLE_H_
#define IPFSFS_FS_INODE_TABLE_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fs/types.h"
#include "resolver/node.h"

namespace ipfsfs::fs {

struct InodeSnapshot {
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
  int tree = 0;                              // index of the Tree serving it
  std::optional<resolver::NodeInfo> info;    // nullopt until fetched
  uint64_t nlookup = 0;
};

class InodeTable {
 public:
  // Numbers below `first_ino` are the caller's (root, tree tops).
  explicit InodeTable(Ino first_ino, size_t max_remembered = 1'000'000);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // The number for (parent, name), made if new (lookup count unchanged).
  Ino Intern(Ino parent, std::string_view name, int tree);
  // Records what is known about (parent, name); with `count`, raises its
  // lookup count by one (an entry reply is about to be sent). Returns the ino.
  Ino Remember(Ino parent, std::string_view name, int tree, const resolver::NodeInfo& info, bool count);
  // Raises the lookup count of a known inode (readdirplus sent it whole).
  void AddLookup(Ino ino);
  // Lowers the count by n; the entry stays remembered.
  void Forget(Ino ino, uint64_t n);

  std::optional<InodeSnapshot> Get(Ino ino) const;
  // Info for (parent, name) when already known.
  std::optional<InodeSnapshot> Find(Ino parent, std::string_view name) const;

  size_t size() const;
  uint64_t total_lookups() const;

 private:
  struct Inode {
    Ino parent = 0;
    std::string name;
    int tree = 0;
    std::optional<resolver::NodeInfo> info;
    uint64_t nlookup = 0;
  };
  static std::string Key(Ino parent, std::string_view name);
  InodeSnapshot Snapshot(Ino ino, const Inode& inode) const;
  void EvictLocked();

  const size_t max_remembered_;
  mutable std::mutex mu_;
  Ino next_ino_;                                   // GUARDED_BY(mu_)
  std::unordered_map<Ino, Inode> inodes_;          // GUARDED_BY(mu_)
  std::unordered_map<std::string, Ino> by_key_;    // GUARDED_BY(mu_)
  std::deque<Ino> forgotten_;                      // GUARDED_BY(mu_): candidates for eviction, oldest first
  uint64_t total_lookups_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_INODE_TABLE_H_
