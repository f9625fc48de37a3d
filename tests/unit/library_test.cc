#include "service/domain/library.h"

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kneecoach {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string RealDataPath() { return absl::StrCat(KNEECOACH_TEST_DATA_DIR, "/library.textproto"); }

std::vector<std::string> Slugs(const std::vector<const v1::Exercise*>& exercises) {
  std::vector<std::string> slugs;
  for (const v1::Exercise* e : exercises) slugs.push_back(e->slug());
  return slugs;
}

std::string SlugOrNull(const v1::Exercise* e) { return e == nullptr ? "(null)" : e->slug(); }

// The shipped data file, loaded once per test so each test states its own expectations.
class LibraryData : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = Library::LoadFromFile(RealDataPath());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    library_ = std::move(*loaded);
  }

  std::unique_ptr<Library> library_;
};

TEST_F(LibraryData, LoadsWithEnoughExercisesAndCards) {
  EXPECT_EQ(library_->version(), 1);
  EXPECT_GE(library_->ListExercises({}).size(), 55u);
  EXPECT_GE(library_->education_cards().size(), 8u);
}

TEST_F(LibraryData, CoversEveryCategory) {
  for (int c = v1::EXERCISE_CATEGORY_ISOMETRIC; c <= v1::EXERCISE_CATEGORY_CROSS_TRAINING; ++c) {
    const auto category = static_cast<v1::ExerciseCategory>(c);
    SCOPED_TRACE(v1::ExerciseCategory_Name(category));
    ExerciseFilter filter;
    filter.category = category;
    EXPECT_THAT(library_->ListExercises(filter), testing::Not(IsEmpty()));
  }
}

TEST_F(LibraryData, LaddersMatchTheClinicalReference) {
  struct Case {
    std::string id;
    std::vector<std::string> rungs;
    std::string isometric;
  };
  const std::vector<Case> cases = {
      {"quad-isometric",
       {"quad-set", "wall-sit-30-45", "wall-sit-60", "spanish-squat"},
       "wall-sit-30-45"},
      {"quad-open-chain",
       {"quad-set", "straight-leg-raise", "isometric-knee-extension-60-90", "knee-extension-90-45",
        "knee-extension-90-0"},
       "isometric-knee-extension-60-90"},
      {"squat",
       {"sit-to-stand-high", "partial-squat-45", "box-squat-60", "goblet-squat-90",
        "single-leg-squat-60"},
       "wall-sit-30-45"},
      {"step",
       {"step-up-low", "step-up-high", "lateral-step-down-10", "step-down-20",
        "single-leg-squat-60"},
       "wall-sit-30-45"},
      {"lunge", {"split-squat-short", "reverse-lunge", "forward-lunge"}, "spanish-squat"},
      {"hip-abduction",
       {"clamshell-band", "side-lying-hip-abduction", "standing-band-abduction",
        "lateral-band-walk", "side-plank-knees", "side-plank-leg-lift"},
       "isometric-hip-abduction"},
      {"hip-extension",
       {"glute-squeeze", "bridge", "single-leg-bridge", "hip-thrust"},
       "glute-squeeze"},
      {"single-leg-control", {"single-leg-balance", "pelvic-drop", "single-leg-rdl"}, ""},
      // From the walk up (clinical.md): a painful walk never regresses to hops.
      {"impact",
       {"brisk-walk", "calf-raise-double", "calf-raise-single", "pogo-hops", "single-leg-hops"},
       ""},
      {"return-to-run",
       {"run-walk-stage-1", "run-walk-stage-2", "run-walk-stage-3", "run-walk-stage-4",
        "run-walk-stage-5", "run-walk-stage-6", "run-walk-stage-7", "run-walk-stage-8"},
       ""},
  };
  EXPECT_EQ(library_->ladders().size(), cases.size());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    const v1::Ladder* ladder = library_->FindLadder(c.id);
    ASSERT_NE(ladder, nullptr);
    EXPECT_EQ(ladder->name(), "ladders/" + c.id);
    EXPECT_THAT(ladder->exercise_slugs(), ElementsAreArray(c.rungs));
    EXPECT_EQ(ladder->isometric_slug(), c.isometric);
    ExerciseFilter filter;
    filter.ladder_id = c.id;
    EXPECT_THAT(Slugs(library_->ListExercises(filter)), ElementsAreArray(c.rungs));
  }
}

