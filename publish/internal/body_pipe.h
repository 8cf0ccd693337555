// BodyPipe: bytes made on one thread (a DAG walk) for an HTTP request body
// read on the engine's loop thread (HttpRequest::body_source), bounded so the
// walk runs at most `capacity` ahead of the upload. The loop side never
// blocks: with nothing queued it answers kBodyWait and the next Write resumes
// the call. Thread-safe.
#ifndef IPFSFS_PUBLISH_INTERNAL_BODY_PIPE_H_
#define IPFSFS_PUBLISH_INTERNAL_BODY_PIPE_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "base/bytes.h"
#include "net/http_engine.h"

namespace ipfsfs::publish::internal {

class BodyPipe {
 public:
  explicit BodyPipe(size_t capacity) : capacity_(capacity) {}

  // Producer. Blocks while the queue is full; false once aborted (the
  // request ended: stop producing).
  bool Write(Bytes bytes) {
    std::shared_ptr<net::HttpCall> resume;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return aborted_ || queued_ < capacity_; });
      if (aborted_) return false;
      queued_ += bytes.size();
      chunks_.push_back(std::move(bytes));
      resume = TakeWaiterLocked();
    }
    if (resume) resume->Resume();
    return true;
  }
  // End of body.
  void Close() {
    std::shared_ptr<net::HttpCall> resume;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      resume = TakeWaiterLocked();
    }
    if (resume) resume->Resume();
  }
  // The request is over (or must end): Write returns false, Read aborts.
  void Abort() {
    std::shared_ptr<net::HttpCall> resume;
    {
      std::lock_guard lock(mu_);
      aborted_ = true;
      resume = TakeWaiterLocked();
    }
    cv_.notify_all();
    if (resume) resume->Resume();
  }
  // The call to resume (set once Start returned; a Read may come before).
  void SetCall(std::shared_ptr<net::HttpCall> call) {
    std::shared_ptr<net::HttpCall> resume;
    {
      std::lock_guard lock(mu_);
      call_ = std::move(call);
      if (waiting_ && (!chunks_.empty() || closed_ || aborted_)) resume = TakeWaiterLocked();
    }
    if (resume) resume->Resume();
  }

  // Consumer: body_source.
  long Read(std::span<std::byte> out) {
    std::lock_guard lock(mu_);
    if (aborted_) return net::HttpRequest::kBodyAbort;
    size_t n = 0;
    while (n < out.size() && !chunks_.empty()) {
      Bytes& front = chunks_.front();
      size_t take = std::min(out.size() - n, front.size() - offset_);
      std::copy_n(front.data() + offset_, take, out.data() + n);
      n += take;
      offset_ += take;
      if (offset_ == front.size()) {
        queued_ -= front.size();
        chunks_.pop_front();
        offset_ = 0;
      }
    }
    if (n > 0) {
      cv_.notify_all();
      return static_cast<long>(n);
    }
    if (closed_) return 0;
    waiting_ = true;
    return net::HttpRequest::kBodyWait;
  }

 private:
  std::shared_ptr<net::HttpCall> TakeWaiterLocked() {
    if (!waiting_ || !call_) return nullptr;
    waiting_ = false;
    return call_;
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Bytes> chunks_;  // GUARDED_BY(mu_)
  size_t offset_ = 0;         // into chunks_.front()
  size_t queued_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
  bool waiting_ = false;  // Read answered kBodyWait; the next Write resumes
  std::shared_ptr<net::HttpCall> call_;
};

}  // namespace ipfsfs::publish::internal

#endif  // IPFSFS_PUBLISH_INTERNAL_BODY_PIPE_H_
