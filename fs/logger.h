// The "fs" spdlog logger (created on first use; tools/ sets sinks and level).
#ifndef IPFSFS_FS_LOGGER_H_
#define IPFSFS_FS_LOGGER_H_

#include <memory>

#include <spdlog/spdlog.h>

namespace ipfsfs::fs {

inline std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("fs")) return existing;
    auto made = spdlog::default_logger()->clone("fs");
    spdlog::register_logger(made);
    return made;
  }();
  return logger;
}

}  // namespace ipfsfs::fs

#endif  // IPFSFS_FS_LOGGER_H_
