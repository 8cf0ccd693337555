// tools/internal/control: the mount's control socket (a thread per
// connection, a bound on long requests, owner-only), its client, and the
// mount.json pointer a cache command follows to the mount.
#include "tools/internal/control.h"
#include "tools/internal/source_options.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace ipfsfs::tools {
namespace {

using namespace std::chrono_literals;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/ipfsfs-control-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// A "slow" handler that holds until released; counts how many are inside.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int inside = 0;
  nlohmann::json Wait() {
    std::unique_lock lock(mu);
    ++inside;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    --inside;
    return {{"slow", true}};
  }
  bool WaitInside(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return inside == n; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

std::unique_ptr<ControlServer> StartServer(const std::string& path, Gate& gate) {
  auto server = ControlServer::Start(
      path,
      {{"quick", [](const nlohmann::json& req) { return nlohmann::json{{"echo", req.value("x", 0)}}; }},
       {"slow", [&gate](const nlohmann::json&) { return gate.Wait(); }},
       {"elsewhere", [](const nlohmann::json&) { return nlohmann::json{{"error", "not me"}, {"code", "not_found"}}; }},
       {"throws", [](const nlohmann::json&) -> nlohmann::json { return nlohmann::json::array().at(3); }}},
      {"slow"});
  REQUIRE(server);
  return std::move(*server);
}

TEST_CASE("control: requests are answered and errors keep their meaning") {
  TempDir dir;
  Gate gate;
  std::string path = dir.path + "/state/c.sock";  // the directory is made
  auto server = StartServer(path, gate);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);

  auto r = AskSocket(path, {{"command", "quick"}, {"x", 42}}, 5s);
  REQUIRE(r);
  CHECK(*r == nlohmann::json{{"echo", 42}});
  r = AskSocket(path, {{"command", "nope"}}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInternal);
  CHECK(r.error().message == "unknown command nope");
  r = AskSocket(path, {{"no command", 1}}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "bad request: want {\"command\": NAME}");
  r = AskSocket(path, {{"command", "elsewhere"}}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message == "not me");
  r = AskSocket(path, {{"command", "throws"}}, 5s);  // the server lives on
  REQUIRE_FALSE(r);
  CHECK(r.error().message.rfind("internal error: ", 0) == 0);
  // A file name that is not UTF-8 travels without killing anyone.
  r = AskSocket(path, {{"command", "quick"}, {"name", std::string("caf\xe9")}}, 5s);
  CHECK(r);

  server.reset();
  CHECK(access(path.c_str(), F_OK) != 0);  // removed on stop
  r = AskSocket(path, {{"command", "quick"}}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kNotFound);
}

TEST_CASE("control: a long request does not hold up others and the long ones are bounded") {
  TempDir dir;
  Gate gate;
  std::string path = dir.path + "/c.sock";
  auto server = StartServer(path, gate);
  std::vector<std::thread> clients;
  std::atomic<int> slow_ok{0};
  for (int i = 0; i < ControlServer::kMaxLong; ++i) {
    clients.emplace_back([&] {
      auto r = AskSocket(path, {{"command", "slow"}}, 0ms);  // no time limit
      if (r && (*r)["slow"] == true) ++slow_ok;
    });
  }
  REQUIRE(gate.WaitInside(ControlServer::kMaxLong));

  auto start = std::chrono::steady_clock::now();
  auto quick = AskSocket(path, {{"command", "quick"}, {"x", 1}}, 5s);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  REQUIRE(quick);
  CHECK((*quick)["echo"] == 1);

  auto busy = AskSocket(path, {{"command", "slow"}}, 5s);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == ErrorCode::kUnavailable);
  CHECK(busy.error().message == "the mount is busy: 8 long requests in progress, try again later");

  gate.Open();
  for (auto& t : clients) t.join();
  CHECK(slow_ok == ControlServer::kMaxLong);
  // Room again.
  auto again = AskSocket(path, {{"command", "slow"}}, 5s);
  CHECK(again);
}

TEST_CASE("control: a client timeout is reported as such") {
  TempDir dir;
  Gate gate;
  std::string path = dir.path + "/c.sock";
  auto server = StartServer(path, gate);
  auto r = AskSocket(path, {{"command", "slow"}}, 300ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kTimeout);
  gate.Open();  // the destructor joins the connection thread
}

TEST_CASE("control: SocketPath is one per mountpoint in the state dir") {
  const char* old = getenv("XDG_STATE_HOME");
  std::string saved = old ? old : "";
  setenv("XDG_STATE_HOME", "/run/test-state", 1);
  // sha256("/mnt/x") starts c10865fc00f31eff (sha256sum).
  CHECK(SocketPath("/mnt/x") == "/run/test-state/ipfsfs/mount-c10865fc00f31eff.sock");
  CHECK(DefaultStateDir() == "/run/test-state/ipfsfs");
  if (old) setenv("XDG_STATE_HOME", saved.c_str(), 1);
  else unsetenv("XDG_STATE_HOME");
}

TEST_CASE("control: mount.json leads to a live mount and is ignored when stale") {
  TempDir dir;
  Gate gate;
  std::string cache = dir.path + "/cache";
  std::filesystem::create_directories(cache);
  std::string sock = dir.path + "/m.sock";
  auto server = StartServer(sock, gate);

  auto missing = FindMount(cache);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);

  {
    auto pointer = MountPointer::Write(cache, sock, "/mnt/here");
    REQUIRE(pointer);
    struct stat st {};
    REQUIRE(stat((cache + "/mount.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto j = nlohmann::json::parse(std::ifstream(cache + "/mount.json"));
    CHECK(j == nlohmann::json{{"pid", getpid()}, {"socket", sock}, {"mountpoint", "/mnt/here"}});
    auto found = FindMount(cache);
    REQUIRE(found);
    CHECK(found->pid == getpid());
    CHECK(found->socket == sock);
    CHECK(found->mountpoint == "/mnt/here");
  }
  CHECK(access((cache + "/mount.json").c_str(), F_OK) != 0);  // gone with its writer

  auto write = [&](const nlohmann::json& j) { std::ofstream(cache + "/mount.json") << j.dump(); };
  // A pid that is not running.
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  REQUIRE(dead > 0);
  int status = 0;
  waitpid(dead, &status, 0);
  write({{"pid", dead}, {"socket", sock}, {"mountpoint", "/m"}});
  CHECK_FALSE(FindMount(cache));
  // No socket there.
  write({{"pid", getpid()}, {"socket", dir.path + "/none.sock"}, {"mountpoint", "/m"}});
  CHECK_FALSE(FindMount(cache));
  // A regular file where the socket should be.
  write({{"pid", getpid()}, {"socket", cache + "/mount.json"}, {"mountpoint", "/m"}});
  CHECK_FALSE(FindMount(cache));
  // Not JSON.
  std::ofstream(cache + "/mount.json") << "{pid";
  CHECK_FALSE(FindMount(cache));
  // Live: found.
  write({{"pid", getpid()}, {"socket", sock}, {"mountpoint", "/m"}});
  CHECK(FindMount(cache));
  // A newer mount's pointer is not removed by an older writer.
  {
    auto pointer = MountPointer::Write(cache, sock, "/mnt/old");
    REQUIRE(pointer);
    write({{"pid", getpid() + 1}, {"socket", sock}, {"mountpoint", "/mnt/new"}});
  }
  CHECK(access((cache + "/mount.json").c_str(), F_OK) == 0);
}

}  // namespace
}  // namespace ipfsfs::tools
