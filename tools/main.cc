// ipfsfs: the command-line face of every library below. The subcommands live
// in cmd_*.cc and register themselves (tools/command.h).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tools/command.h"

namespace ipfsfs::tools {

std::vector<CommandEntry>& CommandRegistry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

int ReportError(std::string_view what, const Error& error) {
  std::cerr << "ipfsfs: " << what << ": " << error.message << "\n";
  return 1;
}

int ReportUsage(std::string_view message) {
  std::cerr << "ipfsfs: " << message << "\n"
            << "Run with --help for more information.\n";
  return 2;
}

}  // namespace ipfsfs::tools

int main(int argc, char** argv) {
  using namespace ipfsfs::tools;
  // Blocks are 256 KiB-1 MiB buffers made and freed by the thousand per second:
  // mmapped, each would cost page faults and a munmap (a third of the mount's
  // CPU on cached reads), so they stay on the heap. One arena (blocks are freed
  // by other threads than made them) and a trim threshold keep the heap small
  // (the mount's RSS goal: 80 MiB streaming with one arena, 93 with two).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_ARENA_MAX, 1);
  // stdout carries command output only (CONVENTIONS.md): logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("ipfsfs"));
  CLI::App app{"ipfsfs: IPFS as an ordinary filesystem"};
  app.name("ipfsfs");
  // The first line is the version alone (scripts and the man page read it);
  // the rest says which build this is.
  std::string version = "ipfsfs " IPFSFS_VERSION;
  if (std::string_view(IPFSFS_GIT_DESCRIBE).size() > 0) version += "\ngit: " IPFSFS_GIT_DESCRIBE;
  version += "\nbuild: " IPFSFS_BUILD "\nlibraries: " IPFSFS_FEATURES
             "\nfeatures: trustless gateways (raw blocks, CARs, ranged CARs), kubo RPC, ipfs add twin, "
             "IPNS record inspection, fstab helper";
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  int exit_code = 0;
  auto& registry = CommandRegistry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const CommandEntry& a, const CommandEntry& b) { return a.order < b.order; });
  for (const auto& entry : registry) entry.setup(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints its own message; usage errors exit 2 (CONVENTIONS.md).
    std::cerr << "ipfsfs: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  }
  return exit_code;
}
