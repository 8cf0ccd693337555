// AsyncValue<T>: a value that arrives later, with waiters called once it does.
//
// Set() once; OnReady() calls its callback at once when the value is there,
// otherwise from the thread that calls Set(). Callbacks run without the lock
// held. Thread-safe; hold it by shared_ptr when callbacks outlive the owner.
#ifndef IPFSFS_RESOLVER_INTERNAL_ASYNC_VALUE_H_
#define IPFSFS_RESOLVER_INTERNAL_ASYNC_VALUE_H_

#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace ipfsfs::resolver::internal {

template <class T>
class AsyncValue {
 public:
  using Callback = std::function<void(const T&)>;

  void OnReady(Callback cb) {
    std::unique_lock lock(mu_);
    if (!value_) {
      waiters_.push_back(std::move(cb));
      return;
    }
    lock.unlock();
    cb(*value_);  // value_ never changes once set
  }

  void Set(T value) {
    std::vector<Callback> waiters;
    {
      std::lock_guard lock(mu_);
      if (value_) return;
      value_.emplace(std::move(value));
      waiters.swap(waiters_);
    }
    for (auto& cb : waiters) cb(*value_);
  }

  bool ready() const {
    std::lock_guard lock(mu_);
    return value_.has_value();
  }

 private:
  mutable std::mutex mu_;
  std::optional<T> value_;  // GUARDED_BY(mu_) until set, then immutable
  std::vector<Callback> waiters_;  // GUARDED_BY(mu_)
};

}  // namespace ipfsfs::resolver::internal

#endif  // IPFSFS_RESOLVER_INTERNAL_ASYNC_VALUE_H_
