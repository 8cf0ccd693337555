// PeerProcess: a test peer (a node script, a daemon) run in its own process
// group with stdout and stderr in a file, stopped with its children by the
// destructor (SIGTERM to the group, SIGKILL after 10 s). Header-only; the
// caller waits for the peer to be ready in its own way.
#ifndef IPFSFS_TESTS_SUPPORT_PEER_PROCESS_H_
#define IPFSFS_TESTS_SUPPORT_PEER_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace ipfsfs::testing {

class PeerProcess {
 public:
  // Runs argv[0] (looked up in PATH) with `argv`, output to `log`; false when fork fails.
  bool Start(const std::vector<std::string>& argv, const std::string& log) {
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ::setpgid(0, 0);
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(1, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      std::_Exit(127);
    }
    pid_ = pid;
    return true;
  }

  // True once the peer has ended (it is then reaped).
  bool Exited() {
    if (pid_ <= 0) return true;
    if (::waitpid(pid_, nullptr, WNOHANG) != pid_) return false;
    pid_ = -1;
    return true;
  }

  ~PeerProcess() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace ipfsfs::testing

#endif  // IPFSFS_TESTS_SUPPORT_PEER_PROCESS_H_