TEST_F(LibraryData, NamedExtrasExist) {
  for (const char* slug :
       {"isometric-hip-abduction", "terminal-knee-extension-band", "leg-press-0-45",
        "mirror-single-leg-squat-drill", "a-march", "a-skip", "cadence-metronome-drill",
        "foam-roll-quads", "foam-roll-lateral-thigh", "foam-roll-calves", "stretch-quads",
        "stretch-hip-flexors", "stretch-hamstrings", "stretch-calves", "stretch-tfl",
        "stationary-bike", "deep-water-running", "elliptical", "swimming"}) {
    SCOPED_TRACE(slug);
    EXPECT_NE(library_->FindExercise(slug), nullptr);
  }
}

TEST_F(LibraryData, EveryExerciseIsWrittenOut) {
  for (const v1::Exercise* e : library_->ListExercises({})) {
    SCOPED_TRACE(e->slug());
    EXPECT_EQ(e->name(), "exercises/" + e->slug());
    EXPECT_FALSE(e->summary().empty());
    EXPECT_GE(e->instructions_size(), 2);
    EXPECT_GE(e->cues_size(), 1);
    EXPECT_GE(e->main_muscles_size(), 1);
    EXPECT_FALSE(e->evidence_note().empty());
  }
}

TEST_F(LibraryData, CategoriesSetFrequencyAndOptional) {
  for (const v1::Exercise* e : library_->ListExercises({})) {
    SCOPED_TRACE(e->slug());
    switch (e->category()) {
      case v1::EXERCISE_CATEGORY_ISOMETRIC:
      case v1::EXERCISE_CATEGORY_RUNNING_FORM:
        EXPECT_EQ(e->frequency_class(), v1::FREQUENCY_CLASS_DAILY);
        EXPECT_FALSE(e->optional());
        break;
      case v1::EXERCISE_CATEGORY_MOBILITY:
      case v1::EXERCISE_CATEGORY_STRETCHING:
        EXPECT_EQ(e->frequency_class(), v1::FREQUENCY_CLASS_DAILY);
        EXPECT_TRUE(e->optional());
        break;
      case v1::EXERCISE_CATEGORY_RETURN_TO_RUN:
        EXPECT_EQ(e->frequency_class(), v1::FREQUENCY_CLASS_RUNNING);
        break;
      case v1::EXERCISE_CATEGORY_CROSS_TRAINING:
        EXPECT_EQ(e->frequency_class(), v1::FREQUENCY_CLASS_CROSS_TRAINING);
        break;
      default:
        EXPECT_FALSE(e->optional());
        break;
    }
  }
}

TEST_F(LibraryData, IsometricDosesFollowTheReference) {
  const v1::Exercise* quad_set = library_->FindExercise("quad-set");
  ASSERT_NE(quad_set, nullptr);
  EXPECT_EQ(quad_set->starting_dose().reps(), 10);
  EXPECT_EQ(quad_set->starting_dose().hold_seconds(), 5);
  for (const char* slug : {"wall-sit-30-45", "wall-sit-60", "spanish-squat",
                           "isometric-knee-extension-60-90", "isometric-hip-abduction"}) {
    SCOPED_TRACE(slug);
    const v1::Exercise* e = library_->FindExercise(slug);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->category(), v1::EXERCISE_CATEGORY_ISOMETRIC);
    EXPECT_EQ(e->starting_dose().sets(), 5);
    EXPECT_GE(e->starting_dose().hold_seconds(), 30);
    EXPECT_LE(e->starting_dose().hold_seconds(), 45);
    EXPECT_EQ(e->starting_dose().rest_seconds(), 120);
  }
}

TEST_F(LibraryData, ReturnToRunStagesHaveTheProtocolDoses) {
  struct Case {
    int stage;
    int sets, run_seconds, walk_seconds, duration_seconds;
  };
  const Case cases[] = {
      {1, 6, 60, 240, 0}, {2, 6, 120, 180, 0}, {3, 6, 180, 120, 0}, {4, 6, 240, 60, 0},
      {5, 4, 360, 60, 0}, {6, 3, 540, 60, 0},  {7, 2, 840, 60, 0},  {8, 1, 0, 0, 1200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.stage);
    const v1::Exercise* e = library_->FindExercise(absl::StrCat("run-walk-stage-", c.stage));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->category(), v1::EXERCISE_CATEGORY_RETURN_TO_RUN);
    EXPECT_EQ(e->frequency_class(), v1::FREQUENCY_CLASS_RUNNING);
    EXPECT_EQ(e->starting_dose().sets(), c.sets);
    EXPECT_EQ(e->starting_dose().run_seconds(), c.run_seconds);
    EXPECT_EQ(e->starting_dose().walk_seconds(), c.walk_seconds);
    EXPECT_EQ(e->starting_dose().duration_seconds(), c.duration_seconds);
    EXPECT_EQ(e->starting_dose().target_rpe(), 4);
  }
}

