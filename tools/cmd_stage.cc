// `ipfsfs stage CID PATH`: places an existing DAG at PATH inside a mounted
// staging/ without copying its bytes (fs/stager.h): the mount that holds
// PATH is found in /proc/self/mountinfo and asked over its control socket.
// Files are materialized on their first write; an untouched subtree keeps
// its CID at the next sync.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "fs/mountinfo.h"
#include "ipld/cid.h"
#include "tools/command.h"
#include "tools/internal/control.h"

namespace ipfsfs::tools {
namespace {

struct {
  std::string source;
  std::string path;
  bool quiet = false;
} g_stage;

std::string Iec(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

struct Target {
  std::string mountpoint;
  std::string rel;  // below staging/
};

// PATH made absolute through its parent (PATH itself must not exist), and
// the ipfsfs mount whose staging/ holds it.
Result<Target> FindTarget(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : p.substr(0, slash));
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return MakeError(ErrorCode::kInvalidArgument, path + ": not a new name inside staging/");
  }
  char real[PATH_MAX];
  if (!::realpath(parent.c_str(), real)) return MakeError(ErrorCode::kNotFound, parent + ": no such directory");
  std::string abs = std::string(real) + (std::string(real) == "/" ? "" : "/") + name;
  struct stat st {};
  if (::lstat(abs.c_str(), &st) == 0) return MakeError(ErrorCode::kInvalidArgument, path + ": File exists");
  auto mounts = fs::ReadMountInfo();
  if (!mounts) return tl::unexpected(mounts.error());
  for (std::string dir = real; dir.size() > 1; dir = dir.substr(0, dir.rfind('/'))) {
    const size_t cut = dir.rfind('/');
    if (dir.substr(cut + 1) != "staging") continue;
    std::string mountpoint = cut == 0 ? "/" : dir.substr(0, cut);
    auto m = fs::FindMount(*mounts, mountpoint);
    if (m && m->fs_type == "fuse.ipfsfs") return Target{mountpoint, abs.substr(dir.size() + 1)};
  }
  return MakeError(ErrorCode::kInvalidArgument, path + ": not inside the staging/ of an ipfsfs mount");
}

int RunStage() {
  // CID or /ipfs/CID[/sub/path]: the CID is checked here (a usage error).
  std::string source = g_stage.source;
  std::string rest = source.rfind("/ipfs/", 0) == 0 ? source.substr(6) : source;
  if (auto cid = ipld::Cid::Parse(rest.substr(0, rest.find('/'))); !cid) {
    return ReportUsage("stage: " + source + ": not a CID or /ipfs/ path (" + cid.error().message + ")");
  }
  auto target = FindTarget(g_stage.path);
  if (!target) return ReportError("stage", target.error());
  auto reply = AskSocket(SocketPath(target->mountpoint),
                         {{"command", "stage"}, {"source", "/ipfs/" + rest}, {"path", target->rel}},
                         std::chrono::milliseconds(0));
  if (!reply) {
    if (reply.error().code == ErrorCode::kNotFound) {
      return ReportError("stage " + target->mountpoint, Error{ErrorCode::kNotFound, "no ipfsfs mount answers there"});
    }
    return ReportError("stage " + g_stage.path, reply.error());
  }
  if (g_stage.quiet) return 0;
  std::cout << "staged " << reply->value("cid", "") << " at " << g_stage.path << ": " << reply->value("files", 0)
            << " files, " << reply->value("directories", 0) << " directories, " << reply->value("symlinks", 0)
            << " symlinks; " << Iec(reply->value("bytes", uint64_t{0})) << " not copied\n";
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* stage = app.add_subcommand(
      "stage",
      "Place a DAG at PATH in a mount's staging/ without copying its bytes: files come from the cache until "
      "their first write; what stays untouched keeps its CID at the next sync");
  stage->add_option("cid", g_stage.source, "CID or /ipfs/CID[/sub/path] (a directory is staged whole)")->required();
  stage->add_option("path", g_stage.path, "The new name, inside MOUNTPOINT/staging/ (must not exist; its parent must)")
      ->required();
  stage->add_flag("-q,--quiet", g_stage.quiet, "Print nothing on success");
  stage->callback([&exit_code] { exit_code = RunStage(); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(13, Setup);

}  // namespace ipfsfs::tools
