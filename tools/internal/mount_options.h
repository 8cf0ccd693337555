// MountFlags: what `ipfsfs mount` takes on its command line, and how those
// flags, their -o twins and the source options become a MountOptions.
//
// Every long flag has a -o twin spelled with '_' for '-' (`--cache-size 20G`
// = `-o cache_size=20G`), so an fstab line can say everything; a flag beats
// its twin (CONVENTIONS.md). -o items that are neither a twin nor fstab-only
// (`_netdev`, `noauto`, …) go to libfuse as they are. Values only; not
// thread-safe.
#ifndef IPFSFS_TOOLS_INTERNAL_MOUNT_OPTIONS_H_
#define IPFSFS_TOOLS_INTERNAL_MOUNT_OPTIONS_H_

#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "tools/internal/mount.h"
#include "tools/internal/name_options.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {

struct MountFlags {
  std::string mountpoint;
  bool foreground = false;
  std::vector<std::string> o;  // -o, each comma-separated
  bool allow_other = false;
  bool allow_root = false;
  bool read_only = false;
  std::string uid, gid, file_mode, dir_mode;
  std::string attr_timeout;
  std::string read_ahead;
  std::string car_range;
  std::string staging_dir;
  std::string log_file;
  std::string log_level;
  int verbose = 0;
  bool fuse_debug = false;
  // Staging and sync (issue 15); the import flags are `ipfsfs add`'s.
  std::string sync_state_dir;
  std::string auto_sync;
  std::string cid_version;
  std::string raw_leaves;  // "", "true" or "false"
  std::string chunker;
  bool trickle = false;
  std::string profile;
  // Publishing (issue 16): where each synced root goes; the kubo RPC secret.
  std::vector<std::string> publish;
  std::string api_auth;
  bool no_republish = false;  // --no-republish: names published here are not kept alive
  SourceOptions sources;
  NameOptions names;  // --routing, --dns, --ipns-ttl-max (the ipns/ tree)
};

// Adds the mount's flags (and the source options) to `cmd`.
void AddMountFlags(CLI::App& cmd, MountFlags& flags);

// The -o groups split into ipfsfs twins (key -> value; repeated gateways
// joined by '\n') and the options passed to libfuse; fstab-only ones dropped.
struct ParsedO {
  std::map<std::string, std::string> twins;
  std::vector<std::string> fuse;
};
ParsedO ParseO(const std::vector<std::string>& groups);

// Fills every flag left unset from its -o twin. Paths (cache dir, config, log
// file) are made absolute: the daemon runs in /.
void ApplyTwins(const ParsedO& parsed, MountFlags& flags);

// The whole mount's options from the flags (twins applied). kInvalidArgument
// naming the flag for a bad value.
[[nodiscard]] Result<MountOptions> ResolveMountOptions(const MountFlags& flags, const ParsedO& parsed);

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_MOUNT_OPTIONS_H_
