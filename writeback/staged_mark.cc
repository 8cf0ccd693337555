#include "writeback/staged_mark.h"

#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>

#include "base/bytes.h"
#include "ipld/multihash.h"

namespace ipfsfs::writeback {
namespace {

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::optional<StagedMark> Decode(const std::string& value) {
  auto mark = DecodeStagedMark(value);
  if (!mark) return std::nullopt;
  return std::move(*mark);
}

}  // namespace

std::string EncodeStagedMark(const StagedMark& mark) {
  std::string text = "v1 " + mark.cid.ToString() + " " + std::to_string(mark.tsize) + " ";
  if (mark.directory) return text + "d" + ToHex(AsBytes(mark.fingerprint));
  return text + std::to_string(mark.size);
}

Result<StagedMark> DecodeStagedMark(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t at = 0; at <= text.size();) {
    size_t end = std::min(text.find(' ', at), text.size());
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  auto bad = [&] { return MakeError(ErrorCode::kCorrupt, "not a staged mark: " + std::string(text)); };
  if (parts.size() != 4 || parts[0] != "v1") return bad();
  StagedMark mark;
  auto cid = ipld::Cid::Parse(parts[1]);
  if (!cid) return bad();
  mark.cid = std::move(*cid);
  if (!ParseU64(parts[2], mark.tsize)) return bad();
  if (!parts[3].empty() && parts[3][0] == 'd') {
    auto fp = FromHex(parts[3].substr(1));
    if (!fp || fp->empty()) return bad();
    mark.directory = true;
    mark.fingerprint.assign(reinterpret_cast<const char*>(fp->data()), fp->size());
    return mark;
  }
  if (!ParseU64(parts[3], mark.size)) return bad();
  return mark;
}

std::string StagedFingerprint(std::vector<StagedChild> children) {
  std::sort(children.begin(), children.end(),
            [](const StagedChild& a, const StagedChild& b) { return a.name < b.name; });
  std::string input;
  for (const StagedChild& c : children) {
    input += std::to_string(c.name.size()) + ":" + c.name;
    if (c.cid) {
      Bytes cid = c.cid->ToBytes();
      input += "c" + std::to_string(cid.size()) + ":";
      input.append(reinterpret_cast<const char*>(cid.data()), cid.size());
      input += ";" + std::to_string(c.tsize) + ";";
    } else {
      input += "l" + std::to_string(c.symlink_target.size()) + ":" + c.symlink_target + ";";
    }
  }
  Bytes hash = ipld::Multihash::Sha256(AsBytes(input)).digest();
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::optional<StagedMark> ReadStagedMark(const std::string& path) {
  char buf[512];
  ssize_t n = ::lgetxattr(path.c_str(), std::string(kStagedXattr).c_str(), buf, sizeof(buf));
  if (n <= 0) return std::nullopt;
  return Decode(std::string(buf, static_cast<size_t>(n)));
}

std::optional<StagedMark> ReadStagedMarkFd(int fd) {
  char buf[512];
  ssize_t n = ::fgetxattr(fd, std::string(kStagedXattr).c_str(), buf, sizeof(buf));
  if (n <= 0) return std::nullopt;
  return Decode(std::string(buf, static_cast<size_t>(n)));
}

}  // namespace ipfsfs::writeback
