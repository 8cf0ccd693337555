#include "blockcache/block_getter.h"

#include <future>
#include <memory>

namespace ipfsfs::blockcache {

Result<Block> BlockGetter::GetBlocking(const ipld::Cid& cid) {
  auto promise = std::make_shared<std::promise<Result<Block>>>();
  auto future = promise->get_future();
  Get(cid, [promise](Result<Block> result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace ipfsfs::blockcache
