#include "service/domain/library.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "service/domain/dose.h"
#include "service/domain/errors.h"

namespace kneecoach {
namespace {

constexpr int kMaxKneeFlexionDegrees = 150;
constexpr size_t kMaxIdLength = 64;
// Programs last 6-12 weeks; a year leaves room for long programs.
constexpr int kMaxProgramDay = 366;
// Stop collecting after this many problems; the first ones are what an author fixes first.
constexpr size_t kMaxProblems = 20;

std::string ExerciseName(absl::string_view slug) { return absl::StrCat("exercises/", slug); }
std::string LadderName(absl::string_view id) { return absl::StrCat("ladders/", id); }
std::string CardName(absl::string_view slug) { return absl::StrCat("educationCards/", slug); }

// Lower-kebab-case: starts with a letter, [a-z0-9] words joined by single hyphens, at most
// 64 characters (the resource-id limit of service/domain/names.h).
bool IsKebabCase(absl::string_view s) {
  if (s.empty() || s.size() > kMaxIdLength) return false;
  if (s.front() < 'a' || s.front() > 'z') return false;
  if (s.back() == '-') return false;
  char prev = 0;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && prev == '-')) return false;
    prev = c;
  }
  return true;
}

// Collects validation problems, each prefixed with the source and the entry it concerns.
class Problems {
 public:
  explicit Problems(absl::string_view source) : source_(source) {}

  void Add(absl::string_view entry, absl::string_view message) {
    if (messages_.size() < kMaxProblems) {
      messages_.push_back(absl::StrCat(source_, ": ", entry, ": ", message));
    }
    ++count_;
  }

  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    std::string text = absl::StrJoin(messages_, "; ");
    if (count_ > messages_.size()) {
      absl::StrAppend(&text, "; and ", count_ - messages_.size(), " more problems");
    }
    return absl::InvalidArgumentError(text);
  }

 private:
  std::string source_;
  std::vector<std::string> messages_;
  size_t count_ = 0;
};

// The entry label of the i-th element of a repeated field: its slug/id if it has one that
// can be quoted, else its index.
std::string EntryLabel(absl::string_view kind, absl::string_view id, int index) {
  if (id.empty()) {
    return absl::StrCat(kind, " #", index + 1, " (no ", kind == "ladder" ? "id" : "slug", ")");
  }
  return absl::StrCat(kind, " \"", id, "\"");
}

void ValidateExercise(const v1::Exercise& e, const std::string& label, Problems& problems) {
  if (e.slug().empty()) {
    problems.Add(label, "slug is empty");
  } else if (!IsKebabCase(e.slug())) {
    problems.Add(label,
                 "slug must be lower-kebab-case ([a-z0-9] words joined by '-', "
                 "starting with a letter, at most 64 characters)");
  }
  if (e.display_name().empty()) problems.Add(label, "display_name is empty");
  if (e.category() == v1::EXERCISE_CATEGORY_UNSPECIFIED ||
      !v1::ExerciseCategory_IsValid(e.category())) {
    problems.Add(label, "category is not set");
  }
  if (e.patellofemoral_load() == v1::PATELLOFEMORAL_LOAD_UNSPECIFIED ||
      !v1::PatellofemoralLoad_IsValid(e.patellofemoral_load())) {
    problems.Add(label, "patellofemoral_load is not set");
  }
  if (e.frequency_class() == v1::FREQUENCY_CLASS_UNSPECIFIED ||
      !v1::FrequencyClass_IsValid(e.frequency_class())) {
    problems.Add(label, "frequency_class is not set");
  }
  const int min = e.knee_flexion().min_degrees();
  const int max = e.knee_flexion().max_degrees();
  if (min < 0 || max < min || max > kMaxKneeFlexionDegrees) {
    problems.Add(label, absl::StrCat("knee_flexion ", min, "..", max,
                                     " must satisfy 0 <= min <= max <= ", kMaxKneeFlexionDegrees));
  }
  FieldViolations dose;
  ValidateDose(e.starting_dose(), "starting_dose", dose);
  for (const auto& v : dose.proto().field_violations()) {
    // A range problem reads "starting_dose.sets 11 out of range 0..10".
    problems.Add(
        label, absl::StrCat(v.field(), v.field() == "starting_dose" ? ": " : " ", v.description()));
  }
}

