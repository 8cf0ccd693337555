// InodeTable: inode numbers for (parent inode, name) keys, lookup counts, and
// the last answer a tree gave for each entry (its node, attributes and cache
// times).
//
// Numbers are handed out once and never reused. A key keeps its number while
// it is remembered and its tree says the node's identity is unchanged
// (TreeNode::SameIdentity); a new identity gets a fresh number, and the old
// one lives on, detached from the name, until the kernel forgets it. An entry
// the kernel has forgotten (lookup count 0) stays remembered until more than
// `max_remembered` forgotten entries exist; then the oldest are dropped.
// Lookup counts are raised exactly where an entry reply is sent and lowered
// by forget; an underflow is a bug and aborts (passthrough_hp.cc does too).
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

namespace ipfsfs::fs {

struct InodeSnapshot {
  Ino ino = 0;
  Ino parent = 0;
  std::string name;
  int tree = 0;       // index of the Tree serving it
  TreeEntry entry;    // entry.node is null until the tree has answered
  uint64_t nlookup = 0;
  bool known() const { return entry.node != nullptr; }
};

class InodeTable {
 public:
  // Numbers below `first_ino` are the caller's (root, tree tops).
  explicit InodeTable(Ino first_ino, size_t max_remembered = 1'000'000);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  // The number for (parent, name), made if new (lookup count unchanged).
  Ino Intern(Ino parent, std::string_view name, int tree);
  // Records a tree's answer (non-null node) for (parent, name), replacing
  // what was known; with `count`, raises its lookup count by one (an entry
  // reply is about to be sent). Returns the ino, fresh when the identity
  // changed.
  Ino Remember(Ino parent, std::string_view name, int tree, const TreeEntry& entry, bool count);
  // Replaces what is known about `ino` (fresh attributes); false if unknown.
  bool Update(Ino ino, const TreeEntry& entry);
  // Raises the lookup count of a known inode (readdirplus sent it whole).
  void AddLookup(Ino ino);
  // Lowers the count by n; the entry stays remembered (a replaced one goes).
  void Forget(Ino ino, uint64_t n);

  std::optional<InodeSnapshot> Get(Ino ino) const;
  // What is known for (parent, name).
  std::optional<InodeSnapshot> Find(Ino parent, std::string_view name) const;

  size_t size() const;
  uint64_t total_lookups() const;

 private:
  struct Inode {
    Ino parent = 0;
    std::string name;
    int tree = 0;
    TreeEntry entry;
    uint64_t nlookup = 0;
    bool detached = false;  // replaced under its name: erased at lookup count 0
  };
  static std::string Key(Ino parent, std::string_view name);
  InodeSnapshot Snapshot(Ino ino, const Inode& inode) const;
  Ino AddLocked(std::string key, Ino parent, std::string_view name, int tree);
  // The live ino already given to `entry`'s identity in `tree`, else 0.
  Ino SharedLocked(int tree, const TreeEntry& entry);
  // Before `ino` is erased: its identity stops pointing at it.
  void DropIdentityLocked(Ino ino);
  void EvictLocked();

  const size_t max_remembered_;
  mutable std::mutex mu_;
  Ino next_ino_;                                   // GUARDED_BY(mu_)
  std::unordered_map<Ino, Inode> inodes_;          // GUARDED_BY(mu_)
  std::unordered_map<std::string, Ino> by_key_;    // GUARDED_BY(mu_); may name an erased ino (checked)
  std::unordered_map<std::string, Ino> by_identity_;  // GUARDED_BY(mu_): tree + IdentityKey -> ino (checked)
  std::deque<Ino> forgotten_;                      // GUARDED_BY(mu_): candidates for eviction, oldest first
  uint64_t total_lookups_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_INODE_TABLE_H_
