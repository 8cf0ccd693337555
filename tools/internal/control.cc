#include "tools/internal/control.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "ipld/multihash.h"
#include "tools/internal/source_options.h"

namespace ipfsfs::tools {
namespace {

// Sends all of `data`; MSG_NOSIGNAL: a peer that hung up must not SIGPIPE the mount.
bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void SetTimeout(int fd, int option, std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

// One line of JSON; bytes that are not UTF-8 (a file name, a message) become
// U+FFFD instead of throwing.
std::string Line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kInvalidArgument, "control socket path too long: " + path);
  }
  std::strcpy(addr.sun_path, path.c_str());
  return addr;
}

constexpr size_t kMaxRequest = 65536;
constexpr const char* kPointerName = "/mount.json";

}  // namespace

void MakeDirs(const std::string& path) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    mkdir(path.substr(0, pos).c_str(), 0700);
  }
}

std::string Absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  return std::string(getcwd(cwd, sizeof(cwd)) ? cwd : ".") + "/" + path;
}

std::string SocketPath(const std::string& mountpoint) {
  auto mh = ipld::Multihash::Sha256(AsBytes(mountpoint));
  return DefaultStateDir() + "/mount-" + ToHex(ByteSpan(mh.digest()).first(8)) + ".sock";
}

// ---------------------------------------------------------------- server

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path,
                                                           std::map<std::string, Handler> handlers,
                                                           std::set<std::string> long_commands) {
  MakeDirs(path.substr(0, path.rfind('/')));
  IPFSFS_ASSIGN_OR_RETURN(auto addr, UnixAddress(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kInternal, std::string("socket: ") + std::strerror(errno));
  unlink(path.c_str());  // a stale socket of a mount that died; the mountpoint check ran first
  // Owner only from the moment it exists: bind creates it under this umask.
  mode_t old_mask = umask(0177);
  int bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old_mask);
  if (bound != 0 || listen(fd, 16) != 0) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kInternal, "control socket " + path + ": " + std::strerror(err));
  }
  chmod(path.c_str(), 0600);
  auto server =
      std::unique_ptr<ControlServer>(new ControlServer(path, fd, std::move(handlers), std::move(long_commands)));
  if (pipe2(server->wake_, O_CLOEXEC) != 0) return MakeError(ErrorCode::kInternal, "pipe failed");
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

ControlServer::ControlServer(std::string path, int fd, std::map<std::string, Handler> handlers,
                             std::set<std::string> long_commands)
    : path_(std::move(path)), fd_(fd), handlers_(std::move(handlers)), long_commands_(std::move(long_commands)) {}

ControlServer::~ControlServer() {
  if (wake_[1] >= 0 && write(wake_[1], "x", 1) < 0) {
  }
  if (thread_.joinable()) thread_.join();
  close(fd_);
  unlink(path_.c_str());
  Reap(true);
  for (int w : wake_) {
    if (w >= 0) close(w);
  }
}

void ControlServer::Reap(bool all) {
  std::list<Connection> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if (all || it->done) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  // Joined outside the lock: a running connection takes it to say it is done.
  for (auto& c : finished) {
    if (c.thread.joinable()) c.thread.join();
  }
}

void ControlServer::Loop() {
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Reap(false);
    std::unique_lock lock(mu_);
    if (connections_.size() >= static_cast<size_t>(kMaxThreads)) {
      lock.unlock();
      Serve(conn, true);  // quick commands still answered, here
      continue;
    }
    auto it = connections_.emplace(connections_.end());
    it->thread = std::thread([this, conn, it] {
      Serve(conn, false);
      std::lock_guard done_lock(mu_);
      it->done = true;
    });
  }
}

void ControlServer::Serve(int conn, bool busy) {
  SetTimeout(conn, SO_RCVTIMEO, std::chrono::seconds(2));
  SetTimeout(conn, SO_SNDTIMEO, std::chrono::seconds(10));
  std::string request;
  char buf[4096];
  ssize_t n;
  while (request.find('\n') == std::string::npos && request.size() < kMaxRequest &&
         (n = read(conn, buf, sizeof(buf))) > 0) {
    request.append(buf, static_cast<size_t>(n));
  }
  SendAll(conn, Line(Answer(request.substr(0, request.find('\n')), busy)));
  close(conn);
}

nlohmann::json ControlServer::Answer(const std::string& line, bool busy) {
  auto req = nlohmann::json::parse(line, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("command") || !req["command"].is_string()) {
    return {{"error", "bad request: want {\"command\": NAME}"}};
  }
  auto it = handlers_.find(req["command"].get<std::string>());
  if (it == handlers_.end()) return {{"error", "unknown command " + req["command"].get<std::string>()}};
  bool is_long = long_commands_.count(it->first) > 0;
  if (is_long) {
    std::lock_guard lock(mu_);
    if (busy || long_running_ >= kMaxLong) return Busy();
    ++long_running_;
  }
  nlohmann::json reply;
  try {  // nothing may escape a connection thread
    reply = it->second(req);
  } catch (const std::exception& e) {
    reply = {{"error", std::string("internal error: ") + e.what()}};
  }
  if (is_long) {
    std::lock_guard lock(mu_);
    --long_running_;
  }
  return reply;
}

