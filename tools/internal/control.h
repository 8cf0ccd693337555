// The running mount's control socket: server, client and how a command finds
// the mount that holds a cache.
//
// Protocol: per connection one JSON request line {"command": NAME, ...} and
// one JSON reply line; a failure is {"error": MESSAGE} with an optional
// "code": "not_found" (the request is not for this mount) or "busy". The socket lives in
// the state dir (DefaultStateDir()), one per mountpoint, mode 0600: only its owner
// (and root) may talk to the mount.
//
// ControlServer serves each connection on its own thread (at most
// kMaxThreads; past that the accepting thread answers), so a long
// `cache pin add` never holds up `ipfsfs status`. At most kMaxLong long
// commands (named at Start) run at once; more are told the mount is busy.
// Handlers run concurrently and must be thread-safe. The destructor stops accepting and joins the
// connection threads (a running handler is waited for).
//
// A mount that opens a cache leaves a MountPointer, <cache_dir>/mount.json
// {"pid", "socket", "mountpoint"} (0600), and removes it on a clean exit; a
// command that finds the cache locked uses it to reach the mount.
#ifndef IPFSFS_TOOLS_INTERNAL_CONTROL_H_
#define IPFSFS_TOOLS_INTERNAL_CONTROL_H_

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace ipfsfs::tools {

// mkdir -p with mode 0700.
void MakeDirs(const std::string& path);
// `path` made absolute (resolved if it exists, else joined to the cwd).
std::string Absolute(const std::string& path);
// One socket per mountpoint: <state dir>/mount-<first 8 bytes of sha256(path)>.sock.
std::string SocketPath(const std::string& mountpoint);

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  static constexpr int kMaxLong = 8;
  static constexpr int kMaxThreads = 16;

  [[nodiscard]] static Result<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                                   std::map<std::string, Handler> handlers,
                                                                   std::set<std::string> long_commands = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  struct Connection {
    std::thread thread;
    bool done = false;  // GUARDED_BY(mu_)
  };
  ControlServer(std::string path, int fd, std::map<std::string, Handler> handlers,
                std::set<std::string> long_commands);
  void Loop();
  // One request and its reply; `busy`: long commands are refused.
  void Serve(int conn, bool busy);
  nlohmann::json Answer(const std::string& request, bool busy);
  nlohmann::json Busy() const;
  // Joins finished connection threads; with `all`, every one (shutdown).
  void Reap(bool all);

  std::string path_;
  int fd_;
  int wake_[2] = {-1, -1};
  const std::map<std::string, Handler> handlers_;
  const std::set<std::string> long_commands_;
  std::thread thread_;
  std::mutex mu_;
  std::list<Connection> connections_;  // GUARDED_BY(mu_)
  int long_running_ = 0;               // GUARDED_BY(mu_)
};

// Sends `request` to the socket at `path` and returns the reply. `timeout`
// bounds the wait for the reply; zero waits as long as the mount lives (its
// exit closes the socket). kNotFound when nothing listens there or the reply
// says "not_found", kUnavailable for "busy", kInternal with the mount's
// message for another {"error": …} reply.
[[nodiscard]] Result<nlohmann::json> AskSocket(const std::string& path, const nlohmann::json& request,
                                               std::chrono::milliseconds timeout);
// {"command": command} to the mount at `mountpoint`, with a 5 s timeout.
[[nodiscard]] Result<nlohmann::json> AskMount(const std::string& mountpoint, const std::string& command);

// <cache_dir>/mount.json while a mount holds the cache.
class MountPointer {
 public:
  // Writes the file (atomically, 0600). Errors are the caller's to log.
  [[nodiscard]] static Result<std::unique_ptr<MountPointer>> Write(const std::string& cache_dir,
                                                                  const std::string& socket,
                                                                  const std::string& mountpoint);
  ~MountPointer();  // removes the file if it is still ours
  MountPointer(const MountPointer&) = delete;
  MountPointer& operator=(const MountPointer&) = delete;

 private:
  explicit MountPointer(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

struct MountInfo {
  int pid = 0;
  std::string socket;
  std::string mountpoint;
};

// The mount named by <cache_dir>/mount.json: the file and its socket must be
// ours (or root's) and its pid alive. kNotFound otherwise (no file, stale,
// someone else's). Whether the socket answers is for AskSocket to find out.
[[nodiscard]] Result<MountInfo> FindMount(const std::string& cache_dir);

}  // namespace ipfsfs::tools

#endif  // IPFSFS_TOOLS_INTERNAL_CONTROL_H_
