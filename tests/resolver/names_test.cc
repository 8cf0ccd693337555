// IpnsRecordResolver and Names over fake record sources, a fake clock and the
// memory / file name stores: which record wins, which are refused, the TTL
// rules and the cache.
#include "resolver/names.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>

#include "ipld/ipns_name.h"
#include "resolver/ipns_record_resolver.h"
#include "resolver/name_store.h"
#include "tests/ipld/ipns_test_keys.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_record_source.h"

namespace ipfsfs::resolver {
namespace {

using testing::TestKey;

constexpr std::string_view kCidA = "/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
constexpr std::string_view kCidB = "/ipfs/bafkqaaa";

using testing::FakeRecordSource;

const TestKey& Key() {
  static TestKey key = TestKey::Ed25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  return key;
}
const TestKey& Key2() {
  static TestKey key = TestKey::Ed25519("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  return key;
}

Bytes Record(const TestKey& key, std::string_view value, int64_t seq, int64_t ttl_ns = 3600000000000,
             std::string_view validity = "2126-01-01T00:00:00Z") {
  ipld::IpnsData d = testing::SampleData(validity);
  d.value = ToBytes(value);
  d.sequence = seq;
  d.ttl = ttl_ns;
  return key.MakeRecord(d, false, false);
}

Result<IpnsValue> ResolveNow(const IpnsRecordResolver& r, const ipld::Multihash& name) {
  std::optional<Result<IpnsValue>> out;
  r.Resolve(name, [&](Result<IpnsValue> v) { out = std::move(v); });
  REQUIRE(out.has_value());  // the fakes answer synchronously
  return std::move(*out);
}

Result<NameResolution> ResolveNow(Names& names, std::string_view name, bool recursive = true) {
  std::optional<Result<NameResolution>> out;
  names.Resolve(
      name, [&](Result<NameResolution> v) { out = std::move(v); }, recursive);
  REQUIRE(out.has_value());
  return std::move(*out);
}

struct Fixture {
  FakeRecordSource a{"a"}, b{"b"};
  std::unique_ptr<NameStore> store = NewMemoryNameStore();
  ipld::Timestamp now{1767225600, 0};  // 2026-01-01
  IpnsRecordResolverOptions Options() {
    IpnsRecordResolverOptions o;
    o.now = [this] { return now; };
    return o;
  }
};

TEST_CASE("the valid record with the highest sequence wins, whichever source has it", "[names]") {
  Fixture f;
  f.a.Set(Key().name(), Record(Key(), kCidA, 3));
  f.b.Set(Key().name(), Record(Key(), kCidB, 5));
  IpnsRecordResolver r({&f.a, &f.b}, *f.store, f.Options());
  auto v = ResolveNow(r, Key().name());
  REQUIRE(v);
  CHECK(v->value == kCidB);
  CHECK(v->sequence == 5);
  CHECK(v->source == "b");
  CHECK(v->ttl == std::chrono::hours(1));
}

TEST_CASE("equal sequences: the longer validity wins", "[names]") {
  Fixture f;
  f.a.Set(Key().name(), Record(Key(), kCidA, 4, 1000, "2127-01-01T00:00:00Z"));
  f.b.Set(Key().name(), Record(Key(), kCidB, 4, 1000, "2126-01-01T00:00:00Z"));
  IpnsRecordResolver r({&f.b, &f.a}, *f.store, f.Options());
  auto v = ResolveNow(r, Key().name());
  REQUIRE(v);
  CHECK(v->value == kCidA);
}

TEST_CASE("forged, expired and wrong-key records are refused with their reason", "[names]") {
  Fixture f;
  IpnsRecordResolver r({&f.a}, *f.store, f.Options());
  SECTION("forged signature") {
    auto e = *ipld::IpnsEntry::Decode(Record(Key(), kCidA, 1));
    (*e.signature_v2)[3] ^= std::byte{1};
    f.a.Set(Key().name(), e.Encode());
    auto v = ResolveNow(r, Key().name());
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kNotFound);
    CHECK(v.error().message.find("bad signature") != std::string::npos);
  }
  SECTION("expired") {
    f.a.Set(Key().name(), Record(Key(), kCidA, 1, 1000, "2025-06-01T00:00:00Z"));
    auto v = ResolveNow(r, Key().name());
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kNotFound);
    CHECK(v.error().message.find("expired") != std::string::npos);
  }
  SECTION("signed by another key") {
    f.a.Set(Key().name(), Record(Key2(), kCidA, 1));
    auto v = ResolveNow(r, Key().name());
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kNotFound);
  }
  SECTION("a forged record beside a good one: the good one answers") {
    FakeRecordSource good("good");
    good.Set(Key().name(), Record(Key(), kCidB, 1));
    auto e = *ipld::IpnsEntry::Decode(Record(Key(), kCidA, 9));
    (*e.signature_v2)[3] ^= std::byte{1};
    f.a.Set(Key().name(), e.Encode());
    IpnsRecordResolver r2({&f.a, &good}, *f.store, f.Options());
    auto v = ResolveNow(r2, Key().name());
    REQUIRE(v);
    CHECK(v->value == kCidB);
  }
}

