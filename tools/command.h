// How subcommands of `ipfsfs` register themselves.
//
// Each cmd_*.cc defines one subcommand and registers a setup function with
// IPFSFS_REGISTER_COMMAND; main.cc builds the CLI11 app from the registry, in
// `order`, so adding a command never edits main.cc. The setup adds a
// subcommand to `app` and sets `exit_code` from its callback
// (0 ok, 1 failure, 2 usage: CONVENTIONS.md).
#ifndef IPFSFS_TOOLS_COMMAND_H_
#define IPFSFS_TOOLS_COMMAND_H_

#include <functional>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"

namespace ipfsfs::tools {

using CommandSetup = std::function<void(CLI::App& app, int& exit_code)>;

struct CommandEntry {
  int order;
  CommandSetup setup;
};

std::vector<CommandEntry>& CommandRegistry();

struct CommandRegistration {
  CommandRegistration(int order, CommandSetup setup) {
    CommandRegistry().push_back({order, std::move(setup)});
  }
};

// Prints "ipfsfs: <what>: <why>" to stderr (CONVENTIONS.md) and returns 1.
int ReportError(std::string_view what, const Error& error);
// The same for usage errors; returns 2.
int ReportUsage(std::string_view message);

}  // namespace ipfsfs::tools

#define IPFSFS_REGISTER_COMMAND(order, setup) \
  static ::ipfsfs::tools::CommandRegistration IPFSFS_CONCAT_(ipfsfs_command_, __LINE__)(order, setup)

#endif  // IPFSFS_TOOLS_COMMAND_H_