void ValidateCard(const v1::EducationCard& c, const std::string& label, Problems& problems) {
  if (c.slug().empty()) {
    problems.Add(label, "slug is empty");
  } else if (!IsKebabCase(c.slug())) {
    problems.Add(label,
                 "slug must be lower-kebab-case ([a-z0-9] words joined by '-', "
                 "starting with a letter, at most 64 characters)");
  }
  if (c.title().empty()) problems.Add(label, "title is empty");
  if (c.topic() == v1::EDUCATION_TOPIC_UNSPECIFIED || !v1::EducationTopic_IsValid(c.topic())) {
    problems.Add(label, "topic is not set");
  }
  if (c.paragraphs().empty()) problems.Add(label, "needs at least one paragraph");
  for (int i = 0; i < c.paragraphs_size(); ++i) {
    if (c.paragraphs(i).empty()) problems.Add(label, absl::StrCat("paragraphs[", i, "] is empty"));
  }
  if (c.program_days().empty()) problems.Add(label, "needs at least one program day");
  for (int i = 0; i < c.program_days_size(); ++i) {
    const int day = c.program_days(i);
    if (day < 1 || day > kMaxProgramDay) {
      problems.Add(
          label, absl::StrCat("program_days[", i, "] ", day, " out of range 1..", kMaxProgramDay));
    }
  }
  for (int i = 0; i < c.phase_starts_size(); ++i) {
    const int phase = c.phase_starts(i);
    if (phase == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(phase)) {
      problems.Add(label, absl::StrCat("phase_starts[", i, "] is not a phase"));
    }
  }
}

// Finds cycles in the union of all ladders, each consecutive pair of rungs being an edge
// easier -> harder. Reports each cycle once, naming the exercises and the ladders involved.
void CheckLadderCycles(const google::protobuf::RepeatedPtrField<v1::Ladder>& ladders,
                       const absl::flat_hash_set<std::string>& skip, Problems& problems) {
  // Ordered containers keep the report deterministic.
  std::map<std::string, std::set<std::string>> edges;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> edge_ladders;
  for (const auto& ladder : ladders) {
    if (skip.contains(ladder.id())) continue;
    for (int i = 0; i + 1 < ladder.exercise_slugs_size(); ++i) {
      const std::string& from = ladder.exercise_slugs(i);
      const std::string& to = ladder.exercise_slugs(i + 1);
      edges[from].insert(to);
      edges[to];
      edge_ladders[{from, to}].insert(ladder.id());
    }
  }

  enum class Color { kWhite, kGrey, kBlack };
  std::map<std::string, Color> color;
  for (const auto& [node, unused] : edges) color[node] = Color::kWhite;

  // Iterative DFS; `path` holds the grey nodes from the root to the current node.
  for (const auto& [root, unused] : edges) {
    if (color[root] != Color::kWhite) continue;
    std::vector<std::pair<std::string, std::set<std::string>::const_iterator>> stack;
    std::vector<std::string> path;
    color[root] = Color::kGrey;
    stack.emplace_back(root, edges[root].begin());
    path.push_back(root);
    while (!stack.empty()) {
      auto& [node, it] = stack.back();
      if (it == edges[node].end()) {
        color[node] = Color::kBlack;
        stack.pop_back();
        path.pop_back();
        continue;
      }
      const std::string next = *it;
      ++it;
      if (color[next] == Color::kGrey) {
        auto start = std::find(path.begin(), path.end(), next);
        std::vector<std::string> cycle(start, path.end());
        cycle.push_back(next);
        std::set<std::string> involved;
        for (size_t i = 0; i + 1 < cycle.size(); ++i) {
          const auto& ids = edge_ladders[{cycle[i], cycle[i + 1]}];
          involved.insert(ids.begin(), ids.end());
        }
        std::vector<std::string> quoted;
        for (const auto& id : involved) quoted.push_back(absl::StrCat("\"", id, "\""));
        problems.Add(absl::StrCat(involved.size() == 1 ? "ladder " : "ladders ",
                                  absl::StrJoin(quoted, ", ")),
                     absl::StrCat("rungs form a cycle: ", absl::StrJoin(cycle, " -> ")));
      } else if (color[next] == Color::kWhite) {
        color[next] = Color::kGrey;
        path.push_back(next);
        stack.emplace_back(next, edges[next].begin());
      }
    }
  }
}

