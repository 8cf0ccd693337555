// Rabin and buzhash chunkers (kubo-add.md §2.3, §2.4).
//
// Both need up to MAX bytes ahead of the current position. A ReadWindow keeps
// them in a shared arena several chunks long; chunks are views into the arena,
// so bytes are read once and copied only when a chunk straddles the arena's
// end (at most MAX bytes per arena).
#include <algorithm>
#include <bit>
#include <cstring>

#include "writeback/internal/cdc_chunker.h"

namespace ipfsfs::writeback::internal {
namespace {

class ReadWindow {
 public:
  ReadWindow(ByteSource& source, size_t lookahead)
      : source_(source), arena_size_(std::max<size_t>(4 * lookahead, size_t{8} << 20)) {}

  // Makes at least `n` bytes available from the current position (fewer only
  // at the end of the stream); returns how many are available.
  Result<size_t> Ensure(size_t n) {
    if (end_ - begin_ >= n || eof_) return end_ - begin_;
    if (!arena_ || begin_ + n > capacity_) {
      size_t capacity = std::max(arena_size_, n);
      std::shared_ptr<std::byte[]> fresh = std::make_shared_for_overwrite<std::byte[]>(capacity);
      if (end_ > begin_) std::memcpy(fresh.get(), arena_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      arena_ = std::move(fresh);
      capacity_ = capacity;
    }
    // Read to the arena's end in one go: fewer, larger reads.
    IPFSFS_ASSIGN_OR_RETURN(size_t got, source_.Read(std::span<std::byte>(arena_.get() + end_, capacity_ - end_)));
    end_ += got;
    if (end_ < capacity_) eof_ = true;
    return end_ - begin_;
  }

  const std::byte* data() const { return arena_.get() + begin_; }

  Chunk Take(size_t n) {
    Chunk chunk{arena_, ByteSpan(arena_.get() + begin_, n)};
    begin_ += n;
    return chunk;
  }

 private:
  ByteSource& source_;
  size_t arena_size_;
  std::shared_ptr<std::byte[]> arena_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
};

// --- rabin -----------------------------------------------------------------

constexpr uint64_t kRabinPoly = 0x3DF305DFB2A805;  // degree 53
constexpr int kRabinDegree = 53;
constexpr size_t kRabinWindow = 16;

struct RabinTables {
  uint64_t red[256];  // t·x^53 mod P
  uint64_t out[256];  // b·x^120 mod P

  RabinTables() {
    for (uint64_t t = 0; t < 256; ++t) {
      uint64_t v = t << kRabinDegree;
      for (int bit = kRabinDegree + 7; bit >= kRabinDegree; --bit) {
        if (v >> bit & 1) v ^= kRabinPoly << (bit - kRabinDegree);
      }
      red[t] = v;
    }
    for (uint64_t b = 0; b < 256; ++b) {
      uint64_t f = b;
      for (size_t i = 1; i < kRabinWindow; ++i) f = Append(f, 0);
      out[b] = f;
    }
  }

  // (f·x^8 + b) mod P for f < 2^53.
  uint64_t Append(uint64_t f, uint8_t b) const {
    uint64_t t = f >> (kRabinDegree - 8);
    f = ((f << 8) | b) & ((uint64_t{1} << kRabinDegree) - 1);
    return f ^ red[t];
  }
};

const RabinTables& Tables() {
  static const RabinTables tables;
  return tables;
}

class RabinChunker : public Chunker {
 public:
  RabinChunker(ByteSource& source, uint64_t min, uint64_t avg, uint64_t max)
      : window_(source, max), min_(min), max_(max),
        mask_(avg == 0 ? 0 : (uint64_t{1} << std::bit_width(avg) >> 1) - 1) {}

  Result<std::optional<Chunk>> Next() override {
    if (min_ < kRabinWindow) return Degenerate();
    IPFSFS_ASSIGN_OR_RETURN(size_t n, window_.Ensure(max_));
    if (n == 0) return std::optional<Chunk>();
    if (n <= min_) return std::optional<Chunk>(window_.Take(n));
    const RabinTables& tables = Tables();
    const auto* p = reinterpret_cast<const uint8_t*>(window_.data());
    uint64_t f = 0;
    for (size_t i = min_ - kRabinWindow; i < min_; ++i) f = tables.Append(f, p[i]);
    size_t length = min_;
    const size_t limit = std::min<size_t>(n, max_);
    while ((f & mask_) != 0 && length < limit) {
      f ^= tables.out[p[length - kRabinWindow]];
      f = tables.Append(f, p[length]);
      ++length;
    }
    return std::optional<Chunk>(window_.Take(length));
  }

 private:
  // boxo with MIN < 16 emits the whole input as one chunk; over 2 MiB the add
  // fails ("object size limit exceeded").
  Result<std::optional<Chunk>> Degenerate() {
    constexpr size_t kLimit = size_t{2} << 20;
    IPFSFS_ASSIGN_OR_RETURN(size_t n, window_.Ensure(kLimit + 1));
    if (n > kLimit) {
      return MakeError(ErrorCode::kTooLarge, "object size limit exceeded (rabin with min < 16 cuts one chunk)");
    }
    if (n == 0) return std::optional<Chunk>();
    return std::optional<Chunk>(window_.Take(n));
  }

  ReadWindow window_;
  uint64_t min_, max_, mask_;
};

// --- buzhash ---------------------------------------------------------------

constexpr size_t kBuzMin = 128 << 10;
constexpr size_t kBuzMax = 512 << 10;
constexpr uint32_t kBuzMask = (1u << 17) - 1;
constexpr size_t kBuzWindow = 32;

class BuzhashChunker : public Chunker {
 public:
  explicit BuzhashChunker(ByteSource& source) : window_(source, kBuzMax) {}

  Result<std::optional<Chunk>> Next() override {
    IPFSFS_ASSIGN_OR_RETURN(size_t n, window_.Ensure(kBuzMax));
    if (n == 0) return std::optional<Chunk>();
    n = std::min(n, kBuzMax);
    if (n < kBuzMin) return std::optional<Chunk>(window_.Take(n));
    const auto* p = reinterpret_cast<const uint8_t*>(window_.data());
    uint32_t h = 0;
    for (size_t i = kBuzMin - kBuzWindow; i < kBuzMin; ++i) h = std::rotl(h, 1) ^ kBuzhashTable[p[i]];
    size_t length = kBuzMin;
    while (length < n && (h & kBuzMask) != 0) {
      h = std::rotl(h, 1) ^ kBuzhashTable[p[length - kBuzWindow]] ^ kBuzhashTable[p[length]];
      ++length;
    }
    return std::optional<Chunk>(window_.Take(length));
  }

 private:
  ReadWindow window_;
};

}  // namespace

std::unique_ptr<Chunker> MakeRabinChunker(ByteSource& source, uint64_t min, uint64_t avg, uint64_t max) {
  return std::make_unique<RabinChunker>(source, min, avg, max);
}

std::unique_ptr<Chunker> MakeBuzhashChunker(ByteSource& source) {
  return std::make_unique<BuzhashChunker>(source);
}

}  // namespace ipfsfs::writeback::internal
