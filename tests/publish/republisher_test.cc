// publish/republisher.h: what is due when (a fake clock), sequence + 1 with
// the same value, lifetime and TTL, retries with backoff, keys that are gone,
// and the thread started and stopped (causal: it republishes what is due).
#include "publish/republisher.h"

#include <atomic>
#include <condition_variable>

#include <catch2/catch.hpp>

#include "ipld/ipns_validation.h"

namespace ipfsfs::publish {
namespace {

constexpr char kValue[] = "/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr char kName[] = "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb";

class CountingPutter : public RecordPutter {
 public:
  std::string description() const override { return "fake"; }
  Status Put(const std::string&, ByteSpan record) override {
    std::lock_guard<std::mutex> lock(mu);
    records.emplace_back(record.begin(), record.end());
    changed.notify_all();
    if (failing) return MakeError(ErrorCode::kUnavailable, "down");
    return OkStatus();
  }
  std::mutex mu;
  std::condition_variable changed;
  std::vector<Bytes> records;
  bool failing = false;
};

struct Clock {
  std::atomic<int64_t> seconds{ipld::ParseRfc3339("2026-12-02T12:00:00Z")->seconds};
  ipld::Timestamp now() const { return ipld::Timestamp{seconds.load(), 0}; }
  void Advance(std::chrono::seconds s) { seconds += s.count(); }
};

ipld::PrivateKey KeyOf(char digit) {
  auto key = ipld::PrivateKey::FromEd25519Seed(*FromHex(std::string(64, digit)));
  REQUIRE(key);
  return *key;
}

struct Fixture {
  Clock clock;
  CountingPutter putter;
  std::unique_ptr<PublishedStore> published = NewMemoryPublishedStore();
  std::map<std::string, ipld::PrivateKey> keystore{{"blog", KeyOf('1')}};
  std::unique_ptr<NamePublisher> publisher;

  Fixture() {
    NamePublisherOptions po;
    po.now = [this] { return clock.now(); };
    publisher = std::make_unique<NamePublisher>(std::vector<RecordPutter*>{&putter}, *published, nullptr, nullptr, po);
  }
  RepublisherOptions Options() {
    RepublisherOptions o;
    o.now = [this] { return clock.now(); };
    return o;
  }
  KeyLookup Keys() {
    return [this](const std::string& name) -> Result<ipld::PrivateKey> {
      auto it = keystore.find(name);
      if (it == keystore.end()) return MakeError(ErrorCode::kNotFound, "no key " + name);
      return it->second;
    };
  }
  void PublishFirst(std::chrono::hours lifetime) {
    PublishOptions o;
    o.key_name = "blog";
    o.lifetime = lifetime;
    o.ttl = std::chrono::minutes(2);
    REQUIRE(publisher->Publish(KeyOf('1'), kValue, o));
  }
};

}  // namespace

TEST_CASE("Republisher: a short lifetime is republished at half of it, sequence + 1", "[publish][republish]") {
  Fixture f;
  f.PublishFirst(std::chrono::hours(2));  // due after 1 h (before the 4 h period)
  Republisher r(*f.publisher, *f.published, f.Keys(), f.Options());
  f.clock.Advance(std::chrono::minutes(59));
  CHECK(r.RunOnce().empty());
  f.clock.Advance(std::chrono::minutes(1));
  auto done = r.RunOnce();
  REQUIRE(done.size() == 1);
  CHECK(done[0].name == kName);
  CHECK(done[0].sequence == 1);
  CHECK(done[0].ok);
  REQUIRE(f.putter.records.size() == 2);
  auto record = ipld::VerifyIpnsRecord(f.putter.records[1], KeyOf('1').Public().PeerId(), f.clock.now());
  REQUIRE(record);
  CHECK(AsText(*record->data.value) == kValue);
  CHECK(*record->data.ttl == 120'000'000'000);
  CHECK(AsText(*record->data.validity) == "2026-12-02T15:00:00Z");  // republished at 13:00, + 2 h
  CHECK(r.RunOnce().empty());                                       // not due again until 14:00
  f.clock.Advance(std::chrono::hours(1));
  CHECK(r.RunOnce().at(0).sequence == 2);
}

TEST_CASE("Republisher: kubo's 4 h period for the default 48 h lifetime", "[publish][republish]") {
  Fixture f;
  f.PublishFirst(std::chrono::hours(48));
  Republisher r(*f.publisher, *f.published, f.Keys(), f.Options());
  f.clock.Advance(std::chrono::hours(4) - std::chrono::seconds(1));
  CHECK(r.RunOnce().empty());
  f.clock.Advance(std::chrono::seconds(1));
  CHECK(r.RunOnce().size() == 1);
}

TEST_CASE("Republisher: a failing target is retried with backoff", "[publish][republish]") {
  Fixture f;
  f.PublishFirst(std::chrono::hours(2));
  Republisher r(*f.publisher, *f.published, f.Keys(), f.Options());
  f.putter.failing = true;
  f.clock.Advance(std::chrono::hours(1));
  auto done = r.RunOnce();
  REQUIRE(done.size() == 1);
  CHECK(!done[0].ok);
  CHECK(done[0].error == "fake: down");
  f.clock.Advance(std::chrono::seconds(59));
  CHECK(r.RunOnce().empty());
  f.clock.Advance(std::chrono::seconds(1));  // 1 min later
  CHECK(r.RunOnce().size() == 1);
  f.clock.Advance(std::chrono::seconds(60));
  CHECK(r.RunOnce().empty());  // now 2 min
  f.putter.failing = false;
  f.clock.Advance(std::chrono::seconds(60));
  auto ok = r.RunOnce();
  REQUIRE(ok.size() == 1);
  CHECK(ok[0].ok);
  f.clock.Advance(std::chrono::minutes(59));
  CHECK(r.RunOnce().empty());  // back to the normal rule: due 1 h after the last one
}

TEST_CASE("Republisher: names whose key is gone or replaced are left alone", "[publish][republish]") {
  Fixture f;
  f.PublishFirst(std::chrono::hours(2));
  Republisher r(*f.publisher, *f.published, f.Keys(), f.Options());
  f.clock.Advance(std::chrono::hours(1));
  f.keystore.erase("blog");
  CHECK(r.RunOnce().empty());
  f.keystore.emplace("blog", KeyOf('2'));  // another key under the old name
  f.clock.Advance(std::chrono::minutes(1));
  CHECK(r.RunOnce().empty());
  f.keystore.erase("blog");
  f.keystore.emplace("blog", KeyOf('1'));
  f.clock.Advance(std::chrono::minutes(1));
  CHECK(r.RunOnce().size() == 1);
  CHECK(f.putter.records.size() == 2);
}

TEST_CASE("Republisher: the thread republishes what is due, and stops", "[publish][republish]") {
  Fixture f;
  f.PublishFirst(std::chrono::hours(2));
  f.clock.Advance(std::chrono::hours(3));  // overdue when the thread starts
  Republisher r(*f.publisher, *f.published, f.Keys(), f.Options());
  r.Start();
  {
    std::unique_lock<std::mutex> lock(f.putter.mu);
    // A generous bound only against a hang; the check is that the put happened.
    f.putter.changed.wait_for(lock, std::chrono::seconds(60), [&] { return f.putter.records.size() >= 2; });
    CHECK(f.putter.records.size() == 2);
  }
  r.Stop();
  r.Stop();
  Republisher never(*f.publisher, *f.published, f.Keys(), f.Options());  // stopped without a start
}

}  // namespace ipfsfs::publish
