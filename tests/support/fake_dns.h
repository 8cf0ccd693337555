// FakeDnsClient: an in-memory zone behind the net::DnsClient interface.
//
// Names map to TXT records or to one CNAME. Like a recursive server, a lookup
// follows CNAMEs inside one answer, up to `cnames_per_answer` (set it to 1 to
// act like a server that answers an alias without its target); a CNAME loop
// is answered kUnavailable (SERVFAIL), as real resolvers do. A name may be set
// to fail with any code. Answers are given inline, on the caller's thread.
// Every name asked is recorded. Thread-safe (one mutex, not held in callbacks).
#ifndef IPFSFS_TESTS_SUPPORT_FAKE_DNS_H_
#define IPFSFS_TESTS_SUPPORT_FAKE_DNS_H_

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/dns_client.h"

namespace ipfsfs::testing {

class FakeDnsClient : public net::DnsClient {
 public:
  void AddTxt(const std::string& name, std::string record, std::chrono::seconds ttl = std::chrono::seconds(60)) {
    std::lock_guard<std::mutex> lock(mu_);
    zone_[name].txt.push_back(std::move(record));
    zone_[name].ttl = ttl;
  }
  void AddCname(const std::string& name, std::string target, std::chrono::seconds ttl = std::chrono::seconds(60)) {
    std::lock_guard<std::mutex> lock(mu_);
    zone_[name].cname = std::move(target);
    zone_[name].ttl = ttl;
  }
  void Fail(const std::string& name, ErrorCode code) {
    std::lock_guard<std::mutex> lock(mu_);
    zone_[name].fail = code;
  }
  void set_cnames_per_answer(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    cnames_per_answer_ = n;
  }
  std::vector<std::string> asked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }

  void LookupTxt(std::string name, net::TxtCallback done) override {
    Result<net::TxtAnswer> answer = Answer(name);
    done(std::move(answer));
  }

 private:
  struct Entry {
    std::vector<std::string> txt;
    std::string cname;
    std::chrono::seconds ttl{60};
    std::optional<ErrorCode> fail;
  };

  Result<net::TxtAnswer> Answer(std::string name) {
    std::lock_guard<std::mutex> lock(mu_);
    asked_.push_back(name);
    net::TxtAnswer answer;
    std::optional<std::chrono::seconds> ttl;
    std::vector<std::string> seen{name};
    for (;;) {
      auto it = zone_.find(name);
      if (it == zone_.end()) return MakeError(ErrorCode::kNotFound, "NXDOMAIN " + name);
      const Entry& e = it->second;
      if (e.fail) return MakeError(*e.fail, "injected failure at " + name);
      ttl = ttl ? std::min(*ttl, e.ttl) : e.ttl;
      if (e.cname.empty()) {
        if (e.txt.empty()) return MakeError(ErrorCode::kNotFound, "no TXT at " + name);
        answer.records = e.txt;
        break;
      }
      if (std::find(seen.begin(), seen.end(), e.cname) != seen.end()) {
        return MakeError(ErrorCode::kUnavailable, "SERVFAIL: CNAME loop at " + name);
      }
      seen.push_back(e.cname);
      answer.cnames.push_back(e.cname);
      name = e.cname;
      if (static_cast<int>(answer.cnames.size()) >= cnames_per_answer_) break;  // alias only
    }
    answer.ttl = *ttl;
    return answer;
  }

  mutable std::mutex mu_;
  std::map<std::string, Entry> zone_;  // guarded by mu_
  std::vector<std::string> asked_;     // guarded by mu_
  int cnames_per_answer_ = 8;          // guarded by mu_
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_FAKE_DNS_H_
