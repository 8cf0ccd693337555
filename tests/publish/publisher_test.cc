#include "publish/publisher.h"

#include <catch2/catch.hpp>
#include <thread>

#include "publish/ipns_target.h"
#include "tests/publish/fake_target.h"

namespace ipfsfs::publish {
namespace {

using testing::FakeTarget;

ipld::Cid CidOf(const std::string& text) {
  return ipld::Cid::V1(ipld::Codec::kRaw, ipld::Multihash::Sha256(AsBytes(text)));
}

TEST_CASE("publisher: a failing target does not stop the others and is retried until it succeeds", "[publish]") {
  auto a = std::make_shared<FakeTarget::State>();
  auto b = std::make_shared<FakeTarget::State>();
  auto c = std::make_shared<FakeTarget::State>();
  b->fail_next = 2;
  std::vector<std::unique_ptr<Target>> targets;
  targets.push_back(std::make_unique<FakeTarget>("car:/a.car", a));
  targets.push_back(std::make_unique<FakeTarget>("kubo", b));
  targets.push_back(std::make_unique<FakeTarget>("remote:svc", c));
  PublisherOptions options;
  options.retry_min = std::chrono::milliseconds(1);
  options.retry_max = std::chrono::milliseconds(4);
  Publisher publisher(std::move(targets), options);

  const ipld::Cid root = CidOf("one");
  auto outcomes = publisher.Publish(root);
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].ok);
  CHECK_FALSE(outcomes[1].ok);
  CHECK(outcomes[1].line == "down");
  CHECK(outcomes[2].ok);
  CHECK(outcomes[2].target == "remote:svc");

  // The retry thread publishes the same root once the target is back.
  for (int i = 0; i < 30000; ++i) {
    auto s = publisher.Status();
    if (s[1].last_root == root) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto status = publisher.Status();
  CHECK(status[1].last_root == root);
  CHECK(status[1].last_error.empty());
  CHECK_FALSE(status[1].pending.has_value());
  CHECK(status[1].failures == 0);
  CHECK(status[0].last_detail == "published " + root.ToString());
  CHECK(status[0].last_published_ms > 0);
  {
    std::lock_guard lock(b->mu);
    CHECK(b->requests.size() == 3);  // one call, two retries
  }
  // The others were asked once: a retry is for the failed target only.
  std::lock_guard lock(a->mu);
  CHECK(a->requests.size() == 1);
}

TEST_CASE("publisher: each target gets the root it last published as previous, and an unchanged root is up to date", "[publish]") {
  auto a = std::make_shared<FakeTarget::State>();
  std::vector<std::unique_ptr<Target>> targets;
  targets.push_back(std::make_unique<FakeTarget>("kubo", a));
  Publisher publisher(std::move(targets));
  const ipld::Cid one = CidOf("one"), two = CidOf("two");
  REQUIRE(publisher.Publish(one)[0].ok);
  auto again = publisher.Publish(one);
  CHECK(again[0].ok);
  CHECK(again[0].line.rfind("up to date", 0) == 0);
  REQUIRE(publisher.Publish(two)[0].ok);
  std::lock_guard lock(a->mu);
  REQUIRE(a->requests.size() == 2);
  CHECK_FALSE(a->requests[0].previous.has_value());
  CHECK(a->requests[1].previous == one);
  CHECK(a->requests[1].root == two);
}

TEST_CASE("publisher: targets for one sync run once and are not kept", "[publish]") {
  auto kept = std::make_shared<FakeTarget::State>();
  auto once = std::make_shared<FakeTarget::State>();
  once->fail_next = 1;
  std::vector<std::unique_ptr<Target>> targets;
  targets.push_back(std::make_unique<FakeTarget>("kubo", kept));
  Publisher publisher(std::move(targets));
  std::vector<std::unique_ptr<Target>> extra;
  extra.push_back(std::make_unique<FakeTarget>("car:/x.car", once));
  auto outcomes = publisher.PublishOnce(CidOf("one"), extra);
  REQUIRE(outcomes.size() == 1);
  CHECK_FALSE(outcomes[0].ok);
  CHECK(publisher.Status().size() == 1);
  CHECK_FALSE(publisher.Status()[0].pending.has_value());
}

TEST_CASE("ipns target: without a keystore it says how to make the key, with one it calls the name publisher", "[publish]") {
  IpnsTarget target("blog", nullptr);
  CHECK(target.Name() == "ipns:blog");
  auto r = target.Publish({CidOf("x"), std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "no keystore here: make the key first (ipfsfs key gen blog)");
  IpnsTarget wired("blog", [](const std::string& key, const ipld::Cid& root) -> Result<std::string> {
    return "published /ipfs/" + root.ToString() + " to " + key;
  });
  CHECK(*wired.Publish({CidOf("x"), std::nullopt}) == "published /ipfs/" + CidOf("x").ToString() + " to blog");
}

}  // namespace
}  // namespace ipfsfs::publish
