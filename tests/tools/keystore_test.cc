// tools/internal/keystore.h: kubo's layout, modes whatever the umask, refusals.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "ipld/ipns_name.h"
#include "tools/internal/keystore.h"

using namespace ipfsfs;
using namespace ipfsfs::tools;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ipfsfs-keystore-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

ipld::PrivateKey NewKey() {
  auto key = ipld::PrivateKey::Generate(ipld::KeyType::kEd25519);
  REQUIRE(key);
  return *key;
}

}  // namespace

TEST_CASE("Keystore: kubo's file names, 0700 and 0600 under a permissive umask", "[keystore]") {
  TempDir tmp;
  mode_t old = ::umask(0);
  auto store = Keystore::Open(tmp.path + "/a/keystore");
  REQUIRE(store);
  auto key = NewKey();
  REQUIRE(store->Put("mykey", key));
  ::umask(old);
  // base32 lowercase, no padding, of "mykey" (kubo: key_nv4wwzlz).
  CHECK(store->PathOf("mykey") == tmp.path + "/a/keystore/key_nv4wwzlz");
  CHECK(ModeOf(tmp.path + "/a/keystore") == 0700);
  CHECK(ModeOf(store->PathOf("mykey")) == 0600);
  auto back = store->Get("mykey");
  REQUIRE(back);
  CHECK(back->Public() == key.Public());
  std::ifstream in(store->PathOf("mykey"), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(ToHex(AsBytes(content)) == ToHex(key.Encode()));  // the bare protobuf, as kubo stores it
  auto names = store->List();
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"mykey"});
  // No temporary file left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(store->dir()), {}) == 1);
}

TEST_CASE("Keystore: a key readable by others is refused with the chmod to run", "[keystore]") {
  TempDir tmp;
  auto store = Keystore::Open(tmp.path + "/ks");
  REQUIRE(store);
  REQUIRE(store->Put("k", NewKey()));
  REQUIRE(::chmod(store->PathOf("k").c_str(), 0640) == 0);
  auto refused = store->Get("k");
  REQUIRE(!refused);
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message ==
        "key file " + store->PathOf("k") + " is accessible by others (mode 0640): run chmod 600 " + store->PathOf("k"));
  REQUIRE(::chmod(store->PathOf("k").c_str(), 0600) == 0);
  CHECK(store->Get("k"));
}

TEST_CASE("Keystore: names, self, overwrite, remove and rename", "[keystore]") {
  TempDir tmp;
  auto store = Keystore::Open(tmp.path + "/ks");
  REQUIRE(store);
  auto a = NewKey();
  auto b = NewKey();
  CHECK(store->Put("self", a).error().message == "cannot overwrite key with name 'self'");
  CHECK(store->Put("", a).error().code == ErrorCode::kInvalidArgument);
  CHECK(store->Put("a/b", a).error().code == ErrorCode::kInvalidArgument);
  CHECK(store->Put(".hidden", a).error().code == ErrorCode::kInvalidArgument);
  REQUIRE(store->Put("a", a));
  CHECK(store->Put("a", b).error().message == "key with name 'a' already exists");
  REQUIRE(store->Put("b", b));
  CHECK(store->Get("nope").error().code == ErrorCode::kNotFound);

  CHECK(store->Rename("a", "b", false).error().code == ErrorCode::kInvalidArgument);
  REQUIRE(store->Rename("a", "c", false));
  CHECK(!store->Has("a"));
  CHECK(store->Get("c")->Public() == a.Public());
  REQUIRE(store->Rename("c", "b", true));
  CHECK(store->Get("b")->Public() == a.Public());
  CHECK(store->Rename("zz", "y", false).error().code == ErrorCode::kNotFound);

  REQUIRE(store->Remove("b"));
  CHECK(store->Remove("b").error().code == ErrorCode::kNotFound);
  CHECK(store->List()->empty());
}

TEST_CASE("Keystore: the default directory follows XDG_DATA_HOME", "[keystore]") {
  const char* old = std::getenv("XDG_DATA_HOME");
  std::string saved = old ? old : "";
  ::setenv("XDG_DATA_HOME", "/x/data", 1);
  CHECK(Keystore::DefaultDir() == "/x/data/ipfsfs/keystore");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", getenv("HOME") ? getenv("HOME") : "/root", 1);
  CHECK(Keystore::DefaultDir() == std::string(getenv("HOME")) + "/.local/share/ipfsfs/keystore");
  if (old) ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
}
