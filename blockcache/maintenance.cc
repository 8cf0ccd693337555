// BlockCache: the upkeep side (pin counts and roots, gc, verify, whole CARs
// for the DAG tools).
#include "blockcache/internal/block_cache_impl.h"

namespace ipfsfs::blockcache::internal {

void BlockCacheImpl::StreamCar(const ipld::Cid& root, PrefetchScope scope, std::function<void(Status, uint64_t)> done) {
  if (options_.offline || sources_->empty()) {
    done(MakeError(ErrorCode::kUnsupported, "no source to stream a car from"), 0);
    return;
  }
  streamer_->Stream(root, scope, std::nullopt, std::move(done));
}

std::unique_lock<std::mutex> BlockCacheImpl::LockPins() { return std::unique_lock<std::mutex>(pin_mu_); }

Status BlockCacheImpl::AdjustPin(const ipld::Cid& cid, const Block* block, int delta) {
  return quota_->AdjustPin(cid, block, delta);
}

Status BlockCacheImpl::AddPinnedRoot(const ipld::Cid& root) {
  IPFSFS_RETURN_IF_ERROR(quota_->Flush());  // the pin counts before the root that needs them
  return store_->AddRoot(root);
}

Status BlockCacheImpl::RemovePinnedRoot(const ipld::Cid& root) {
  IPFSFS_RETURN_IF_ERROR(quota_->Flush());
  quota_->PinsRemoved();  // its blocks may be evicted now
  return store_->RemoveRoot(root);
}

Result<std::vector<ipld::Cid>> BlockCacheImpl::Pins() { return store_->Roots(); }

Result<GcResult> BlockCacheImpl::Gc(std::optional<uint64_t> target_bytes) {
  std::lock_guard<std::mutex> pin_lock(pin_mu_);
  return quota_->Gc(target_bytes);
}

Result<VerifyResult> BlockCacheImpl::Verify() {
  std::vector<ipld::Multihash> all = quota_->All();
  VerifyResult result;
  std::vector<ipld::Multihash> bad;
  for (const auto& mh : all) {
    auto data = disk_->GetData(mh);  // the disk's bytes, not the memory tier's copy
    if (!data) return tl::unexpected(data.error());
    if (!*data) {
      if (!quota_->Contains(mh)) continue;  // evicted meanwhile
      ++result.checked;
      Log()->error("cached block {} is indexed but its bytes are gone; removing it",
                   ipld::Cid::V1(ipld::Codec::kRaw, mh).ToString());
      bad.push_back(mh);
      continue;
    }
    ++result.checked;
    if (!mh.Matches(***data)) {
      Log()->error("cached block {} is damaged; removing it", ipld::Cid::V1(ipld::Codec::kRaw, mh).ToString());
      bad.push_back(mh);
    }
  }
  IPFSFS_RETURN_IF_ERROR(quota_->DropDamaged(bad));
  result.removed = bad.size();
  return result;
}

}  // namespace ipfsfs::blockcache::internal