// Collects parse errors with their (1-based) positions.
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Every check of library.h on `file`; problems are prefixed with `source`.
absl::Status Validate(const v1::LibraryFile& file, absl::string_view source) {
  Problems problems(source);

  // Exercises.
  absl::flat_hash_map<std::string, const v1::Exercise*> by_slug;
  for (int i = 0; i < file.exercises_size(); ++i) {
    const v1::Exercise& e = file.exercises(i);
    const std::string label = EntryLabel("exercise", e.slug(), i);
    ValidateExercise(e, label, problems);
    if (!e.slug().empty() && !by_slug.emplace(e.slug(), &e).second) {
      problems.Add(label, "duplicate slug");
    }
  }
  for (int category = v1::ExerciseCategory_MIN; category <= v1::ExerciseCategory_MAX; ++category) {
    if (category == v1::EXERCISE_CATEGORY_UNSPECIFIED || !v1::ExerciseCategory_IsValid(category)) {
      continue;
    }
    const bool covered =
        std::any_of(file.exercises().begin(), file.exercises().end(),
                    [&](const v1::Exercise& e) { return e.category() == category; });
    if (!covered) {
      problems.Add(absl::StrCat("category ", v1::ExerciseCategory_Name(
                                                 static_cast<v1::ExerciseCategory>(category))),
                   "no exercise of this category");
    }
  }

  // Ladders.
  absl::flat_hash_set<std::string> ladder_ids;
  absl::flat_hash_set<std::string> ladders_with_repeats;
  for (int i = 0; i < file.ladders_size(); ++i) {
    const v1::Ladder& ladder = file.ladders(i);
    const std::string label = EntryLabel("ladder", ladder.id(), i);
    if (ladder.id().empty()) {
      problems.Add(label, "id is empty");
    } else if (!IsKebabCase(ladder.id())) {
      problems.Add(label,
                   "id must be lower-kebab-case ([a-z0-9] words joined by '-', "
                   "starting with a letter, at most 64 characters)");
    }
    if (!ladder.id().empty() && !ladder_ids.insert(ladder.id()).second) {
      problems.Add(label, "duplicate id");
    }
    if (ladder.display_name().empty()) problems.Add(label, "display_name is empty");
    if (ladder.exercise_slugs_size() < 2) {
      problems.Add(label,
                   absl::StrCat("needs at least 2 rungs, has ", ladder.exercise_slugs_size()));
    }
    absl::flat_hash_set<std::string> seen;
    for (int r = 0; r < ladder.exercise_slugs_size(); ++r) {
      const std::string& slug = ladder.exercise_slugs(r);
      if (!by_slug.contains(slug)) {
        problems.Add(label, absl::StrCat("rung ", r, " \"", slug, "\" is not an exercise"));
      }
      if (!seen.insert(slug).second) {
        problems.Add(label, absl::StrCat("rung ", r, " repeats \"", slug, "\""));
        ladders_with_repeats.insert(ladder.id());
      }
    }
    // clinical.md: a regression never moves to an exercise of higher patellofemoral load,
    // so a ladder's load must not fall as it rises (a step down would raise it).
    for (int r = 0; r + 1 < ladder.exercise_slugs_size(); ++r) {
      auto lower = by_slug.find(ladder.exercise_slugs(r));
      auto upper = by_slug.find(ladder.exercise_slugs(r + 1));
      if (lower == by_slug.end() || upper == by_slug.end()) continue;
      const v1::PatellofemoralLoad below = lower->second->patellofemoral_load();
      const v1::PatellofemoralLoad above = upper->second->patellofemoral_load();
      if (above >= below) continue;
      problems.Add(label,
                   absl::StrCat("rung ", r + 1, " \"", upper->first, "\" (",
                                v1::PatellofemoralLoad_Name(above), ") is above rung ", r, " \"",
                                lower->first, "\" (", v1::PatellofemoralLoad_Name(below),
                                "): patellofemoral load must not fall as a ladder rises"));
    }
    if (!ladder.isometric_slug().empty()) {
      auto it = by_slug.find(ladder.isometric_slug());
      if (it == by_slug.end()) {
        problems.Add(label, absl::StrCat("isometric_slug \"", ladder.isometric_slug(),
                                         "\" is not an exercise"));
      } else if (it->second->category() != v1::EXERCISE_CATEGORY_ISOMETRIC) {
        problems.Add(label, absl::StrCat("isometric_slug \"", ladder.isometric_slug(),
                                         "\" is not of category EXERCISE_CATEGORY_ISOMETRIC"));
      }
    }
  }
  CheckLadderCycles(file.ladders(), ladders_with_repeats, problems);

  // Education cards.
  absl::flat_hash_set<std::string> card_slugs;
  for (int i = 0; i < file.education_cards_size(); ++i) {
    const v1::EducationCard& card = file.education_cards(i);
    const std::string label = EntryLabel("education card", card.slug(), i);
    ValidateCard(card, label, problems);
    if (!card.slug().empty() && !card_slugs.insert(card.slug()).second) {
      problems.Add(label, "duplicate slug");
    }
  }

  return problems.ToStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Library>> Library::LoadFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("library file not found: ", path));
    }
    return absl::Status(
        absl::ErrnoToStatusCode(error),
        absl::StrCat("cannot open library file ", path, ": ", std::strerror(error)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(absl::StrCat("cannot read library file ", path));
  }

  v1::LibraryFile file;
  google::protobuf::TextFormat::Parser parser;
  ParseErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &file)) {
    std::string message = errors.errors().empty() ? std::string("does not parse")
                                                  : absl::StrJoin(errors.errors(), "; ");
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
  }
  // Validated here too so the message names the file rather than "library".
  if (absl::Status status = Validate(file, path); !status.ok()) return status;
  return FromProto(std::move(file));
}

