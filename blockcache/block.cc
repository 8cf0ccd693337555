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
  if (auto ok = cid.hash().Verify(ByteSpan(*data)); !ok) {
    return tl::unexpected(Error{ok.error().code, ok.error().message + " for " + cid.ToString()});
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
