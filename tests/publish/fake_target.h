// FakeTarget: a Target that records what it was asked and fails on demand.
#ifndef IPFSFS_TESTS_PUBLISH_FAKE_TARGET_H_
#define IPFSFS_TESTS_PUBLISH_FAKE_TARGET_H_

#include <atomic>
#include <mutex>
#include <vector>

#include "publish/target.h"

namespace ipfsfs::publish::testing {

class FakeTarget : public Target {
 public:
  struct State {
    std::mutex mu;
    std::vector<PublishRequest> requests;  // GUARDED_BY(mu)
    std::atomic<int> fail_next{0};         // this many calls fail with kUnavailable
  };
  FakeTarget(std::string name, std::shared_ptr<State> state) : name_(std::move(name)), state_(std::move(state)) {}
  std::string Name() const override { return name_; }
  Result<std::string> Publish(const PublishRequest& request) override {
    {
      std::lock_guard lock(state_->mu);
      state_->requests.push_back(request);
    }
    if (state_->fail_next > 0) {
      --state_->fail_next;
      return MakeError(ErrorCode::kUnavailable, "down");
    }
    return "published " + request.root.ToString();
  }

 private:
  std::string name_;
  std::shared_ptr<State> state_;
};

}  // namespace ipfsfs::publish::testing

#endif  // IPFSFS_TESTS_PUBLISH_FAKE_TARGET_H_
