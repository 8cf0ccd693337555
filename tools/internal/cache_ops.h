// The `ipfsfs cache …` operations over an open BlockCache, written to given
// streams, so the same code runs in the command (its own cache) and in a
// running mount that holds the cache (asked over its control socket).
//
// Output follows CONVENTIONS.md: results on `out`, errors on `err` as
// "ipfsfs: <what>: <why>"; the return value is the exit code (0 ok, 1
// failure, 2 usage). Paths in CacheOp are used as they are: a caller sending
// them to the mount (cwd /) makes them absolute first. Stateless; safe to run
// concurrently on one cache (BlockCache is thread-safe).
#ifndef IPFSFS_TOOLS_INTERNAL_CACHE_OPS_H_
#define IPFSFS_TOOLS_INTERNAL_CACHE_OPS_H_

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "blockcache/block_cache.h"

namespace ipfsfs::tools {

struct CacheOp {
  // "stat", "gc", "pin-add", "pin-rm", "pin-ls", "prefetch", "import", "export", "verify".
  std::string name;
  bool json = false;       // --json
  std::string cid;         // pin add/rm, prefetch, export
  std::string file;        // import FILE, export OUT (the path used)
  std::string shown_file;  // the same as the user typed it (messages); empty: `file`
  std::string gc_target;   // gc --target
  bool all = false;        // gc --all
  bool no_car = false;     // prefetch --no-car
  bool pin_roots = true;   // import (not --no-pin)
  bool progress = false;   // prefetch: a progress line on `err` (a terminal)
};

nlohmann::json CacheOpToJson(const CacheOp& op);
// kInvalidArgument for a malformed request.
[[nodiscard]] Result<CacheOp> CacheOpFromJson(const nlohmann::json& j);

// What an error line names for this operation ("pin add CID", "cache stat").
std::string CacheOpWhat(const CacheOp& op);

// Checks what needs no cache (CID syntax, sizes, the name): 0, or 2 after a
// usage message on `err`.
int CheckCacheOp(const CacheOp& op, std::ostream& err);

// Runs `op` on `cache`: the exit code.
int RunCacheOp(blockcache::BlockCache& cache, const CacheOp& op, std::ostream& out, std::ostream& err);

// ---- The same through a running mount that holds the cache: the control
// socket's "cache" command (tools/internal/control.h), request
// {"command": "cache", "cache_dir": DIR, "op": {...}}, reply
// {"exit": N, "stdout": "...", "stderr": "..."}.

struct CacheReply {
  int exit = 0;
  std::string out;
  std::string err;
};

// Asks the mount listening on `socket` to run `op` on the cache in
// `cache_dir`. Paths in `op` must be absolute (the mount runs in /).
// kNotFound when no mount answers there or it holds another cache; other
// codes when it could not run the request (busy, gone mid-way). Waits as long
// as the operation takes.
[[nodiscard]] Result<CacheReply> AskMountToRun(const std::string& socket, const std::string& cache_dir,
                                               const CacheOp& op);

// The mount's side: `cache` lives in `cache_dir` (absolute, resolved).
nlohmann::json AnswerCacheRequest(blockcache::BlockCache& cache, const std::string& cache_dir,
                                  const nlohmann::json& request);

// "ipfsfs: <what>: <why>" on `err`; returns 1.
int ReportErrorTo(std::ostream& err, const std::string& what, const Error& error);
// "ipfsfs: <message>" and the --help hint on `err`; returns 2.
int ReportUsageTo(std::ostream& err, const std::string& message);

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_CACHE_OPS_H_
