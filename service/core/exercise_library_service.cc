#include "service/core/exercise_library_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/core_util.h"
#include "service/domain/dates.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using google::protobuf::util::TimeUtil;
using internal::InRead;
using internal::PageToken;
using internal::ParsePage;

namespace {

// Pages through an in-memory list with offset tokens.
template <typename T, typename Out>
void PageInMemory(const std::vector<T>& all, const PageRequest& page, Out* out,
                  std::string* next_page_token) {
  size_t after = 0;  // the cursor is an offset, sealed by PageToken below
  if (!page.after.empty() && !absl::SimpleAtoi(page.after, &after)) after = all.size();
  const size_t begin = std::min(all.size(), after);
  const size_t end = std::min(all.size(), begin + page.limit);
  for (size_t i = begin; i < end; ++i) *out->Add() = *all[i];
  *next_page_token = end < all.size() ? PageToken(absl::StrCat(end)) : "";
}

template <typename T>
std::vector<const T*> Pointers(const std::vector<T>& v) {
  std::vector<const T*> out;
  for (const T& x : v) out.push_back(&x);
  return out;
}

}  // namespace

// ---- ExerciseLibraryService ----------------------------------------------------------

absl::StatusOr<v1::ListExercisesResponse> ExerciseLibraryService::ListExercises(
    const RequestContext& ctx, const v1::ListExercisesRequest& r) {
  FieldViolations violations;
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  ExerciseFilter filter;
  if (!v1::ExerciseCategory_IsValid(r.category())) {
    violations.Add("category", "unknown category");
  }
  if (!v1::PatellofemoralLoad_IsValid(r.max_patellofemoral_load())) {
    violations.Add("max_patellofemoral_load", "unknown load level");
  }
  if (r.max_knee_flexion_degrees() < 0 || r.max_knee_flexion_degrees() > 180) {
    violations.Add("max_knee_flexion_degrees", "out of range 0..180");
  }
  if (!r.ladder().empty()) {
    ASSIGN_OR_RETURN(auto id, ParseId("ladder", r.ladder(), "ladders"));
    if (library_.FindLadder(id) == nullptr) return NotFound("ladder", r.ladder());
    filter.ladder_id = id;
  }
  if (!violations.empty()) return violations.ToStatus();
  filter.category = r.category();
  filter.max_patellofemoral_load = r.max_patellofemoral_load();
  filter.max_knee_flexion_degrees = r.max_knee_flexion_degrees();
  const std::vector<const v1::Exercise*> all = library_.ListExercises(filter);
  v1::ListExercisesResponse response;
  response.set_total_size(static_cast<int>(all.size()));
  PageInMemory(all, page, response.mutable_exercises(), response.mutable_next_page_token());
  return response;
}

absl::StatusOr<v1::GetExerciseResponse> ExerciseLibraryService::GetExercise(
    const RequestContext& ctx, const v1::GetExerciseRequest& r) {
  ASSIGN_OR_RETURN(auto slug, ParseId("name", r.name(), "exercises"));
  const v1::Exercise* exercise = library_.FindExercise(slug);
  if (exercise == nullptr) return NotFound("exercise", r.name());
  v1::GetExerciseResponse response;
  *response.mutable_exercise() = *exercise;
  return response;
}

absl::StatusOr<v1::ListLaddersResponse> ExerciseLibraryService::ListLadders(
    const RequestContext& ctx, const v1::ListLaddersRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  v1::ListLaddersResponse response;
  PageInMemory(Pointers(library_.ladders()), page, response.mutable_ladders(),
               response.mutable_next_page_token());
  return response;
}

absl::StatusOr<v1::ListEducationCardsResponse> ExerciseLibraryService::ListEducationCards(
    const RequestContext& ctx, const v1::ListEducationCardsRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  if (!v1::EducationTopic_IsValid(r.topic())) return InvalidField("topic", "unknown topic");
  std::vector<const v1::EducationCard*> cards;
  for (const auto& c : library_.education_cards()) {
    if (r.topic() == v1::EDUCATION_TOPIC_UNSPECIFIED || c.topic() == r.topic()) {
      cards.push_back(&c);
    }
  }
  v1::ListEducationCardsResponse response;
  PageInMemory(cards, page, response.mutable_education_cards(), response.mutable_next_page_token());
  return response;
}

absl::StatusOr<v1::GetEducationCardResponse> ExerciseLibraryService::GetEducationCard(
    const RequestContext& ctx, const v1::GetEducationCardRequest& r) {
  ASSIGN_OR_RETURN(auto slug, ParseId("name", r.name(), "educationCards"));
  const v1::EducationCard* card = library_.FindEducationCard(slug);
  if (card == nullptr) return NotFound("education card", r.name());
  v1::GetEducationCardResponse response;
  *response.mutable_education_card() = *card;
  return response;
}

}  // namespace kneecoach
