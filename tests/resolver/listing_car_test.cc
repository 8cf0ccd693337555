// A cold sharded listing over a real block cache and the loopback test
// gateway: its blocks come as one CAR, and entries answer as their shards
// arrive, before the CAR ends. Causal checks only: the CAR is paced slowly
// by the gateway, and what is asserted is what had or had not arrived.
#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <catch2/catch.hpp>

#include "blockcache/block_cache.h"
#include "resolver/directory_stream.h"
#include "resolver/resolver.h"
#include "tests/support/test_dag.h"
#include "tests/support/test_gateway.h"

namespace ipfsfs::resolver {
namespace {

TEST_CASE("a cold sharded listing streams from one CAR: its first entries answer before its last shard arrives") {
  testing::TestGatewayOptions go;
  go.slow_chunk = 512;
  go.slow_delay = std::chrono::milliseconds(20);
  auto gw = testing::TestGateway::Start(go);
  REQUIRE(gw);
  testing::DagBuilder dag([&](Bytes bytes, ipld::Codec codec, int version) {
    auto hash = ipld::Multihash::Sha256(bytes);
    ipld::Cid cid = version == 0 ? ipld::Cid::V0(hash) : ipld::Cid::V1(codec, hash);
    (*gw)->AddBlock(cid, std::move(bytes));
    return cid;
  });
  std::vector<testing::TestLink> files;
  testing::DagBuilder::FileOptions fo;
  for (int i = 0; i < 600; ++i) {
    std::string name = "entry-" + std::to_string(i);
    files.push_back(dag.File(name, AsBytes(name), fo));
  }
  auto shard = dag.Hamt("", files, 16);

  blockcache::BlockCacheOptions o;
  o.sources.push_back({blockcache::SourceSpec::Kind::kGateway, (*gw)->url()});
  auto cache = blockcache::BlockCache::Open(o);
  REQUIRE(cache);
  Resolver r(**cache);
  std::promise<Result<NodePtr>> got;
  r.GetNode(shard.cid, [&](Result<NodePtr> n) { got.set_value(std::move(n)); });
  auto root = got.get_future().get();
  REQUIRE(root);
  const ipld::Cid* last_shard = nullptr;  // the root's last sub-shard: near the CAR's end
  for (const auto& l : (*root)->links) {
    if (l.name->size() == 1) last_shard = &l.hash;
  }
  REQUIRE(last_shard);
  // From now on the directory's CAR trickles out (~25 kB/s).
  (*gw)->SetFault(shard.cid, testing::Fault::kSlow);
  (*gw)->ResetCounts();

  auto stream = DirectoryStream::Open(r, *root);
  REQUIRE(stream);
  CHECK((*stream)->children_in_car());
  std::promise<Status> first;
  (*stream)->Fill(5, [&](Status s) { first.set_value(std::move(s)); });
  REQUIRE(first.get_future().get());
  CHECK((*stream)->available() >= 5);
  CHECK_FALSE((*cache)->Has(*last_shard));

  std::promise<Status> all;
  (*stream)->Fill(1'000'000, [&](Status s) { all.set_value(std::move(s)); });
  REQUIRE(all.get_future().get());
  CHECK((*stream)->available() == files.size());
  // The children come in the same CAR, after their shards (depth-first): the
  // listing may end before the last of them. Wait for them (bounded), then
  // check that nothing was asked for alone.
  auto all_here = [&] {
    return std::all_of(files.begin(), files.end(), [&](const auto& f) { return (*cache)->Has(f.cid); });
  };
  for (int i = 0; i < 600 && !all_here(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const auto& f : files) CHECK((*cache)->Has(f.cid));
  CHECK((*gw)->TotalRequests() == 1);  // every shard and child in the one CAR, none alone
}

}  // namespace
}  // namespace ipfsfs::resolver
