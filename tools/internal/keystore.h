// Keystore: the user's IPNS signing keys, in kubo's keystore layout so a key
// directory moves between kubo and ipfsfs: one file per key named
// `key_<base32 lowercase, no padding, of the key name>`, holding the libp2p
// PrivateKey protobuf.
//
// Default place $XDG_DATA_HOME/ipfsfs/keystore (else ~/.local/share/ipfsfs/
// keystore, else /var/lib/ipfsfs/keystore). The directory is made 0700 and
// files 0600 whatever the umask (written to a temporary file, then linked or
// renamed into place); a key file readable by group or others is refused, as
// ssh refuses such keys. "self" is reserved (kubo's node key).
// Not thread-safe against itself; the file system arbitrates between processes.
#ifndef IPFSFS_TOOLS_INTERNAL_KEYSTORE_H_
#define IPFSFS_TOOLS_INTERNAL_KEYSTORE_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipld/libp2p_private_key.h"

namespace ipfsfs::tools {

class Keystore {
 public:
  static std::string DefaultDir();
  // Creates `dir` (0700) when missing. kUnavailable when it cannot.
  [[nodiscard]] static Result<Keystore> Open(std::string dir);

  // kNotFound for an unknown name; kInvalidArgument for a bad name or a key
  // file that others may read; kCorrupt for a file that is not a key.
  [[nodiscard]] Result<ipld::PrivateKey> Get(std::string_view name) const;
  // kInvalidArgument for a bad or reserved name, or an existing one unless
  // `overwrite`.
  [[nodiscard]] Status Put(std::string_view name, const ipld::PrivateKey& key, bool overwrite = false);
  [[nodiscard]] Status Remove(std::string_view name);
  [[nodiscard]] Status Rename(std::string_view from, std::string_view to, bool overwrite);
  // Key names, sorted; files not in kubo's naming are skipped.
  [[nodiscard]] Result<std::vector<std::string>> List() const;
  bool Has(std::string_view name) const;

  const std::string& dir() const { return dir_; }
  std::string PathOf(std::string_view name) const;

  // kubo's keystore rules: not empty, no '/', not starting with '.'.
  [[nodiscard]] static Status ValidateName(std::string_view name);

 private:
  explicit Keystore(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_KEYSTORE_H_
