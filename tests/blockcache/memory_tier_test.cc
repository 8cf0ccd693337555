// NewMemoryTier: a Store decorator keeping recent blocks' bytes in memory.
#include "blockcache/memory_tier.h"

#include <catch2/catch.hpp>
#include <memory>

#include "tests/support/test_dag.h"

namespace ipfsfs::blockcache {
namespace {

// Counts reads of the store below the tier.
class CountingStore : public Store {
 public:
  CountingStore() : inner_(NewMemoryStore()) {}
  Result<std::optional<std::shared_ptr<const Bytes>>> GetData(const ipld::Multihash& mh) override {
    ++reads;
    return inner_->GetData(mh);
  }
  Status Put(const ipld::Multihash& mh, ByteSpan data, const BlockMeta& meta) override {
    return inner_->Put(mh, data, meta);
  }
  Status PutMeta(const std::vector<std::pair<ipld::Multihash, BlockMeta>>& m) override { return inner_->PutMeta(m); }
  Status Delete(const std::vector<ipld::Multihash>& mhs) override { return inner_->Delete(mhs); }
  Status ForEachMeta(const std::function<void(ipld::Multihash, const BlockMeta&)>& fn) override {
    return inner_->ForEachMeta(fn);
  }
  Status AddRoot(const ipld::Cid& root) override { return inner_->AddRoot(root); }
  Status RemoveRoot(const ipld::Cid& root) override { return inner_->RemoveRoot(root); }
  Result<std::vector<ipld::Cid>> Roots() override { return inner_->Roots(); }
  int reads = 0;

 private:
  std::unique_ptr<Store> inner_;
};

TEST_CASE("memory tier: written and read blocks are served from memory; deleted ones never") {
  auto inner = std::make_unique<CountingStore>();
  auto* disk = inner.get();
  auto tier = NewMemoryTier(std::move(inner), 10000);
  auto a = testing::MakeRawBlock(4000, 1);
  auto b = testing::MakeRawBlock(4000, 2);
  auto c = testing::MakeRawBlock(4000, 3);
  auto put = [&](const testing::TestBlock& t) {
    REQUIRE(tier->PutShared(t.cid.hash(), std::make_shared<const Bytes>(t.data), BlockMeta{t.data.size(), 0, 0}));
  };
  put(a);
  auto got = tier->GetData(a.cid.hash());
  REQUIRE(got);
  REQUIRE(*got);
  CHECK(***got == a.data);
  CHECK(disk->reads == 0);  // written through: in memory
  put(b);
  put(c);  // 12000 bytes > 10000: the least recently used (a) leaves memory
  REQUIRE(tier->GetData(a.cid.hash()));
  CHECK(disk->reads == 1);
  REQUIRE(tier->GetData(a.cid.hash()));  // read through: in memory now
  CHECK(disk->reads == 1);
  REQUIRE(tier->Delete({a.cid.hash()}));
  auto gone = tier->GetData(a.cid.hash());
  REQUIRE(gone);
  CHECK_FALSE(*gone);  // not served from memory once its store dropped it
  CHECK(disk->reads == 2);
}

TEST_CASE("memory tier: 0 bytes is the store itself") {
  auto inner = NewMemoryStore();
  auto* raw = inner.get();
  auto tier = NewMemoryTier(std::move(inner), 0);
  CHECK(tier.get() == raw);
}

}  // namespace
}  // namespace ipfsfs::blockcache
