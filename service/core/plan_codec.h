// How PlanCache keeps a plan small: raw DEFLATE (zlib) with a preset dictionary of the
// names every plan repeats: the library's exercise and card names, "programs/" and
// "/prescriptions/". An eight-exercise basic plan of 633-713 bytes keeps in 184-199
// (measured by kneecoach-core-probe), so every active program's plan fits in memory.
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/domain/library.h"

namespace kneecoach {

class PlanCodec {
 public:
  // The dictionary: names from `library` (the most common last, as zlib prefers).
  explicit PlanCodec(const Library& library);

  std::string Compress(absl::string_view plan) const;
  absl::StatusOr<std::string> Decompress(absl::string_view packed) const;

  const std::string& dictionary() const { return dictionary_; }

 private:
  std::string dictionary_;
};

}  // namespace kneecoach
