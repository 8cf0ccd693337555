#include "tests/conformance/add_corpus.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "tests/writeback/test_inputs.h"

namespace ipfsfs::testing {
namespace fs = std::filesystem;
namespace {

constexpr int kCorpusVersion = 3;  // bump when the corpus changes

void WriteSource(const fs::path& p, writeback::ByteSource& source) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  Bytes buffer(1 << 20);
  while (true) {
    auto n = source.Read(buffer);
    if (!n || *n == 0) break;
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(*n));
    if (*n < buffer.size()) break;
  }
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

void Generate(const fs::path& root) {
  fs::remove_all(root);
  const fs::path tree = root / "tree";
  // Sizes around the 256 KiB and 1 MiB chunk boundaries, and a multi-MiB file.
  const uint64_t sizes[] = {0, 1, 262143, 262144, 262145, 1048575, 1048576, 1048577, 5 * 1048576 + 7};
  uint64_t seed = 11;
  for (uint64_t size : sizes) {
    XorShiftSource s(seed++, size);
    WriteSource(tree / "sizes" / ("size-" + std::to_string(size)), s);
  }
  // Names kubo keeps byte for byte.
  for (const char* name : {"with space.txt", "ünïcødé-ファイル.txt", "emoji-😀.bin", "UPPER", "lower", "a-b_c.d",
                           "tab\tname", "semi;colon", "日本語 ディレクトリ/inner.txt"}) {
    WriteText(tree / "names" / name, std::string("content of ") + name + "\n");
  }
  WriteText(tree / "names" / ".dotdir" / "hidden.txt", "hidden\n");
  WriteText(tree / ".hidden", "hidden\n");
  // Symlinks are stored, never followed.
  fs::create_directories(tree / "links");
  fs::create_symlink("../sizes/size-1", tree / "links" / "to-file");
  fs::create_symlink("does/not/exist", tree / "links" / "dangling");
  fs::create_symlink("/etc/hostname", tree / "links" / "absolute");
  fs::create_symlink("../names", tree / "links" / "to-dir");
  // Deep path.
  fs::path deep = tree / "deep";
  for (int i = 1; i <= 16; ++i) deep /= "d" + std::to_string(i);
  WriteText(deep / "leaf.txt", "at the bottom\n");
  fs::create_directories(tree / "emptydir");
  // Over the HAMT threshold under every estimate: 4500 × (46 + 34..36) bytes.
  for (int i = 0; i < 4500; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "entry-%04d-abcdefghijklmnopqrstuvwxyz0123456789", i);
    WriteText(tree / "shard" / name, "x" + std::to_string(i % 7));
  }
  // Well under it.
  for (int i = 0; i < 300; ++i) WriteText(tree / "flat" / ("f" + std::to_string(i)), std::to_string(i));

  // A second balanced layer at 256 KiB chunks: 174 × 262144 + 1 bytes.
  ChaChaSource big("v0-seed", 45613057);
  WriteSource(root / "big" / "layer2.bin", big);

  fs::create_directories(root / "bad");
  WriteText(root / "bad" / "ok.txt", "fine\n");
  if (::mkfifo((root / "bad" / "pipe").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
  WriteText(root / "complete", std::to_string(kCorpusVersion));
}

}  // namespace

const AddCorpus& GetAddCorpus(const std::string& root_text) {
  static const AddCorpus corpus = [&] {
    fs::path root(root_text);
    fs::create_directories(root.parent_path());
    int lock = ::open((root_text + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + root_text);
    std::ifstream stamp(root / "complete");
    int version = 0;
    if (!(stamp >> version) || version != kCorpusVersion) Generate(root);
    ::close(lock);
    return AddCorpus{(root / "tree").string(), (root / "big" / "layer2.bin").string(), (root / "bad").string()};
  }();
  return corpus;
}

}  // namespace ipfsfs::testing
