// Implementation of publish/published_store.h.
#include "publish/published_store.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

namespace ipfsfs::publish {
namespace {

class MemoryPublishedStore : public PublishedStore {
 public:
  Result<std::optional<Publication>> Load(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::optional<Publication>();
    return std::optional<Publication>(it->second);
  }
  Status Save(const Publication& p) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[p.name] = p;
    return OkStatus();
  }
  Result<std::vector<Publication>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Publication> out;
    for (const auto& [name, p] : entries_) out.push_back(p);
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Publication> entries_;  // GUARDED_BY(mu_)
};

bool SafeName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

nlohmann::json ToJson(const Publication& p) {
  return {{"name", p.name},
          {"key", p.key_name},
          {"value", p.value},
          {"sequence", p.sequence},
          {"eol", ipld::FormatRfc3339Nano(p.eol)},
          {"published_at", ipld::FormatRfc3339Nano(p.published_at)},
          {"lifetime_ns", p.lifetime.count()},
          {"ttl_ns", p.ttl.count()}};
}

Result<Publication> FromJson(const std::string& text, const std::string& file) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&] { return MakeError(ErrorCode::kCorrupt, "published names: " + file + " is not a publication"); };
  if (j.is_discarded() || !j.is_object()) return bad();
  Publication p;
  try {
    p.name = j.at("name").get<std::string>();
    p.key_name = j.at("key").get<std::string>();
    p.value = j.at("value").get<std::string>();
    p.sequence = j.at("sequence").get<uint64_t>();
    auto eol = ipld::ParseRfc3339(j.at("eol").get<std::string>());
    auto at = ipld::ParseRfc3339(j.at("published_at").get<std::string>());
    if (!eol || !at) return bad();
    p.eol = *eol;
    p.published_at = *at;
    p.lifetime = std::chrono::nanoseconds(j.at("lifetime_ns").get<int64_t>());
    p.ttl = std::chrono::nanoseconds(j.at("ttl_ns").get<int64_t>());
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  return p;
}

class FilePublishedStore : public PublishedStore {
 public:
  explicit FilePublishedStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Result<std::optional<Publication>> Load(const std::string& name) override {
    if (!SafeName(name)) return MakeError(ErrorCode::kInvalidArgument, "published names: bad name " + name);
    std::lock_guard<std::mutex> lock(mu_);
    return LoadLocked(dir_ / (name + ".json"));
  }

  Status Save(const Publication& p) override {
    if (!SafeName(p.name)) return MakeError(ErrorCode::kInvalidArgument, "published names: bad name " + p.name);
    std::lock_guard<std::mutex> lock(mu_);
    auto final_path = dir_ / (p.name + ".json");
    auto tmp = dir_ / (p.name + ".tmp." + std::to_string(::getpid()));
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << ToJson(p).dump() << "\n";
      out.flush();
      if (!out) return MakeError(ErrorCode::kUnavailable, "published names: cannot write " + tmp.string());
    }
    std::error_code ec;
    std::filesystem::rename(tmp, final_path, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "published names: " + final_path.string() + ": " + ec.message());
    return OkStatus();
  }

  Result<std::vector<Publication>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Publication> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      if (entry.path().extension() != ".json") continue;
      auto p = LoadLocked(entry.path());
      if (!p) return tl::unexpected(p.error());
      if (*p) out.push_back(std::move(**p));
    }
    if (ec) return MakeError(ErrorCode::kUnavailable, "published names: " + dir_.string() + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

 private:
  Result<std::optional<Publication>> LoadLocked(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::optional<Publication>();
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = FromJson(text, path.string());
    if (!p) return tl::unexpected(p.error());
    return std::optional<Publication>(std::move(*p));
  }

  const std::filesystem::path dir_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<PublishedStore> NewMemoryPublishedStore() { return std::make_unique<MemoryPublishedStore>(); }

Result<std::unique_ptr<PublishedStore>> OpenFilePublishedStore(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "published names: " + dir + ": " + ec.message());
  return std::unique_ptr<PublishedStore>(std::make_unique<FilePublishedStore>(dir));
}

}  // namespace ipfsfs::publish