absl::StatusOr<std::unique_ptr<Library>> Library::FromProto(v1::LibraryFile file) {
  if (absl::Status status = Validate(file, "library"); !status.ok()) return status;

  // Valid: index it.
  std::unique_ptr<Library> library(new Library());
  library->version_ = file.version();

  library->exercises_.reserve(file.exercises_size());
  for (auto& e : *file.mutable_exercises()) {
    e.set_name(ExerciseName(e.slug()));
    e.clear_ladder_positions();
    library->exercises_.push_back(std::move(e));
  }
  std::sort(library->exercises_.begin(), library->exercises_.end(),
            [](const v1::Exercise& a, const v1::Exercise& b) {
              if (a.category() != b.category()) return a.category() < b.category();
              return a.slug() < b.slug();
            });
  for (size_t i = 0; i < library->exercises_.size(); ++i) {
    library->exercise_index_[library->exercises_[i].slug()] = i;
  }

  library->ladders_.reserve(file.ladders_size());
  for (auto& ladder : *file.mutable_ladders()) {
    ladder.set_name(LadderName(ladder.id()));
    const int rungs = ladder.exercise_slugs_size();
    for (int r = 0; r < rungs; ++r) {
      v1::Exercise& e = library->exercises_[library->exercise_index_[ladder.exercise_slugs(r)]];
      v1::LadderPosition* position = e.add_ladder_positions();
      position->set_ladder(ladder.name());
      position->set_rung(r);
      if (r > 0) position->set_previous_exercise(ExerciseName(ladder.exercise_slugs(r - 1)));
      if (r + 1 < rungs) position->set_next_exercise(ExerciseName(ladder.exercise_slugs(r + 1)));
    }
    library->ladder_index_[ladder.id()] = library->ladders_.size();
    library->ladders_.push_back(std::move(ladder));
  }

  library->cards_.reserve(file.education_cards_size());
  for (auto& card : *file.mutable_education_cards()) {
    card.set_name(CardName(card.slug()));
    library->card_index_[card.slug()] = library->cards_.size();
    library->cards_.push_back(std::move(card));
  }
  return library;
}

