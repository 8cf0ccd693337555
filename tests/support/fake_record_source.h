// FakeRecordSource: a record-only Source for names tests: serves IPNS records
// by name (any form), synchronously, or fails every request as a dead source.
// Counts requests. Thread-safe; header-only.
#ifndef IPFSFS_TESTS_SUPPORT_FAKE_RECORD_SOURCE_H_
#define IPFSFS_TESTS_SUPPORT_FAKE_RECORD_SOURCE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "blockcache/source.h"
#include "ipld/ipns_name.h"

namespace ipfsfs::testing {

class FakeRecordSource : public blockcache::Source {
 public:
  explicit FakeRecordSource(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::shared_ptr<blockcache::FetchHandle> FetchBlock(const ipld::Cid&, blockcache::RawCallback done) override {
    done(MakeError(ErrorCode::kNotFound, "no blocks"));
    return nullptr;
  }
  std::shared_ptr<blockcache::FetchHandle> FetchCar(const ipld::Cid&, blockcache::PrefetchScope,
                                                    std::optional<blockcache::ByteRange>, blockcache::CarDataCallback,
                                                    blockcache::CarDoneCallback done) override {
    done(MakeError(ErrorCode::kUnsupported, "no cars"));
    return nullptr;
  }
  std::shared_ptr<blockcache::FetchHandle> FetchIpnsRecord(const std::string& name,
                                                           blockcache::RawCallback done) override {
    ++requests;
    std::optional<Bytes> record;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (failing_) return done(MakeError(ErrorCode::kUnavailable, name_ + ": connection refused")), nullptr;
      auto it = records_.find(name);
      if (it != records_.end()) record = it->second;
    }
    if (!record) return done(MakeError(ErrorCode::kNotFound, name_ + ": 404")), nullptr;
    done(std::make_shared<Bytes>(*record));
    return nullptr;
  }
  void Set(const ipld::Multihash& name, Bytes record) {
    std::lock_guard<std::mutex> lock(mu_);
    records_[ipld::FormatIpnsName(name)] = std::move(record);
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    records_.clear();
  }
  void SetFailing(bool failing) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = failing;
  }
  std::atomic<int> requests{0};

 private:
  std::string name_;
  std::mutex mu_;
  std::map<std::string, Bytes> records_;
  bool failing_ = false;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_FAKE_RECORD_SOURCE_H_
