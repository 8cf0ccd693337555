// `ipfsfs resolve [-r] NAME-or-PATH`: an IPNS key or DNSLink domain (or a
// /ipns/ or /ipfs/ path) to the /ipfs/<cid>[/path] it points at now, like
// `ipfs resolve`. Takes the source flags of `mount` plus --routing, --dns and
// --ipns-ttl-max. Exit 1 and one line naming the reason when it cannot.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <future>
#include <string>

#include "tools/command.h"
#include "tools/internal/name_options.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

int Resolve(const std::string& name, bool recursive, const SourceOptions& sources, const NameOptions& names) {
  auto services = NameServices::Open(sources, names);
  if (!services) return ReportError("resolve " + name, services.error());
  std::promise<Result<resolver::NameResolution>> done;
  auto f = done.get_future();
  (*services)->names().Resolve(
      name, [&done](Result<resolver::NameResolution> r) { done.set_value(std::move(r)); }, recursive);
  auto r = f.get();
  if (!r) return ReportError("resolve " + name, r.error());
  std::printf("%s\n", r->path.c_str());
  return 0;
}

void Setup(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("resolve", "Resolve an IPNS name or DNSLink domain to /ipfs/<cid>[/path]");
  auto name = std::make_shared<std::string>();
  auto recursive = std::make_shared<bool>(true);
  auto sources = std::make_shared<SourceOptions>();
  auto names = std::make_shared<NameOptions>();
  cmd->add_option("name", *name, "k51…, 12D3KooW…, a domain, or /ipns/… or /ipfs/… path")->required();
  cmd->add_flag("-r,--recursive", *recursive,
                "Follow /ipns/ values until /ipfs/ (default; --recursive=false: one step)");
  AddSourceOptions(*cmd, *sources);
  AddNameOptions(*cmd, *names);
  cmd->callback(
      [&exit_code, name, recursive, sources, names] { exit_code = Resolve(*name, *recursive, *sources, *names); });
}

}  // namespace

IPFSFS_REGISTER_COMMAND(86, Setup);

}  // namespace ipfsfs::tools
