// publish/name_publisher.h: the sequence rule, outcomes per target, local
// storage, and the two HTTP putters against the loopback test gateway (which
// checks the PUT as boxo's server does and serves the record back).
#include "publish/name_publisher.h"

#include <future>
#include <map>

#include <catch2/catch.hpp>

#include "blockcache/source.h"
#include "ipld/ipns_name.h"
#include "ipld/ipns_record_maker.h"
#include "ipld/ipns_validation.h"
#include "resolver/ipns_record_resolver.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::publish {
namespace {

constexpr char kValue[] = "/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";

class FakePutter : public RecordPutter {
 public:
  explicit FakePutter(std::string name, Status answer = OkStatus()) : name_(std::move(name)), answer_(answer) {}
  std::string description() const override { return name_; }
  Status Put(const std::string& name, ByteSpan record) override {
    puts.emplace_back(name, Bytes(record.begin(), record.end()));
    return answer_;
  }
  std::vector<std::pair<std::string, Bytes>> puts;

 private:
  std::string name_;
  Status answer_;
};

ipld::Timestamp Now() { return *ipld::ParseRfc3339("2026-12-02T12:00:00Z"); }

NamePublisherOptions FixedClock() {
  NamePublisherOptions o;
  o.now = [] { return Now(); };
  return o;
}

ipld::PrivateKey Key() {
  auto key = ipld::PrivateKey::FromEd25519Seed(*FromHex(std::string(64, '1')));
  REQUIRE(key);
  return *key;
}

ipld::IpnsRecord Verified(const Bytes& raw, const ipld::PrivateKey& key) {
  auto record = ipld::VerifyIpnsRecord(raw, key.Public().PeerId(), Now());
  REQUIRE(record);
  return *record;
}

}  // namespace

