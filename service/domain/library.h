// The exercise library: exercises, ladders and education cards, loaded once at start from
// data/library.textproto and validated (every ladder rung exists, no cycles across ladders,
// doses in range, every category covered). A broken file is refused with a message naming
// the entry.
//
// Thread safety: immutable after construction; share freely across threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kneecoach/v1/exercise.pb.h"

namespace kneecoach {

// Which exercises ListExercises returns. Unset fields do not filter.
struct ExerciseFilter {
  v1::ExerciseCategory category = v1::EXERCISE_CATEGORY_UNSPECIFIED;
  // At most this load (UNSPECIFIED: any).
  v1::PatellofemoralLoad max_patellofemoral_load = v1::PATELLOFEMORAL_LOAD_UNSPECIFIED;
  // Deepest flexion at most this (0: any).
  int max_knee_flexion_degrees = 0;
  // Only rungs of this ladder id (not the resource name), in ladder order.
  std::string ladder_id;
};

class Library {
 public:
  // Reads a LibraryFile textproto. INVALID_ARGUMENT (naming file, entry and field) if it
  // does not parse or does not validate; NOT_FOUND if the file is missing.
  static absl::StatusOr<std::unique_ptr<Library>> LoadFromFile(const std::string& path);
  // Validates and indexes an in-memory LibraryFile (used by tests).
  static absl::StatusOr<std::unique_ptr<Library>> FromProto(v1::LibraryFile file);

  // Lookups by slug / id (not resource name). nullptr when unknown. Returned exercises
  // have `name` ("exercises/{slug}") and `ladder_positions` filled in.
  const v1::Exercise* FindExercise(absl::string_view slug) const;
  const v1::Ladder* FindLadder(absl::string_view id) const;
  const v1::EducationCard* FindEducationCard(absl::string_view slug) const;

  // Filtered exercises in a stable order: with a ladder filter, ladder order; otherwise by
  // category, then slug.
  std::vector<const v1::Exercise*> ListExercises(const ExerciseFilter& filter) const;
  // All ladders in file order, with `name` ("ladders/{id}") filled in.
  const std::vector<v1::Ladder>& ladders() const { return ladders_; }
  // All education cards in file order, with `name` ("educationCards/{slug}") filled in.
  const std::vector<v1::EducationCard>& education_cards() const { return cards_; }

  // Ladder navigation. nullptr at the ends or when the exercise is not on the ladder.
  const v1::Exercise* NextOnLadder(absl::string_view ladder_id, absl::string_view slug) const;
  const v1::Exercise* PreviousOnLadder(absl::string_view ladder_id, absl::string_view slug) const;
  // The isometric that replaces painful dynamic work on a ladder; nullptr if none.
  const v1::Exercise* IsometricFor(absl::string_view ladder_id) const;

  int version() const { return version_; }

 private:
  Library() = default;

  int version_ = 0;
  std::vector<v1::Exercise> exercises_;  // sorted by (category, slug)
  std::vector<v1::Ladder> ladders_;
  std::vector<v1::EducationCard> cards_;
  absl::flat_hash_map<std::string, size_t> exercise_index_;
  absl::flat_hash_map<std::string, size_t> ladder_index_;
  absl::flat_hash_map<std::string, size_t> card_index_;
};

}  // namespace kneecoach
