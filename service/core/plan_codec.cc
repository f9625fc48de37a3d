#include "service/core/plan_codec.h"

#include <zlib.h>

#include "absl/strings/str_cat.h"

namespace kneecoach {
namespace {

// Raw DEFLATE (no zlib header or checksum: the cache is in memory) with an 8 KB window,
// enough for the dictionary and a plan; level 6, small memory per stream.
constexpr int kWindowBits = -13;
constexpr int kMemLevel = 4;

}  // namespace

PlanCodec::PlanCodec(const Library& library) {
  for (const v1::EducationCard& card : library.education_cards()) {
    absl::StrAppend(&dictionary_, card.name(), " ");
  }
  for (const v1::Exercise* exercise : library.ListExercises({})) {
    absl::StrAppend(&dictionary_, exercise->name(), " ");
  }
  absl::StrAppend(&dictionary_, "programs/ /prescriptions/");
  // Only the window's worth nearest the data is used.
  const size_t window = size_t{1} << -kWindowBits;
  if (dictionary_.size() > window - 1024) {
    dictionary_ = dictionary_.substr(dictionary_.size() - (window - 1024));
  }
}

std::string PlanCodec::Compress(absl::string_view plan) const {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::string();
  }
  deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary_.data()),
                       static_cast<uInt>(dictionary_.size()));
  std::string out(deflateBound(&z, plan.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plan.data()));
  z.avail_in = static_cast<uInt>(plan.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  // A copy of just the bytes: the bound is several times what the plan needs, and the
  // cache keeps the string.
  return result == Z_STREAM_END ? out.substr(0, z.total_out) : std::string();
}

absl::StatusOr<std::string> PlanCodec::Decompress(absl::string_view packed) const {
  // One inflate stream per thread, reset for each plan: a new stream allocates its state and
  // then its window (15 KB) and frees both again, on every GetTodaySession served from the
  // cache. Reset, it only takes the dictionary again (raw inflate takes it at any time).
  struct Inflater {
    Inflater() { ready = inflateInit2(&z, kWindowBits) == Z_OK; }
    ~Inflater() {
      if (ready) inflateEnd(&z);
    }
    z_stream z{};
    bool ready = false;
  };
  thread_local Inflater inflater;
  if (!inflater.ready || inflateReset(&inflater.z) != Z_OK) {
    return absl::InternalError("inflateInit failed");
  }
  z_stream& z = inflater.z;
  inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary_.data()),
                       static_cast<uInt>(dictionary_.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  std::string out;
  int result = Z_OK;
  char buffer[4096];
  while (result == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    result = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - z.avail_out);
    if (result == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  if (result != Z_STREAM_END) return absl::DataLossError("a kept plan does not inflate");
  return out;
}

}  // namespace kneecoach
