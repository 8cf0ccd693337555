// Blocking wrappers over Filesystem's callbacks, for tests only.
#ifndef IPFSFS_TESTS_FS_SYNC_FS_H_
#define IPFSFS_TESTS_FS_SYNC_FS_H_

#include <chrono>
#include <future>
#include <stdexcept>

#include "fs/filesystem.h"

namespace ipfsfs::testing {

template <class T, class F>
Result<T> Await(F&& start) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  start([p](Result<T> r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) throw std::runtime_error("callback never ran");
  return f.get();
}

inline Result<fs::Entry> Lookup(fs::Filesystem& f, fs::Ino parent, std::string name) {
  return Await<fs::Entry>([&](auto cb) { f.Lookup(parent, name, cb); });
}
inline Result<fs::Attr> GetAttr(fs::Filesystem& f, fs::Ino ino) {
  return Await<fs::Attr>([&](auto cb) { f.GetAttr(ino, cb); });
}

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_FS_SYNC_FS_H_