nlohmann::json ControlServer::Busy() const {
  return {{"error", "the mount is busy: " + std::to_string(kMaxLong) + " long requests in progress, try again later"},
          {"code", "busy"}};
}

// ---------------------------------------------------------------- client

Result<nlohmann::json> AskSocket(const std::string& path, const nlohmann::json& request,
                                 std::chrono::milliseconds timeout) {
  IPFSFS_ASSIGN_OR_RETURN(auto addr, UnixAddress(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kInternal, std::string("socket: ") + std::strerror(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kNotFound, path + ": " + std::strerror(err));
  }
  if (timeout.count() > 0) SetTimeout(fd, SO_RCVTIMEO, timeout);
  if (!SendAll(fd, Line(request))) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kUnavailable, std::string("cannot talk to the mount: ") + std::strerror(err));
  }
  std::string reply;
  char buf[65536];
  ssize_t n;
  int err = 0;
  while (true) {
    n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    break;
  }
  close(fd);
  if (err == EAGAIN || err == EWOULDBLOCK) {
    return MakeError(ErrorCode::kTimeout, "the mount did not answer within " +
                                              std::to_string(timeout.count() / 1000) + " s");
  }
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return MakeError(ErrorCode::kCorrupt, "the mount sent no valid answer");
  if (j.contains("error")) {
    std::string code = j.contains("code") && j["code"].is_string() ? j["code"].get<std::string>() : "";
    return MakeError(code == "not_found" ? ErrorCode::kNotFound
                     : code == "busy"    ? ErrorCode::kUnavailable
                                         : ErrorCode::kInternal,
                     j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
  }
  return j;
}

Result<nlohmann::json> AskMount(const std::string& mountpoint, const std::string& command) {
  auto j = AskSocket(SocketPath(mountpoint), {{"command", command}}, std::chrono::seconds(5));
  if (!j && j.error().code == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound, "no ipfsfs mount answers for " + mountpoint + " (" + j.error().message + ")");
  }
  return j;
}

// ---------------------------------------------------------------- mount pointer

Result<std::unique_ptr<MountPointer>> MountPointer::Write(const std::string& cache_dir, const std::string& socket,
                                                          const std::string& mountpoint) {
  std::string path = cache_dir + kPointerName;
  std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, temp + ": " + std::strerror(errno));
  fchmod(fd, 0600);
  std::string text = Line({{"pid", getpid()}, {"socket", socket}, {"mountpoint", mountpoint}});
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  close(fd);
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    unlink(temp.c_str());
    return MakeError(ErrorCode::kUnavailable, path + ": " + std::strerror(err));
  }
  return std::unique_ptr<MountPointer>(new MountPointer(path));
}

MountPointer::~MountPointer() {
  // The cache's lock keeps a second mount out, but do not remove a newer one's.
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("pid") && j["pid"].is_number_integer() &&
      j["pid"].get<int>() == getpid()) {
    unlink(path_.c_str());
  }
}

Result<MountInfo> FindMount(const std::string& cache_dir) {
  std::string path = cache_dir + kPointerName;
  auto stale = [&](const std::string& why) {
    return MakeError(ErrorCode::kNotFound, path + ": " + why);
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return stale(std::strerror(errno));
  struct stat st {};
  auto trusted = [](const struct stat& s) { return s.st_uid == geteuid() || s.st_uid == 0; };
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !trusted(st) || st.st_size > 65536) {
    close(fd);
    return stale("not a mount pointer of this user");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  ssize_t n = read(fd, text.data(), text.size());
  close(fd);
  if (n < 0) return stale(std::strerror(errno));
  text.resize(static_cast<size_t>(n));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer() ||
      !j.contains("socket") || !j["socket"].is_string()) {
    return stale("not valid JSON");
  }
  MountInfo info;
  info.pid = j["pid"].get<int>();
  info.socket = j["socket"].get<std::string>();
  if (j.contains("mountpoint") && j["mountpoint"].is_string()) info.mountpoint = j["mountpoint"].get<std::string>();
  if (info.pid <= 0 || (kill(info.pid, 0) != 0 && errno == ESRCH)) return stale("its mount is gone");
  struct stat sock {};
  if (lstat(info.socket.c_str(), &sock) != 0 || !S_ISSOCK(sock.st_mode) || !trusted(sock) ||
      sock.st_uid != st.st_uid) {
    return stale("its socket is gone");
  }
  return info;
}

}  // namespace ipfsfs::tools
