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
  return InodeSnapshot{ino, inode.parent, inode.name, inode.tree, inode.info, inode.nlookup};
}

Ino InodeTable::Intern(Ino parent, std::string_view name, int tree) {
  std::lock_guard lock(mu_);
  std::string key = Key(parent, name);
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
  Ino ino = next_ino_++;
  inodes_.emplace(ino, Inode{parent, std::string(name), tree, std::nullopt, 0});
  by_key_.emplace(std::move(key), ino);
  forgotten_.push_back(ino);
  EvictLocked();
  return ino;
}

Ino InodeTable::Remember(Ino parent, std::string_view name, int tree, const resolver::NodeInfo& info, bool count) {
  std::lock_guard lock(mu_);
  std::string key = Key(parent, name);
  Ino ino;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    ino = it->second;
  } else {
    ino = next_ino_++;
    inodes_.emplace(ino, Inode{parent, std::string(name), tree, std::nullopt, 0});
    by_key_.emplace(std::move(key), ino);
    if (!count) forgotten_.push_back(ino);
  }
  Inode& inode = inodes_.at(ino);
  if (!inode.info) inode.info = info;
  if (count) {
    ++inode.nlookup;
    ++total_lookups_;
  }
  EvictLocked();
  return ino;
}

void InodeTable::AddLookup(Ino ino) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) {
    Logger()->critical("lookup count raised on unknown inode {}", ino);
    std::abort();
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
    by_key_.erase(Key(it->second.parent, it->second.name));
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
  return Snapshot(it->second, inodes_.at(it->second));
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