TEST_F(LibraryData, LadderPositionsNameBothLadders) {
  const v1::Exercise* e = library_->FindExercise("single-leg-squat-60");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->ladder_positions_size(), 2);
  EXPECT_EQ(e->ladder_positions(0).ladder(), "ladders/squat");
  EXPECT_EQ(e->ladder_positions(0).rung(), 4);
  EXPECT_EQ(e->ladder_positions(0).previous_exercise(), "exercises/goblet-squat-90");
  EXPECT_EQ(e->ladder_positions(0).next_exercise(), "");
  EXPECT_EQ(e->ladder_positions(1).ladder(), "ladders/step");
  EXPECT_EQ(e->ladder_positions(1).previous_exercise(), "exercises/step-down-20");

  const v1::Exercise* quad_set = library_->FindExercise("quad-set");
  ASSERT_NE(quad_set, nullptr);
  ASSERT_EQ(quad_set->ladder_positions_size(), 2);
  EXPECT_EQ(quad_set->ladder_positions(0).rung(), 0);
  EXPECT_EQ(quad_set->ladder_positions(0).previous_exercise(), "");
  EXPECT_EQ(quad_set->ladder_positions(0).next_exercise(), "exercises/wall-sit-30-45");
  EXPECT_EQ(quad_set->ladder_positions(1).next_exercise(), "exercises/straight-leg-raise");

  EXPECT_EQ(library_->FindExercise("stretch-quads")->ladder_positions_size(), 0);
}

TEST_F(LibraryData, EducationCardsCoverEveryTopic) {
  for (int t = v1::EDUCATION_TOPIC_CONDITION; t <= v1::EDUCATION_TOPIC_RETURN_TO_RUN; ++t) {
    SCOPED_TRACE(v1::EducationTopic_Name(static_cast<v1::EducationTopic>(t)));
    bool found = false;
    for (const auto& card : library_->education_cards()) found |= card.topic() == t;
    EXPECT_TRUE(found);
  }
  for (const auto& card : library_->education_cards()) {
    SCOPED_TRACE(card.slug());
    EXPECT_EQ(card.name(), "educationCards/" + card.slug());
    EXPECT_EQ(library_->FindEducationCard(card.slug()), &card);
  }
  const v1::EducationCard* run = library_->FindEducationCard("return-to-run");
  ASSERT_NE(run, nullptr);
  EXPECT_THAT(run->phase_starts(), ElementsAre(v1::PHASE_RETURN_TO_RUN));
  const v1::EducationCard* load = library_->FindEducationCard("load-management");
  ASSERT_NE(load, nullptr);
  EXPECT_TRUE(load->after_flare());
  EXPECT_TRUE(load->rest_days());
  EXPECT_THAT(load->program_days(), testing::Contains(2));
  const v1::EducationCard* pain = library_->FindEducationCard("pain-monitoring");
  ASSERT_NE(pain, nullptr);
  EXPECT_TRUE(pain->after_flare());
  EXPECT_THAT(pain->program_days(), testing::Contains(1));
}

TEST_F(LibraryData, UnknownLookupsAreNull) {
  EXPECT_EQ(library_->FindExercise("no-such-exercise"), nullptr);
  EXPECT_EQ(library_->FindExercise("exercises/quad-set"), nullptr);  // slugs, not names
  EXPECT_EQ(library_->FindLadder("no-such-ladder"), nullptr);
  EXPECT_EQ(library_->FindEducationCard("no-such-card"), nullptr);
}

TEST_F(LibraryData, ListWithoutFilterIsOrderedByCategoryThenSlug) {
  const auto all = library_->ListExercises({});
  for (size_t i = 1; i < all.size(); ++i) {
    SCOPED_TRACE(all[i]->slug());
    const bool ordered =
        all[i - 1]->category() < all[i]->category() ||
        (all[i - 1]->category() == all[i]->category() && all[i - 1]->slug() < all[i]->slug());
    EXPECT_TRUE(ordered);
  }
}