const v1::Exercise* Library::FindExercise(absl::string_view slug) const {
  auto it = exercise_index_.find(slug);
  return it == exercise_index_.end() ? nullptr : &exercises_[it->second];
}

const v1::Ladder* Library::FindLadder(absl::string_view id) const {
  auto it = ladder_index_.find(id);
  return it == ladder_index_.end() ? nullptr : &ladders_[it->second];
}

const v1::EducationCard* Library::FindEducationCard(absl::string_view slug) const {
  auto it = card_index_.find(slug);
  return it == card_index_.end() ? nullptr : &cards_[it->second];
}

std::vector<const v1::Exercise*> Library::ListExercises(const ExerciseFilter& filter) const {
  auto matches = [&filter](const v1::Exercise& e) {
    if (filter.category != v1::EXERCISE_CATEGORY_UNSPECIFIED && e.category() != filter.category) {
      return false;
    }
    if (filter.max_patellofemoral_load != v1::PATELLOFEMORAL_LOAD_UNSPECIFIED &&
        e.patellofemoral_load() > filter.max_patellofemoral_load) {
      return false;
    }
    if (filter.max_knee_flexion_degrees > 0 &&
        e.knee_flexion().max_degrees() > filter.max_knee_flexion_degrees) {
      return false;
    }
    return true;
  };

  std::vector<const v1::Exercise*> out;
  if (!filter.ladder_id.empty()) {
    const v1::Ladder* ladder = FindLadder(filter.ladder_id);
    if (ladder == nullptr) return out;
    for (const auto& slug : ladder->exercise_slugs()) {
      const v1::Exercise* e = FindExercise(slug);
      if (e != nullptr && matches(*e)) out.push_back(e);
    }
    return out;
  }
  for (const auto& e : exercises_) {
    if (matches(e)) out.push_back(&e);
  }
  return out;
}

namespace {

// Index of `slug` on `ladder`, or -1.
int RungOf(const v1::Ladder& ladder, absl::string_view slug) {
  for (int i = 0; i < ladder.exercise_slugs_size(); ++i) {
    if (ladder.exercise_slugs(i) == slug) return i;
  }
  return -1;
}

}  // namespace

const v1::Exercise* Library::NextOnLadder(absl::string_view ladder_id,
                                          absl::string_view slug) const {
  const v1::Ladder* ladder = FindLadder(ladder_id);
  if (ladder == nullptr) return nullptr;
  const int rung = RungOf(*ladder, slug);
  if (rung < 0 || rung + 1 >= ladder->exercise_slugs_size()) return nullptr;
  return FindExercise(ladder->exercise_slugs(rung + 1));
}

const v1::Exercise* Library::PreviousOnLadder(absl::string_view ladder_id,
                                              absl::string_view slug) const {
  const v1::Ladder* ladder = FindLadder(ladder_id);
  if (ladder == nullptr) return nullptr;
  const int rung = RungOf(*ladder, slug);
  if (rung <= 0) return nullptr;
  return FindExercise(ladder->exercise_slugs(rung - 1));
}

const v1::Exercise* Library::IsometricFor(absl::string_view ladder_id) const {
  const v1::Ladder* ladder = FindLadder(ladder_id);
  if (ladder == nullptr || ladder->isometric_slug().empty()) return nullptr;
  return FindExercise(ladder->isometric_slug());
}

}  // namespace kneecoach
