// mount.ipfsfs (also installed as mount.fuse.ipfsfs): the helper mount(8)
// runs for an fstab line such as
//   ipfsfs  /mnt/ipfs  fuse.ipfsfs  defaults,_netdev,allow_other,cache_size=20G  0 0
// Called as `mount.ipfsfs SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS] [-t TYPE]`,
// it runs `ipfsfs mount -o OPTIONS MOUNTPOINT`, which drops the fstab-only
// options, maps the -o twins of its long flags, daemonizes and returns once
// the mount is ready. SOURCE is ignored (conventionally "ipfsfs").
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ipfsfs beside this helper, else from PATH.
std::string IpfsfsBinary() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir = dir.substr(0, dir.rfind('/'));
    for (const char* rel : {"/ipfsfs", "/../bin/ipfsfs"}) {
      std::string candidate = dir + rel;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "ipfsfs";
}

int Usage() {
  fprintf(stderr, "usage: mount.ipfsfs SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::string options;
  bool fake = false;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o" || arg == "-t") {
      if (i + 1 >= argc) return Usage();
      std::string value = argv[++i];
      if (arg == "-o") options += (options.empty() ? "" : ",") + value;
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) {
      options += (options.empty() ? "" : ",") + arg.substr(2);
    } else if (arg.size() > 1 && arg[0] == '-') {
      for (char c : arg.substr(1)) {
        if (c == 'f') fake = true;
        else if (c == 'v') verbose = true;
        else if (c != 's' && c != 'n') return Usage();
      }
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return Usage();
  if (fake) return 0;

  std::string binary = IpfsfsBinary();
  std::vector<std::string> args = {binary, "mount"};
  if (!options.empty()) {
    args.push_back("-o");
    args.push_back(options);
  }
  if (verbose) args.push_back("-v");
  args.push_back(positional[1]);
  if (verbose) {
    for (const auto& a : args) fprintf(stderr, "%s ", a.c_str());
    fprintf(stderr, "\n");
  }
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  execvp(cargv[0], cargv.data());
  fprintf(stderr, "mount.ipfsfs: cannot run %s: %s\n", binary.c_str(), strerror(errno));
  return 1;
}
