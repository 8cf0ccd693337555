// CarTarget (`car:PATH`): the DAG of each new root as a CARv1 file, the way
// `ipfs dag export` writes it (one root in the header, every block once,
// root first, depth-first; publish.md §5). Written to a temporary file in the
// same directory, fsynced, then renamed over PATH: a reader sees the old CAR
// or the new one, never a part. The blocks come from the cache.
#ifndef IPFSFS_PUBLISH_CAR_TARGET_H_
#define IPFSFS_PUBLISH_CAR_TARGET_H_

#include <string>

#include "blockcache/block_cache.h"
#include "publish/target.h"

namespace ipfsfs::publish {

class CarTarget : public Target {
 public:
  // `path` absolute (tools/ makes it so); `cache` must outlive the target.
  CarTarget(blockcache::BlockCache& cache, std::string path) : cache_(cache), path_(std::move(path)) {}
  std::string Name() const override { return "car:" + path_; }
  [[nodiscard]] Result<std::string> Publish(const PublishRequest& request) override;

 private:
  blockcache::BlockCache& cache_;
  const std::string path_;
};

}  // namespace ipfsfs::publish

#endif  // IPFSFS_PUBLISH_CAR_TARGET_H_