TEST_CASE("Name publisher: sequences rise from 0, every target gets the record, stored first", "[publish][ipns]") {
  FakePutter a("a"), b("b");
  auto published = NewMemoryPublishedStore();
  auto seen = resolver::NewMemoryNameStore();
  NamePublisher publisher({&a, &b}, *published, seen.get(), nullptr, FixedClock());
  auto key = Key();
  PublishOptions options;
  options.key_name = "blog";
  options.ttl = std::chrono::minutes(1);
  for (uint64_t want : {0, 1, 2}) {
    auto r = publisher.Publish(key, kValue, options);
    REQUIRE(r);
    CHECK(r->name == "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
    CHECK(r->sequence == want);
    CHECK(r->all_ok());
    REQUIRE(r->outcomes.size() == 2);
    CHECK(r->outcomes[0].target == "a");
    auto record = Verified(r->record, key);
    CHECK(*record.data.sequence == static_cast<int64_t>(want));
    CHECK(*record.data.ttl == 60'000'000'000);
    CHECK(AsText(*record.data.validity) == "2026-12-04T12:00:00Z");  // now + 48 h
    CHECK(record.SignatureType() == "V1+V2");
  }
  REQUIRE(a.puts.size() == 3);
  CHECK(a.puts[2].first == "k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
  CHECK(a.puts[2].second == b.puts[2].second);
  auto stored = published->Load("k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK((*stored)->sequence == 2);
  CHECK((*stored)->key_name == "blog");
  CHECK((*stored)->value == kValue);
  auto local = seen->Load("k51qzi5uqu5dldhbzu8n103rk9vogs98jlyiek9ab95nby355ejzh0marmmurb");
  REQUIRE(local);
  CHECK(**local == a.puts[2].second);  // a local resolve sees it at once
}

TEST_CASE("Name publisher: the sequence is above the highest seen elsewhere", "[publish][ipns]") {
  FakePutter a("a");
  auto published = NewMemoryPublishedStore();
  uint64_t elsewhere = 41;
  NamePublisher publisher(
      {&a}, *published, nullptr, [&](const ipld::Multihash&) { return std::optional<uint64_t>(elsewhere); },
      FixedClock());
  auto r = publisher.Publish(Key(), kValue);
  REQUIRE(r);
  CHECK(r->sequence == 42);
  elsewhere = 3;  // a target that lags: ours is higher
  CHECK(publisher.Publish(Key(), kValue)->sequence == 43);

  PublishOptions options;
  options.sequence = 43;
  auto refused = publisher.Publish(Key(), kValue, options);
  REQUIRE(!refused);
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message == "--sequence 43 is not above the current sequence 43");
  options.sequence = 100;
  CHECK(publisher.Publish(Key(), kValue, options)->sequence == 100);
  CHECK(a.puts.size() == 3);
}

TEST_CASE("Name publisher: a failing target does not stop the others", "[publish][ipns]") {
  FakePutter bad("bad", tl::unexpected(Error{ErrorCode::kUnavailable, "down"})), good("good");
  auto published = NewMemoryPublishedStore();
  NamePublisher publisher({&bad, &good}, *published, nullptr, nullptr, FixedClock());
  auto r = publisher.Publish(Key(), kValue);
  REQUIRE(r);
  CHECK(!r->all_ok());
  CHECK(!r->outcomes[0].status);
  CHECK(r->outcomes[1].status);
  CHECK(good.puts.size() == 1);
}

TEST_CASE("Name publisher: refusals before anything is signed", "[publish][ipns]") {
  auto published = NewMemoryPublishedStore();
  NamePublisher none({}, *published, nullptr, nullptr, FixedClock());
  auto r = none.Publish(Key(), kValue);
  REQUIRE(!r);
  CHECK(r.error().message ==
        "no target to publish to: give --api or --routing, or --allow-offline to keep the record locally only");
  PublishOptions offline;
  offline.allow_offline = true;
  CHECK(none.Publish(Key(), kValue, offline)->sequence == 0);

  FakePutter a("a");
  NamePublisher publisher({&a}, *published, nullptr, nullptr, FixedClock());
  CHECK(publisher.Publish(Key(), "ipfs/nope").error().code == ErrorCode::kInvalidArgument);
  CHECK(publisher.Publish(Key(), "/ipfs/notacid").error().code == ErrorCode::kInvalidArgument);
  PublishOptions ttl;
  ttl.lifetime = std::chrono::minutes(1);
  ttl.ttl = std::chrono::minutes(5);
  CHECK(publisher.Publish(Key(), kValue, ttl).error().code == ErrorCode::kInvalidArgument);
  CHECK(a.puts.empty());

  CHECK(*NormalizeIpnsValue("bafkqaaa") == "/ipfs/bafkqaaa");
  CHECK(*NormalizeIpnsValue("/ipfs/bafkqaaa/a/b") == "/ipfs/bafkqaaa/a/b");
  CHECK(*NormalizeIpnsValue("/ipns/example.com") == "/ipns/example.com");
  CHECK(!NormalizeIpnsValue("/ipns/"));
}

TEST_CASE("Name publisher: delegated routing PUT and kubo routing/put over HTTP", "[publish][ipns]") {
  auto gateway = testing::TestGateway::Start();
  REQUIRE(gateway);
  auto engine = net::HttpEngine::Create({});
  REQUIRE(engine);
  auto routing = NewRoutingPutter(**engine, (*gateway)->url() + "/");
  auto kubo = NewKuboPutter(**engine, (*gateway)->url());
  CHECK(routing->description() == "routing " + (*gateway)->url());
  auto published = NewMemoryPublishedStore();
  auto key = Key();
  // The current sequence comes from the targets themselves.
  auto lookup = blockcache::NewRoutingSource(**engine, (*gateway)->url());
  auto seen_store = resolver::NewMemoryNameStore();
  resolver::IpnsRecordResolverOptions ro;
  ro.now = [] { return Now(); };
  resolver::IpnsRecordResolver current({lookup.get()}, *seen_store, ro);
  auto seen = [&](const ipld::Multihash& name) -> std::optional<uint64_t> {
    std::promise<Result<resolver::IpnsValue>> done;
    auto f = done.get_future();
    current.Resolve(name, [&](Result<resolver::IpnsValue> v) { done.set_value(std::move(v)); });
    auto v = f.get();
    return v ? std::optional<uint64_t>(v->sequence) : std::nullopt;
  };

  SECTION("routing") {
    // A record made elsewhere with sequence 9 is already there.
    FakePutter elsewhere("x");
    auto other_store = NewMemoryPublishedStore();
    PublishOptions o;
    o.sequence = 9;
    NamePublisher other({&elsewhere}, *other_store, nullptr, nullptr, FixedClock());
    auto nine = other.Publish(key, "/ipfs/bafkqaaa", o);
    REQUIRE(nine);
    (*gateway)->SetIpnsRecord(nine->name, nine->record);

    NamePublisher publisher({routing.get()}, *published, nullptr, seen, FixedClock());
    auto r = publisher.Publish(key, kValue);
    REQUIRE(r);
    CHECK(r->sequence == 10);
    INFO((r->outcomes[0].status ? std::string() : r->outcomes[0].status.error().message));
    CHECK(r->all_ok());
    CHECK((*gateway)->IpnsRecordPuts() == 1);
    auto back = seen(key.Public().PeerId());  // served back by GET /routing/v1/ipns/
    REQUIRE(back);
    CHECK(*back == 10);
  }
  SECTION("kubo") {
    NamePublisher publisher({kubo.get()}, *published, nullptr, nullptr, FixedClock());
    auto r = publisher.Publish(key, kValue);
    REQUIRE(r);
    INFO((r->outcomes[0].status ? std::string() : r->outcomes[0].status.error().message));
    CHECK(r->all_ok());
    CHECK((*gateway)->IpnsRecordPuts() == 1);
  }
  SECTION("a record the server refuses is reported with its status") {
    // Signed now, expired by the server's real clock: 400 from the routing endpoint.
    NamePublisherOptions past;
    past.now = [] { return *ipld::ParseRfc3339("2001-01-01T00:00:00Z"); };
    NamePublisher publisher({routing.get()}, *published, nullptr, nullptr, past);
    auto r = publisher.Publish(key, kValue);
    REQUIRE(r);
    REQUIRE(!r->outcomes[0].status);
    CHECK(r->outcomes[0].status.error().code == ErrorCode::kInvalidArgument);
    CHECK(r->outcomes[0].status.error().message.find("HTTP 400") != std::string::npos);
    CHECK((*gateway)->IpnsRecordPuts() == 0);
  }
}

}  // namespace ipfsfs::publish

namespace ipfsfs::publish {

TEST_CASE("Name publisher: the test router refuses PUTs as the routing spec says", "[publish][ipns]") {
  auto gateway = testing::TestGateway::Start();
  REQUIRE(gateway);
  auto engine = net::HttpEngine::Create({});
  REQUIRE(engine);
  auto key = ipld::PrivateKey::FromEd25519Seed(*FromHex(std::string(64, '1')));
  REQUIRE(key);
  auto record =
      ipld::MakeIpnsRecord(*key, "/ipfs/bafkqaaa", 0,
                           ipld::Timestamp::FromTimePoint(std::chrono::system_clock::now() + std::chrono::hours(1)),
                           std::chrono::minutes(1));
  REQUIRE(record);
  auto put = [&](const std::string& name, const std::string& type, const Bytes& body) {
    net::HttpRequest req;
    req.method = "PUT";
    req.url = (*gateway)->url() + "/routing/v1/ipns/" + name;
    req.headers = {"Content-Type: " + type};
    req.post_body = std::string(AsText(body));
    auto r = (*engine)->Fetch(std::move(req));
    REQUIRE(r);
    return r->status;
  };
  const std::string k51 = ipld::FormatIpnsName(key->Public().PeerId());
  CHECK(put(k51, "application/octet-stream", *record) == 406);
  CHECK(put(ipld::FormatPeerIdBase58(key->Public().PeerId()), "application/vnd.ipfs.ipns-record", *record) == 400);
  Bytes forged = *record;
  forged.back() ^= std::byte{1};
  CHECK(put(k51, "application/vnd.ipfs.ipns-record", forged) == 400);
  CHECK(put(k51, "application/vnd.ipfs.ipns-record", Bytes(10241, std::byte{0})) == 400);
  CHECK((*gateway)->IpnsRecordPuts() == 0);
  CHECK(put(k51, "application/vnd.ipfs.ipns-record", *record) == 200);
  CHECK((*gateway)->IpnsRecordPuts() == 1);
}

}  // namespace ipfsfs::publish