TEST_CASE("unknown names are kNotFound, dead sources kUnavailable", "[names]") {
  Fixture f;
  IpnsRecordResolver r({&f.a, &f.b}, *f.store, f.Options());
  auto v = ResolveNow(r, Key().name());
  REQUIRE_FALSE(v);
  CHECK(v.error().code == ErrorCode::kNotFound);
  f.a.SetFailing(true);
  f.b.SetFailing(true);
  v = ResolveNow(r, Key().name());
  REQUIRE_FALSE(v);
  CHECK(v.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("a lower sequence than one seen before is refused, also after a restart", "[names]") {
  auto dir = std::filesystem::temp_directory_path() / ("ipfsfs-names-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Fixture f;
  {
    auto store = OpenFileNameStore(dir.string());
    REQUIRE(store);
    f.a.Set(Key().name(), Record(Key(), kCidB, 7));
    IpnsRecordResolver r({&f.a}, **store, f.Options());
    auto v = ResolveNow(r, Key().name());
    REQUIRE(v);
    CHECK(v->sequence == 7);
  }
  // "Restart": a new store and resolver over the same directory; the source rolls back.
  auto store = OpenFileNameStore(dir.string());
  REQUIRE(store);
  f.a.Set(Key().name(), Record(Key(), kCidA, 6));
  IpnsRecordResolver r({&f.a}, **store, f.Options());
  auto v = ResolveNow(r, Key().name());
  REQUIRE(v);  // the stored record (still valid) answers
  CHECK(v->value == kCidB);
  CHECK(v->sequence == 7);
  CHECK(v->source == "store");
  SECTION("once the stored record expired, the rollback is an error, not the old value") {
    f.now = ipld::Timestamp{5000000000, 0};  // 2128: after the stored record's 2126
    f.a.Set(Key().name(), Record(Key(), kCidA, 6, 1000, "2200-01-01T00:00:00Z"));
    auto w = ResolveNow(r, Key().name());
    REQUIRE_FALSE(w);
    CHECK(w.error().code == ErrorCode::kNotFound);
    CHECK(w.error().message.find("rollback refused") != std::string::npos);
  }
  SECTION("a higher sequence replaces it") {
    f.a.Set(Key().name(), Record(Key(), kCidA, 8));
    auto w = ResolveNow(r, Key().name());
    REQUIRE(w);
    CHECK(w->value == kCidA);
    CHECK(w->sequence == 8);
  }
  SECTION("offline: no source answers, the stored record does") {
    f.a.SetFailing(true);
    auto w = ResolveNow(r, Key().name());
    REQUIRE(w);
    CHECK(w->value == kCidB);
  }
  std::filesystem::remove_all(dir);
}

struct NamesFixture : Fixture {
  testing::FakeClock clock;
  IpnsRecordResolver ipns{{&a}, *store, Options()};
  NamesOptions NOptions() {
    NamesOptions o;
    o.clock = clock.AsFunction();
    return o;
  }
};

TEST_CASE("TTLs count at least 1 s and at most --ipns-ttl-max", "[names]") {
  NamesFixture f;
  Names names(&f.ipns, nullptr, f.NOptions());
  SECTION("zero TTL: 1 s") {
    f.a.Set(Key().name(), Record(Key(), kCidA, 1, 0));
    auto v = ResolveNow(names, ipld::FormatIpnsName(Key().name()));
    REQUIRE(v);
    CHECK(v->expires - f.clock.Now() == std::chrono::seconds(1));
  }
  SECTION("10 h TTL: capped at 1 h") {
    f.a.Set(Key().name(), Record(Key(), kCidA, 1, 36000000000000));
    auto v = ResolveNow(names, ipld::FormatIpnsName(Key().name()));
    REQUIRE(v);
    CHECK(v->expires - f.clock.Now() == std::chrono::hours(1));
  }
}

TEST_CASE("a cached name answers without asking, after its TTL the old value answers once and the new one next",
          "[names]") {
  NamesFixture f;
  Names names(&f.ipns, nullptr, f.NOptions());
  std::string name = ipld::FormatPeerIdBase58(Key().name());    // any form; cached canonically
  f.a.Set(Key().name(), Record(Key(), kCidA, 1, 30000000000));  // 30 s
  auto v = ResolveNow(names, "/ipns/" + name + "/sub/dir");
  REQUIRE(v);
  CHECK(v->path == std::string(kCidA) + "/sub/dir");
  CHECK(v->sequence == 1);
  CHECK(f.a.requests == 1);
  REQUIRE(ResolveNow(names, ipld::FormatIpnsName(Key().name())));
  CHECK(f.a.requests == 1);
  CHECK(names.resolved_count() == 1);

  f.a.Set(Key().name(), Record(Key(), kCidB, 2, 30000000000));
  f.clock.Advance(std::chrono::seconds(29));
  CHECK(ResolveNow(names, name)->path == kCidA);
  CHECK(f.a.requests == 1);
  f.clock.Advance(std::chrono::seconds(2));
  // Stale: the last value answers while the refresh runs (here it completes at once).
  CHECK(ResolveNow(names, name)->path == kCidA);
  CHECK(f.a.requests == 2);
  CHECK(ResolveNow(names, name)->path == kCidB);
  auto known = names.Known();
  REQUIRE(known.size() == 1);
  CHECK(known[0].name == ipld::FormatIpnsName(Key().name()));
  CHECK(known[0].value == kCidB);
  CHECK_FALSE(known[0].stale);
  CHECK(known[0].lookups == 2);

  SECTION("a failed refresh keeps the last value") {
    f.a.SetFailing(true);
    f.clock.Advance(std::chrono::seconds(31));
    CHECK(ResolveNow(names, name)->path == kCidB);
    CHECK(ResolveNow(names, name)->path == kCidB);
    CHECK(names.Known()[0].value == kCidB);
  }
}

TEST_CASE("values naming other names are followed, loops and depth bounded", "[names]") {
  NamesFixture f;
  std::string k1 = ipld::FormatIpnsName(Key().name()), k2 = ipld::FormatIpnsName(Key2().name());
  f.a.Set(Key().name(), Record(Key(), "/ipns/" + k2 + "/x", 1));
  f.a.Set(Key2().name(), Record(Key2(), std::string(kCidA) + "/y", 1));
  SECTION("chain") {
    Names names(&f.ipns, nullptr, f.NOptions());
    auto v = ResolveNow(names, k1 + "/z");
    REQUIRE(v);
    CHECK(v->path == std::string(kCidA) + "/y/x/z");
    auto once = ResolveNow(names, k1 + "/z", false);
    REQUIRE(once);
    CHECK(once->path == "/ipns/" + k2 + "/x/z");
  }
  SECTION("loop") {
    f.a.Set(Key2().name(), Record(Key2(), "/ipns/" + k1, 1));
    Names names(&f.ipns, nullptr, f.NOptions());
    auto v = ResolveNow(names, k1);
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kCorrupt);
  }
  SECTION("depth") {
    NamesOptions o = f.NOptions();
    o.max_depth = 1;
    Names names(&f.ipns, nullptr, o);
    auto v = ResolveNow(names, k1);
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kTooLarge);
  }
  SECTION("/ipfs paths pass through; junk is refused") {
    Names names(&f.ipns, nullptr, f.NOptions());
    CHECK(ResolveNow(names, std::string(kCidA) + "/p")->path == std::string(kCidA) + "/p");
    auto v = ResolveNow(names, "nodots");
    REQUIRE_FALSE(v);
    CHECK(v.error().code == ErrorCode::kInvalidArgument);
    CHECK(ResolveNow(names, "example.com").error().code == ErrorCode::kUnsupported);
  }
}

}  // namespace
}  // namespace ipfsfs::resolver