TEST_F(LibraryData, ListFilters) {
  struct Case {
    std::string label;
    ExerciseFilter filter;
    std::function<bool(const v1::Exercise&)> every;  // must hold for every result
    std::vector<std::string> includes;
    std::vector<std::string> excludes;
  };
  auto filter = [](v1::ExerciseCategory category, v1::PatellofemoralLoad load, int flexion,
                   std::string ladder) {
    ExerciseFilter f;
    f.category = category;
    f.max_patellofemoral_load = load;
    f.max_knee_flexion_degrees = flexion;
    f.ladder_id = std::move(ladder);
    return f;
  };
  const auto kAnyCategory = v1::EXERCISE_CATEGORY_UNSPECIFIED;
  const auto kAnyLoad = v1::PATELLOFEMORAL_LOAD_UNSPECIFIED;
  const std::vector<Case> cases = {
      {"category stretching",
       filter(v1::EXERCISE_CATEGORY_STRETCHING, kAnyLoad, 0, ""),
       [](const v1::Exercise& e) { return e.category() == v1::EXERCISE_CATEGORY_STRETCHING; },
       {"stretch-quads", "stretch-tfl"},
       {"foam-roll-quads"}},
      {"load low",
       filter(kAnyCategory, v1::PATELLOFEMORAL_LOAD_LOW, 0, ""),
       [](const v1::Exercise& e) { return e.patellofemoral_load() == v1::PATELLOFEMORAL_LOAD_LOW; },
       {"quad-set", "partial-squat-45"},
       {"forward-lunge", "wall-sit-60"}},
      {"load moderate includes low",
       filter(kAnyCategory, v1::PATELLOFEMORAL_LOAD_MODERATE, 0, ""),
       [](const v1::Exercise& e) {
         return e.patellofemoral_load() <= v1::PATELLOFEMORAL_LOAD_MODERATE;
       },
       {"quad-set", "wall-sit-60"},
       {"forward-lunge", "knee-extension-90-0"}},
      {"flexion 45",
       filter(kAnyCategory, kAnyLoad, 45, ""),
       [](const v1::Exercise& e) { return e.knee_flexion().max_degrees() <= 45; },
       {"partial-squat-45", "quad-set"},
       {"box-squat-60", "goblet-squat-90"}},
      {"category and load",
       filter(v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING, v1::PATELLOFEMORAL_LOAD_LOW, 0, ""),
       [](const v1::Exercise& e) {
         return e.category() == v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING &&
                e.patellofemoral_load() == v1::PATELLOFEMORAL_LOAD_LOW;
       },
       {"knee-extension-90-45"},
       {"knee-extension-90-0", "quad-set"}},
      {"ladder with flexion",
       filter(kAnyCategory, kAnyLoad, 60, "squat"),
       [](const v1::Exercise& e) { return e.knee_flexion().max_degrees() <= 60; },
       {"sit-to-stand-high", "partial-squat-45", "box-squat-60", "single-leg-squat-60"},
       {"goblet-squat-90"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    const auto slugs = Slugs(library_->ListExercises(c.filter));
    EXPECT_THAT(slugs, testing::Not(IsEmpty()));
    for (const v1::Exercise* e : library_->ListExercises(c.filter)) {
      SCOPED_TRACE(e->slug());
      EXPECT_TRUE(c.every(*e));
    }
    for (const auto& slug : c.includes) EXPECT_THAT(slugs, testing::Contains(slug));
    for (const auto& slug : c.excludes) EXPECT_THAT(slugs, testing::Not(testing::Contains(slug)));
  }
}

TEST_F(LibraryData, ListByLadderKeepsLadderOrderAndUnknownLadderIsEmpty) {
  ExerciseFilter f;
  f.ladder_id = "step";
  f.max_patellofemoral_load = v1::PATELLOFEMORAL_LOAD_MODERATE;
  EXPECT_THAT(Slugs(library_->ListExercises(f)),
              ElementsAre("step-up-low", "step-up-high", "lateral-step-down-10"));
  f.ladder_id = "no-such-ladder";
  EXPECT_THAT(library_->ListExercises(f), IsEmpty());
}

TEST_F(LibraryData, Navigation) {
  struct Case {
    std::string ladder, slug, next, previous;
  };
  const Case cases[] = {
      {"squat", "sit-to-stand-high", "partial-squat-45", "(null)"},
      {"squat", "box-squat-60", "goblet-squat-90", "partial-squat-45"},
      {"squat", "single-leg-squat-60", "(null)", "goblet-squat-90"},
      {"step", "single-leg-squat-60", "(null)", "step-down-20"},
      {"quad-isometric", "quad-set", "wall-sit-30-45", "(null)"},
      {"quad-open-chain", "quad-set", "straight-leg-raise", "(null)"},
      {"return-to-run", "run-walk-stage-7", "run-walk-stage-8", "run-walk-stage-6"},
      {"impact", "single-leg-hops", "(null)", "pogo-hops"},
      {"impact", "brisk-walk", "calf-raise-double", "(null)"},
      {"squat", "quad-set", "(null)", "(null)"},           // not on that ladder
      {"no-such-ladder", "quad-set", "(null)", "(null)"},  // unknown ladder
      {"squat", "no-such-exercise", "(null)", "(null)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.ladder, " / ", c.slug));
    EXPECT_EQ(SlugOrNull(library_->NextOnLadder(c.ladder, c.slug)), c.next);
    EXPECT_EQ(SlugOrNull(library_->PreviousOnLadder(c.ladder, c.slug)), c.previous);
  }
}

TEST_F(LibraryData, IsometricFor) {
  const std::pair<std::string, std::string> cases[] = {
      {"quad-isometric", "wall-sit-30-45"},
      {"quad-open-chain", "isometric-knee-extension-60-90"},
      {"squat", "wall-sit-30-45"},
      {"step", "wall-sit-30-45"},
      {"lunge", "spanish-squat"},
      {"hip-abduction", "isometric-hip-abduction"},
      {"hip-extension", "glute-squeeze"},
      {"single-leg-control", "(null)"},
      {"impact", "(null)"},
      {"return-to-run", "(null)"},
      {"no-such-ladder", "(null)"},
  };
  for (const auto& [ladder, isometric] : cases) {
    SCOPED_TRACE(ladder);
    const v1::Exercise* e = library_->IsometricFor(ladder);
    EXPECT_EQ(SlugOrNull(e), isometric);
    if (e != nullptr) {
      EXPECT_EQ(e->category(), v1::EXERCISE_CATEGORY_ISOMETRIC);
    }
  }
}

// ----- Loading errors --------------------------------------------------------------------

std::string WriteTempFile(absl::string_view name, absl::string_view text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

TEST(LibraryLoad, MissingFileIsNotFoundNamingThePath) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/no-such-dir/library.textproto");
  auto loaded = Library::LoadFromFile(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(loaded.status().message(), HasSubstr(path));
}

TEST(LibraryLoad, UnparseableFileIsInvalidArgumentWithPosition) {
  const std::string path =
      WriteTempFile("library_unparseable.textproto", "version: 1\nexercises { slugg: \"x\" }\n");
  auto loaded = Library::LoadFromFile(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), AllOf(HasSubstr(path), HasSubstr("line 2")));
}

TEST(LibraryLoad, InvalidFileNamesFileAndEntry) {
  const std::string path = WriteTempFile("library_invalid.textproto", R"pb(
    version: 1
    exercises {
      slug: "wall-sit-60"
      display_name: "Wall sit"
      category: EXERCISE_CATEGORY_ISOMETRIC
      patellofemoral_load: PATELLOFEMORAL_LOAD_MODERATE
      frequency_class: FREQUENCY_CLASS_DAILY
      starting_dose { sets: 5 hold_seconds: 900 }
    }
  )pb");
  auto loaded = Library::LoadFromFile(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      loaded.status().message(),
      HasSubstr(absl::StrCat(path,
                             ": exercise \"wall-sit-60\": starting_dose.hold_seconds 900 out of "
                             "range 0..600")));
}

// ----- Validation of in-memory libraries -------------------------------------------------

v1::Exercise* AddExercise(v1::LibraryFile& file, absl::string_view slug,
                          v1::ExerciseCategory category) {
  v1::Exercise* e = file.add_exercises();
  e->set_slug(std::string(slug));
  e->set_display_name(absl::StrCat("Exercise ", slug));
  e->set_category(category);
  e->set_patellofemoral_load(v1::PATELLOFEMORAL_LOAD_LOW);
  e->set_frequency_class(v1::FREQUENCY_CLASS_DAILY);
  e->mutable_knee_flexion()->set_max_degrees(45);
  e->mutable_starting_dose()->set_sets(3);
  e->mutable_starting_dose()->set_reps(10);
  return e;
}

// One exercise per category, two ladders sharing nothing, one card: valid.
v1::LibraryFile SmallLibrary() {
  v1::LibraryFile file;
  file.set_version(7);
  AddExercise(file, "hold", v1::EXERCISE_CATEGORY_ISOMETRIC);
  AddExercise(file, "quad-a", v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING);
  AddExercise(file, "quad-b", v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING);
  AddExercise(file, "quad-c", v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING);
  AddExercise(file, "hip-a", v1::EXERCISE_CATEGORY_HIP_STRENGTHENING);
  AddExercise(file, "roll-a", v1::EXERCISE_CATEGORY_MOBILITY);
  AddExercise(file, "stretch-a", v1::EXERCISE_CATEGORY_STRETCHING);
  AddExercise(file, "drill-a", v1::EXERCISE_CATEGORY_RUNNING_FORM);
  AddExercise(file, "run-a", v1::EXERCISE_CATEGORY_RETURN_TO_RUN);
  AddExercise(file, "bike-a", v1::EXERCISE_CATEGORY_CROSS_TRAINING);

  v1::Ladder* quad = file.add_ladders();
  quad->set_id("quad");
  quad->set_display_name("Quad");
  quad->add_exercise_slugs("quad-a");
  quad->add_exercise_slugs("quad-b");
  quad->add_exercise_slugs("quad-c");
  quad->set_isometric_slug("hold");

  v1::Ladder* other = file.add_ladders();
  other->set_id("other");
  other->set_display_name("Other");
  other->add_exercise_slugs("hip-a");
  other->add_exercise_slugs("run-a");

  v1::EducationCard* card = file.add_education_cards();
  card->set_slug("intro");
  card->set_title("Intro");
  card->set_topic(v1::EDUCATION_TOPIC_CONDITION);
  card->add_paragraphs("Hello.");
  card->add_program_days(1);
  return file;
}

v1::Exercise& Find(v1::LibraryFile& file, absl::string_view slug) {
  for (auto& e : *file.mutable_exercises()) {
    if (e.slug() == slug) return e;
  }
  ADD_FAILURE() << "no exercise " << slug;
  return *file.add_exercises();
}

v1::Ladder& FindLadder(v1::LibraryFile& file, absl::string_view id) {
  for (auto& l : *file.mutable_ladders()) {
    if (l.id() == id) return l;
  }
  ADD_FAILURE() << "no ladder " << id;
  return *file.add_ladders();
}

void RemoveExercise(v1::LibraryFile& file, absl::string_view slug) {
  auto* exercises = file.mutable_exercises();
  for (int i = 0; i < exercises->size(); ++i) {
    if (exercises->Get(i).slug() == slug) {
      exercises->DeleteSubrange(i, 1);
      return;
    }
  }
  ADD_FAILURE() << "no exercise " << slug;
}

void AddLadder(v1::LibraryFile& file, absl::string_view id, std::vector<std::string> rungs) {
  v1::Ladder* l = file.add_ladders();
  l->set_id(std::string(id));
  l->set_display_name(std::string(id));
  for (auto& r : rungs) l->add_exercise_slugs(r);
}

TEST(LibraryFromProto, SmallLibraryIsValidAndIndexed) {
  v1::LibraryFile file = SmallLibrary();
  // Output-only fields in the input are replaced.
  Find(file, "quad-b").set_name("garbage");
  Find(file, "quad-b").add_ladder_positions()->set_ladder("ladders/garbage");
  auto library = Library::FromProto(file);
  ASSERT_TRUE(library.ok()) << library.status();
  EXPECT_EQ((*library)->version(), 7);
  const v1::Exercise* b = (*library)->FindExercise("quad-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name(), "exercises/quad-b");
  ASSERT_EQ(b->ladder_positions_size(), 1);
  EXPECT_EQ(b->ladder_positions(0).ladder(), "ladders/quad");
  EXPECT_EQ(b->ladder_positions(0).rung(), 1);
  EXPECT_EQ(b->ladder_positions(0).previous_exercise(), "exercises/quad-a");
  EXPECT_EQ(b->ladder_positions(0).next_exercise(), "exercises/quad-c");
  EXPECT_EQ(SlugOrNull((*library)->IsometricFor("quad")), "hold");
  EXPECT_EQ((*library)->IsometricFor("other"), nullptr);
  ASSERT_EQ((*library)->education_cards().size(), 1u);
  EXPECT_EQ((*library)->education_cards()[0].name(), "educationCards/intro");
  EXPECT_EQ((*library)->ladders()[1].name(), "ladders/other");
}

TEST(LibraryFromProto, SharedRungsWithoutCycleAreValid) {
  v1::LibraryFile file = SmallLibrary();
  AddLadder(file, "shortcut", {"quad-a", "quad-c"});  // a->c beside a->b->c: a DAG
  AddLadder(file, "onward", {"quad-c", "hip-a"});
  auto library = Library::FromProto(file);
  ASSERT_TRUE(library.ok()) << library.status();
  EXPECT_EQ((*library)->FindExercise("quad-c")->ladder_positions_size(), 3);
}

TEST(LibraryFromProto, BrokenLibrariesAreInvalidArgumentNamingTheEntry) {
  struct Case {
    std::string label;
    std::function<void(v1::LibraryFile&)> breakit;
    std::vector<std::string> message_contains;
  };
  const std::vector<Case> cases = {
      {"missing rung",
       [](v1::LibraryFile& f) { FindLadder(f, "quad").add_exercise_slugs("no-such"); },
       {"ladder \"quad\"", "rung 3 \"no-such\" is not an exercise"}},
      {"repeated rung",
       [](v1::LibraryFile& f) { FindLadder(f, "quad").add_exercise_slugs("quad-a"); },
       {"ladder \"quad\"", "repeats \"quad-a\""}},
      {"one-rung ladder",
       [](v1::LibraryFile& f) { FindLadder(f, "other").mutable_exercise_slugs()->RemoveLast(); },
       {"ladder \"other\"", "at least 2 rungs"}},
      {"cross-ladder two-cycle",
       [](v1::LibraryFile& f) {
         AddLadder(f, "reverse", {"quad-b", "quad-a"});
       },
       {"ladders \"quad\", \"reverse\"", "cycle: quad-a -> quad-b -> quad-a"}},
      {"cross-ladder long cycle",
       [](v1::LibraryFile& f) {
         AddLadder(f, "back", {"quad-c", "hip-a", "quad-a"});
       },
       {"ladders \"back\", \"quad\"", "cycle"}},
      {"duplicate ladder id",
       [](v1::LibraryFile& f) {
         AddLadder(f, "quad", {"hip-a", "bike-a"});
       },
       {"ladder \"quad\": duplicate id"}},
      {"ladder id not kebab case",
       [](v1::LibraryFile& f) {
         AddLadder(f, "Quad_2", {"hip-a", "bike-a"});
       },
       {"ladder \"Quad_2\"", "lower-kebab-case"}},
      {"load falls as the ladder rises",  // a step down would raise the load
       [](v1::LibraryFile& f) {
         Find(f, "quad-b").set_patellofemoral_load(v1::PATELLOFEMORAL_LOAD_HIGH);
       },
       {"ladder \"quad\": rung 2 \"quad-c\" (PATELLOFEMORAL_LOAD_LOW) is above rung 1 "
        "\"quad-b\" (PATELLOFEMORAL_LOAD_HIGH)",
        "patellofemoral load must not fall as a ladder rises"}},
      {"isometric slug unknown",
       [](v1::LibraryFile& f) { FindLadder(f, "quad").set_isometric_slug("nope"); },
       {"ladder \"quad\": isometric_slug \"nope\" is not an exercise"}},
      {"isometric slug not isometric",
       [](v1::LibraryFile& f) { FindLadder(f, "quad").set_isometric_slug("quad-a"); },
       {"ladder \"quad\": isometric_slug \"quad-a\" is not of category"}},
      {"hold too long",
       [](v1::LibraryFile& f) { Find(f, "hold").mutable_starting_dose()->set_hold_seconds(900); },
       {"exercise \"hold\": starting_dose.hold_seconds 900 out of range 0..600"}},
      {"too many sets",
       [](v1::LibraryFile& f) { Find(f, "quad-a").mutable_starting_dose()->set_sets(11); },
       {"exercise \"quad-a\": starting_dose.sets 11 out of range 0..10"}},
      {"negative reps",
       [](v1::LibraryFile& f) { Find(f, "quad-a").mutable_starting_dose()->set_reps(-1); },
       {"exercise \"quad-a\": starting_dose.reps"}},
      {"rpe above 10",
       [](v1::LibraryFile& f) { Find(f, "run-a").mutable_starting_dose()->set_target_rpe(11); },
       {"exercise \"run-a\": starting_dose.target_rpe"}},
      {"run too long",
       [](v1::LibraryFile& f) { Find(f, "run-a").mutable_starting_dose()->set_run_seconds(4000); },
       {"exercise \"run-a\": starting_dose.run_seconds"}},
      {"dose without work",
       [](v1::LibraryFile& f) { Find(f, "quad-b").mutable_starting_dose()->set_reps(0); },
       {"exercise \"quad-b\": starting_dose: a dose needs"}},
      {"duplicate slug",
       [](v1::LibraryFile& f) { AddExercise(f, "quad-a", v1::EXERCISE_CATEGORY_ISOMETRIC); },
       {"exercise \"quad-a\": duplicate slug"}},
      {"slug not kebab case",
       [](v1::LibraryFile& f) { AddExercise(f, "Bad_Slug", v1::EXERCISE_CATEGORY_ISOMETRIC); },
       {"exercise \"Bad_Slug\"", "lower-kebab-case"}},
      {"empty slug",
       [](v1::LibraryFile& f) { AddExercise(f, "", v1::EXERCISE_CATEGORY_ISOMETRIC); },
       {"exercise #11 (no slug): slug is empty"}},
      {"empty display name",
       [](v1::LibraryFile& f) { Find(f, "hip-a").clear_display_name(); },
       {"exercise \"hip-a\": display_name is empty"}},
      {"category unset",
       [](v1::LibraryFile& f) { AddExercise(f, "extra", v1::EXERCISE_CATEGORY_UNSPECIFIED); },
       {"exercise \"extra\": category is not set"}},
      {"patellofemoral load unset",
       [](v1::LibraryFile& f) { Find(f, "hip-a").clear_patellofemoral_load(); },
       {"exercise \"hip-a\": patellofemoral_load is not set"}},
      {"frequency class unset",
       [](v1::LibraryFile& f) { Find(f, "hip-a").clear_frequency_class(); },
       {"exercise \"hip-a\": frequency_class is not set"}},
      {"flexion min above max",
       [](v1::LibraryFile& f) { Find(f, "quad-a").mutable_knee_flexion()->set_min_degrees(60); },
       {"exercise \"quad-a\": knee_flexion 60..45"}},
      {"flexion beyond 150",
       [](v1::LibraryFile& f) { Find(f, "quad-a").mutable_knee_flexion()->set_max_degrees(160); },
       {"exercise \"quad-a\": knee_flexion 0..160"}},
      {"negative flexion",
       [](v1::LibraryFile& f) { Find(f, "quad-a").mutable_knee_flexion()->set_min_degrees(-5); },
       {"exercise \"quad-a\": knee_flexion -5..45"}},
      {"category not covered",
       [](v1::LibraryFile& f) { RemoveExercise(f, "bike-a"); },
       {"category EXERCISE_CATEGORY_CROSS_TRAINING: no exercise of this category"}},
      {"card without title",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->clear_title(); },
       {"education card \"intro\": title is empty"}},
      {"card without topic",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->clear_topic(); },
       {"education card \"intro\": topic is not set"}},
      {"card without paragraphs",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->clear_paragraphs(); },
       {"education card \"intro\": needs at least one paragraph"}},
      {"card without program days",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->clear_program_days(); },
       {"education card \"intro\": needs at least one program day"}},
      {"card on day zero",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->add_program_days(0); },
       {"education card \"intro\": program_days[1] 0 out of range"}},
      {"card phase unspecified",
       [](v1::LibraryFile& f) {
         f.mutable_education_cards(0)->add_phase_starts(v1::PHASE_UNSPECIFIED);
       },
       {"education card \"intro\": phase_starts[0]"}},
      {"duplicate card slug",
       [](v1::LibraryFile& f) { *f.add_education_cards() = f.education_cards(0); },
       {"education card \"intro\": duplicate slug"}},
      {"card slug missing",
       [](v1::LibraryFile& f) { f.mutable_education_cards(0)->clear_slug(); },
       {"education card #1 (no slug): slug is empty"}},
  };
  ASSERT_TRUE(Library::FromProto(SmallLibrary()).ok());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    v1::LibraryFile file = SmallLibrary();
    c.breakit(file);
    auto library = Library::FromProto(file);
    EXPECT_EQ(library.status().code(), absl::StatusCode::kInvalidArgument);
    for (const auto& fragment : c.message_contains) {
      EXPECT_THAT(library.status().message(), HasSubstr(fragment));
    }
  }
}

TEST(LibraryFromProto, ReportsEveryProblemAtOnce) {
  v1::LibraryFile file = SmallLibrary();
  Find(file, "quad-a").clear_display_name();
  FindLadder(file, "other").set_isometric_slug("nope");
  auto library = Library::FromProto(file);
  EXPECT_EQ(library.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(library.status().message(),
              AllOf(HasSubstr("exercise \"quad-a\""), HasSubstr("ladder \"other\"")));
}

}  // namespace
}  // namespace kneecoach
