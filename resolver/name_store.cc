#include "resolver/name_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

namespace ipfsfs::resolver {
namespace {

class MemoryNameStore : public NameStore {
 public:
  Result<std::optional<Bytes>> Load(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(name);
    if (it == records_.end()) return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
  }
  Status Save(const std::string& name, ByteSpan record) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_[name] = Bytes(record.begin(), record.end());
    return OkStatus();
  }

 private:
  std::mutex mu_;
  std::map<std::string, Bytes> records_;  // GUARDED_BY(mu_)
};

// Canonical names are base36 ("k51…"): safe as file names; anything else is refused.
bool SafeName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class FileNameStore : public NameStore {
 public:
  explicit FileNameStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Result<std::optional<Bytes>> Load(const std::string& name) override {
    if (!SafeName(name)) return MakeError(ErrorCode::kInvalidArgument, "name store: bad name " + name);
    std::lock_guard<std::mutex> lock(mu_);
    std::ifstream in(dir_ / (name + ".ipns-record"), std::ios::binary);
    if (!in) return std::optional<Bytes>();
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::optional<Bytes>(ToBytes(text));
  }

  Status Save(const std::string& name, ByteSpan record) override {
    if (!SafeName(name)) return MakeError(ErrorCode::kInvalidArgument, "name store: bad name " + name);
    std::lock_guard<std::mutex> lock(mu_);
    auto final_path = dir_ / (name + ".ipns-record");
    auto tmp = dir_ / (name + ".tmp." + std::to_string(::getpid()));
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(record.data()), static_cast<std::streamsize>(record.size()));
      out.flush();
      if (!out) return MakeError(ErrorCode::kInternal, "name store: cannot write " + tmp.string());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, final_path, ec);
    if (ec) return MakeError(ErrorCode::kInternal, "name store: " + final_path.string() + ": " + ec.message());
    return OkStatus();
  }

 private:
  const std::filesystem::path dir_;
  std::mutex mu_;  // one writer per process at a time; rename keeps other processes safe
};

}  // namespace

std::unique_ptr<NameStore> NewMemoryNameStore() { return std::make_unique<MemoryNameStore>(); }

Result<std::unique_ptr<NameStore>> OpenFileNameStore(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "name store: " + dir + ": " + ec.message());
  return std::unique_ptr<NameStore>(std::make_unique<FileNameStore>(dir));
}

}  // namespace ipfsfs::resolver
