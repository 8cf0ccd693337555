#include "fs/inode_table.h"

#include <cstdlib>
#include <cstring>

#include "fs/logger.h"

namespace ipfsfs::fs {

InodeTable::InodeTable(Ino first_ino, size_t max_remembered)
    : max_remembered_(max_remembered), next_ino_(first_ino) {}

std::string InodeTable::Key(Ino parent, std::string_view name) {
  std::string key(sizeof(parent), '\0');
  std::memcpy(key.data(), &parent, sizeof(parent));
  key.append(name);
  return key;
}

InodeSnapshot InodeTable::Snapshot(Ino ino, const Inode& inode) const {
  return InodeSnapshot{ino, inode.parent, inode.name, inode.tree, inode.entry, inode.nlookup};
}

Ino InodeTable::AddLocked(std::string key, Ino parent, std::string_view name, int tree) {
  Ino ino = next_ino_++;
  inodes_.emplace(ino, Inode{parent, std::string(name), tree, TreeEntry{}, 0, false});
  by_key_[std::move(key)] = ino;
  return ino;
}

Ino InodeTable::SharedLocked(int tree, const TreeEntry& entry) {
  if (!entry.node) return 0;
  std::string id = entry.node->IdentityKey();
  if (id.empty()) return 0;
  id = std::to_string(tree) + '/' + id;
  auto it = by_identity_.find(id);
  if (it != by_identity_.end()) {
    auto inode = inodes_.find(it->second);
    if (inode != inodes_.end() && inode->second.entry.node &&
        inode->second.entry.node->IdentityKey() == entry.node->IdentityKey()) {
      return it->second;
    }
  }
  return 0;
}

void InodeTable::DropIdentityLocked(Ino ino) {
  auto inode = inodes_.find(ino);
  if (inode == inodes_.end() || !inode->second.entry.node) return;
  std::string id = inode->second.entry.node->IdentityKey();
  if (id.empty()) return;
  auto it = by_identity_.find(std::to_string(inode->second.tree) + '/' + id);
  if (it != by_identity_.end() && it->second == ino) by_identity_.erase(it);
}

Ino InodeTable::Intern(Ino parent, std::string_view name, int tree) {
  std::lock_guard lock(mu_);
  std::string key = Key(parent, name);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    if (inodes_.count(it->second)) return it->second;
    by_key_.erase(it);  // a name of a shared inode erased under another name
  }
  Ino ino = AddLocked(std::move(key), parent, name, tree);
  forgotten_.push_back(ino);
  EvictLocked();
  return ino;
}

Ino InodeTable::Remember(Ino parent, std::string_view name, int tree, const TreeEntry& entry, bool count) {
  std::lock_guard lock(mu_);
  std::string key = Key(parent, name);
  Ino ino = 0;
  if (auto it = by_key_.find(key); it != by_key_.end() && !inodes_.count(it->second)) by_key_.erase(it);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    Inode& old = inodes_.at(it->second);
    if (old.entry.node && entry.node && !old.entry.node->SameIdentity(*entry.node)) {
      // The name means another object now: the kernel's references to the
      // old number stay valid until it forgets them, new ones get a new number.
      old.detached = true;
      if (old.nlookup == 0) {
        DropIdentityLocked(it->second);
        inodes_.erase(it->second);
      }
    } else {
      ino = it->second;
    }
  }
  if (ino == 0 && (ino = SharedLocked(tree, entry)) != 0) {
    // Another name of an object the kernel knows (a hard link, a rename):
    // its number, now also under this name.
    by_key_[std::move(key)] = ino;
    Inode& shared = inodes_.at(ino);
    shared.parent = parent;
    shared.name = std::string(name);
    shared.detached = false;  // named again
  }
  if (ino == 0) {
    ino = AddLocked(std::move(key), parent, name, tree);
    if (!count) forgotten_.push_back(ino);
  }
  if (entry.node) {
    if (std::string id = entry.node->IdentityKey(); !id.empty()) by_identity_[std::to_string(tree) + '/' + id] = ino;
  }
  Inode& inode = inodes_.at(ino);
  inode.entry = entry;
  inode.tree = tree;
  if (count) {
    ++inode.nlookup;
    ++total_lookups_;
  }
  EvictLocked();
  return ino;
}

bool InodeTable::Update(Ino ino, const TreeEntry& entry) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return false;
  it->second.entry = entry;
  return true;
}

void InodeTable::AddLookup(Ino ino) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) {
    // Listed uncounted, then dropped as forgotten (over max_remembered) before
    // its readdirplus reply counted it: the kernel's next use of it is
    // answered as stale. Not an underflow, so not worth the daemon.
    Logger()->error("lookup count raised on inode {}, forgotten meanwhile", ino);
    return;
  }
  ++it->second.nlookup;
  ++total_lookups_;
}

void InodeTable::Forget(Ino ino, uint64_t n) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end() || it->second.nlookup < n) {
    Logger()->critical("forget {} on inode {} with lookup count {}", n, ino,
                       it == inodes_.end() ? 0 : it->second.nlookup);
    std::abort();
  }
  it->second.nlookup -= n;
  total_lookups_ -= n;
  if (it->second.nlookup == 0) {
    if (it->second.detached) {
      DropIdentityLocked(ino);
      inodes_.erase(it);
      return;
    }
    forgotten_.push_back(ino);
    EvictLocked();
  }
}

// Drops the oldest forgotten entries beyond the cap. An ino may sit in
// forgotten_ more than once or have been looked up again: checked here.
void InodeTable::EvictLocked() {
  while (forgotten_.size() > max_remembered_) {
    Ino ino = forgotten_.front();
    forgotten_.pop_front();
    auto it = inodes_.find(ino);
    if (it == inodes_.end() || it->second.nlookup > 0) continue;
    if (!it->second.detached) {
      auto key = by_key_.find(Key(it->second.parent, it->second.name));
      if (key != by_key_.end() && key->second == ino) by_key_.erase(key);
    }
    DropIdentityLocked(ino);
    inodes_.erase(it);
  }
}

std::optional<InodeSnapshot> InodeTable::Get(Ino ino) const {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return std::nullopt;
  return Snapshot(ino, it->second);
}

std::optional<InodeSnapshot> InodeTable::Find(Ino parent, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(Key(parent, name));
  if (it == by_key_.end()) return std::nullopt;
  auto inode = inodes_.find(it->second);
  if (inode == inodes_.end()) return std::nullopt;
  return Snapshot(it->second, inode->second);
}

size_t InodeTable::size() const {
  std::lock_guard lock(mu_);
  return inodes_.size();
}

uint64_t InodeTable::total_lookups() const {
  std::lock_guard lock(mu_);
  return total_lookups_;
}

}  // namespace ipfsfs::fs
