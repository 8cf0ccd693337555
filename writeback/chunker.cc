// Chunker string parsing, the fixed-size chunker and SpanSource.
// Content-defined chunkers live in cdc_chunker.cc.
#include "writeback/chunker.h"

#include <charconv>
#include <cstring>
#include <vector>

#include "writeback/internal/cdc_chunker.h"

namespace ipfsfs::writeback {
namespace {

// Go's strconv.Atoi on a 64-bit int: optional sign, decimal digits, no spaces.
std::optional<int64_t> GoAtoi(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (value > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

tl::unexpected<Error> Bad(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid chunker \"" + std::string(text) + "\": " + std::string(why));
}

// One "label:value" part of rabin-MIN-AVG-MAX (the label is optional).
Result<int64_t> LabelledNumber(std::string_view text, std::string_view part, std::string_view label) {
  auto sub = Split(part, ':');
  if (sub.size() > 1 && sub[0] != label) {
    return Bad(text, "label must be " + std::string(label));
  }
  auto value = GoAtoi(sub.back());
  if (!value) return Bad(text, "not a number: " + std::string(sub.back()));
  return *value;
}

class SizeChunker : public Chunker {
 public:
  SizeChunker(ByteSource& source, size_t size) : source_(source), size_(size) {}

  Result<std::optional<Chunk>> Next() override {
    if (done_) return std::optional<Chunk>();
    // Each chunk gets its own buffer: the read lands where the hash reads it.
    std::shared_ptr<std::byte[]> buffer = std::make_shared_for_overwrite<std::byte[]>(size_);
    IPFSFS_ASSIGN_OR_RETURN(size_t got, source_.Read(std::span<std::byte>(buffer.get(), size_)));
    if (got < size_) done_ = true;
    if (got == 0) return std::optional<Chunk>();
    return std::optional<Chunk>(Chunk{buffer, ByteSpan(buffer.get(), got)});
  }

 private:
  ByteSource& source_;
  size_t size_;
  bool done_ = false;
};

}  // namespace

Result<size_t> SpanSource::Read(std::span<std::byte> out) {
  size_t n = std::min(out.size(), rest_.size());
  if (n > 0) std::memcpy(out.data(), rest_.data(), n);
  rest_ = rest_.subspan(n);
  return n;
}

Result<ChunkerSpec> ParseChunkerSpec(std::string_view text) {
  ChunkerSpec spec;
  spec.text = std::string(text);
  if (text.empty() || text == "default") {
    spec.text = "size-262144";
    return spec;
  }
  std::string_view name = text.substr(0, text.find('-'));
  if (name == "size") {
    auto parts = Split(text, '-');
    if (parts.size() < 2) return Bad(text, "expected size-N");
    auto size = GoAtoi(parts[1]);
    if (!size) return Bad(text, "size is not a number");
    if (*size <= 0) return Bad(text, "size must be positive");
    if (static_cast<uint64_t>(*size) > kMaxChunkSize) {
      return Bad(text, "chunk size over the maximum of " + std::to_string(kMaxChunkSize));
    }
    spec.kind = ChunkerKind::kSize;
    spec.size = static_cast<uint64_t>(*size);
    return spec;
  }
  if (name == "buzhash") {
    spec.kind = ChunkerKind::kBuzhash;
    return spec;
  }
  if (name == "rabin") {
    spec.kind = ChunkerKind::kRabin;
    auto parts = Split(text, '-');
    if (parts.size() == 1 || parts.size() == 2) {
      uint64_t avg = kDefaultChunkSize;
      if (parts.size() == 2) {
        auto value = GoAtoi(parts[1]);
        if (!value) return Bad(text, "average is not a number");
        avg = static_cast<uint64_t>(*value);
      }
      // boxo checks int(float32(avg) * 1.5) against the maximum.
      if (static_cast<uint64_t>(static_cast<float>(avg) * 1.5f) > kMaxChunkSize) {
        return Bad(text, "maximum chunk size over " + std::to_string(kMaxChunkSize));
      }
      spec.avg = avg;
      spec.min = avg / 3;
      spec.max = avg + avg / 2;
      return spec;
    }
    if (parts.size() == 4) {
      IPFSFS_ASSIGN_OR_RETURN(int64_t min, LabelledNumber(text, parts[1], "min"));
      IPFSFS_ASSIGN_OR_RETURN(int64_t avg, LabelledNumber(text, parts[2], "avg"));
      IPFSFS_ASSIGN_OR_RETURN(int64_t max, LabelledNumber(text, parts[3], "max"));
      if (min < 16) return Bad(text, "rabin min must be at least 16");
      if (min >= avg) return Bad(text, "rabin min must be below avg");
      if (avg >= max) return Bad(text, "rabin avg must be below max");
      if (static_cast<uint64_t>(max) > kMaxChunkSize) {
        return Bad(text, "maximum chunk size over " + std::to_string(kMaxChunkSize));
      }
      spec.min = static_cast<uint64_t>(min);
      spec.avg = static_cast<uint64_t>(avg);
      spec.max = static_cast<uint64_t>(max);
      return spec;
    }
    return Bad(text, "expected rabin, rabin-AVG or rabin-MIN-AVG-MAX");
  }
  return Bad(text, "unknown chunker (size-N, rabin[-…] or buzhash)");
}

std::unique_ptr<Chunker> MakeChunker(const ChunkerSpec& spec, ByteSource& source) {
  switch (spec.kind) {
    case ChunkerKind::kSize:
      return std::make_unique<SizeChunker>(source, spec.size);
    case ChunkerKind::kRabin:
      return internal::MakeRabinChunker(source, spec.min, spec.avg, spec.max);
    case ChunkerKind::kBuzhash:
      return internal::MakeBuzhashChunker(source);
  }
  return nullptr;
}

}  // namespace ipfsfs::writeback
