// The full view of an encoded basic plan, without decoding it: for each item the library's
// texts (display_name, summary, cues) are appended to the item's bytes, and each card's
// name-only record is replaced with the whole card, both encoded once when the library is
// loaded. Protobuf defines concatenated encodings of a message to parse as their merge, so
// the result decodes to exactly AddLibraryTexts(basic) (tested), at the cost of a copy.
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/domain/library.h"

namespace kneecoach {

class PlanTexts {
 public:
  explicit PlanTexts(const Library& library);

  // `basic`: an encoded GetTodaySessionResponse in the basic view.
  absl::StatusOr<std::string> FullView(absl::string_view basic) const;

 private:
  absl::StatusOr<std::string> FullSession(absl::string_view session) const;

  // Exercise name -> encoded SessionItem holding only its texts.
  absl::flat_hash_map<std::string, std::string> item_texts_;
  // Card name -> the encoded EducationCard.
  absl::flat_hash_map<std::string, std::string> cards_;
};

}  // namespace kneecoach
