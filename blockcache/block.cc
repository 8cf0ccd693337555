#include "blockcache/block.h"

namespace ipfsfs::blockcache {

Result<Block> Block::Verify(const ipld::Cid& cid, Bytes data) {
  return Verify(cid, std::make_shared<const Bytes>(std::move(data)));
}

Result<Block> Block::Verify(const ipld::Cid& cid, std::shared_ptr<const Bytes> data) {
  if (data->size() > kMaxBlockSize) {
    return MakeError(ErrorCode::kTooLarge,
                     "block " + cid.ToString() + " is " + std::to_string(data->size()) + " bytes, over the 2 MiB limit");
  }
  if (cid.hash().is_identity()) {
    if (ByteSpan(cid.hash().digest()).size() != data->size() ||
        !std::equal(data->begin(), data->end(), cid.hash().digest().begin())) {
      return MakeError(ErrorCode::kCorrupt, "hash mismatch for " + cid.ToString());
    }
    return Block(cid, std::move(data));
  }
  auto sum = ipld::Multihash::Sum(cid.hash().code(), ByteSpan(*data));
  if (!sum) return tl::unexpected(sum.error().Wrap(cid.ToString()));
  if (sum->digest().size() < cid.hash().digest().size() ||
      !std::equal(cid.hash().digest().begin(), cid.hash().digest().end(), sum->digest().begin())) {
    return MakeError(ErrorCode::kCorrupt, "hash mismatch for " + cid.ToString());
  }
  return Block(cid, std::move(data));
}

Result<Block> Block::FromIdentity(const ipld::Cid& cid) {
  if (!cid.hash().is_identity()) {
    return MakeError(ErrorCode::kInvalidArgument, cid.ToString() + " is not an identity CID");
  }
  return Block(cid, std::make_shared<const Bytes>(cid.hash().digest()));
}

}  // namespace ipfsfs::blockcache
