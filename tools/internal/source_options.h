// SourceOptions: the flags, environment and config that choose where blocks
// come from and where the cache lives, turned into a BlockCache.
//
// Shared by `ipfsfs cache …`, `ipfsfs mount` and anything else that opens the
// cache. Precedence (CONVENTIONS.md): flag, environment, config file, default.
//   --gateway URL (repeatable) | IPFS_GATEWAY | config "gateways" | ~/.ipfs/gateway
//   --api URL-or-multiaddr     | config "api" | $IPFS_PATH/api (default ~/.ipfs/api)
//   routing (set by the caller from --routing, name_options.h) | config "routing":
//     delegated routing endpoints whose providers' gateways serve blocks too
//   no source at all: public trustless gateways and public delegated routing.
//   --cache-dir | config "cache_dir" | $XDG_CACHE_HOME/ipfsfs (~/.cache/ipfsfs)
//   --cache-size 10G (K M G T, powers of 1024) | config "cache_size"
//   --offline | config "offline"
//   --hash-on-read | config "hash_on_read" (re-hash blocks read from the cache)
//   --config FILE (JSON) | $XDG_CONFIG_HOME/ipfsfs/config.json if present
// Config keys also: "fetch_timeout" / "request_timeout" (Go durations, "15s").
// Values only; not thread-safe.
#ifndef IPFSFS_TOOLS_INTERNAL_SOURCE_OPTIONS_H_
#define IPFSFS_TOOLS_INTERNAL_SOURCE_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "blockcache/block_cache.h"

namespace ipfsfs::tools {

struct SourceOptions {
  std::vector<std::string> gateways;  // --gateway
  std::string api;                    // --api
  std::string cache_dir;              // --cache-dir
  std::string cache_size;             // --cache-size
  bool offline = false;               // --offline
  bool hash_on_read = false;          // --hash-on-read
  std::string config;                 // --config
  // Delegated routing endpoints; the --routing flag belongs to name_options.h
  // (records), and commands that have it copy it here (blocks from providers).
  std::vector<std::string> routing;
};

// The public gateways used when nothing else is configured.
inline const std::vector<std::string> kDefaultGateways = {"https://trustless-gateway.link", "https://ipfs.io"};
// And the public delegated routing endpoint kubo and Helia ship, for providers.
inline const std::vector<std::string> kDefaultRouting = {"https://delegated-ipfs.dev"};

void AddSourceOptions(CLI::App& app, SourceOptions& options);

// Resolves flags, environment, files and defaults into cache options.
// kInvalidArgument for a bad size, URL, multiaddr or config file.
[[nodiscard]] Result<blockcache::BlockCacheOptions> ResolveSourceOptions(const SourceOptions& options);
[[nodiscard]] Result<std::unique_ptr<blockcache::BlockCache>> OpenBlockCache(const SourceOptions& options);
// The config file those options name (or the default one; {} when absent),
// for other option groups that read it too (name_options.h).
[[nodiscard]] Result<nlohmann::json> LoadSourceConfig(const SourceOptions& options);

// "10G" -> 10737418240; K M G T (optionally "i", "B"), powers of 1024; a bare number is bytes.
[[nodiscard]] Result<uint64_t> ParseSize(std::string_view text);
// "/ip4/127.0.0.1/tcp/5001" -> "http://127.0.0.1:5001"; a URL passes through.
[[nodiscard]] Result<std::string> ApiUrl(std::string_view multiaddr_or_url);
// Go-style duration: "1500ms", "30s", "5m", "1h".
[[nodiscard]] Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// "1.5 GiB".
std::string FormatSize(uint64_t bytes);

// Where cached blocks live by default (CONVENTIONS.md): systemd's
// CACHE_DIRECTORY, $XDG_CACHE_HOME/ipfsfs, ~/.cache/ipfsfs, and for root
// without a home (as mount(8) runs fstab helpers) /var/cache/ipfsfs.
std::string DefaultCacheDir();
// Where mounts keep their control sockets: the same order with STATE_DIRECTORY,
// $XDG_STATE_HOME/ipfsfs, ~/.local/state/ipfsfs, /var/lib/ipfsfs.
std::string DefaultStateDir();

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_SOURCE_OPTIONS_H_
