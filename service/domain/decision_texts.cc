#include "service/domain/decision_texts.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/dose.h"
#include "service/domain/program_factory.h"

namespace kneecoach {
namespace {

// The kinds of change a patient tells apart, in the order the headlines come.
enum class Change {
  kPaused,
  kRest,
  kEasier,
  kSwapped,
  kStageBack,
  kRepeat,
  kHarder,
  kStageUp,
  kCadence,
  kPhase,
  kOther,
};

Change ChangeOf(const v1::Decision& d) {
  switch (d.kind()) {
    case v1::DECISION_KIND_PAUSE:
      return Change::kPaused;
    case v1::DECISION_KIND_REST_FROM_RUNNING:
      return Change::kRest;
    case v1::DECISION_KIND_REGRESS:
    case v1::DECISION_KIND_SIMPLIFY:
      return Change::kEasier;
    case v1::DECISION_KIND_SWAP_TO_ISOMETRIC:
      return Change::kSwapped;
    case v1::DECISION_KIND_STEP_BACK_STAGE:
      return Change::kStageBack;
    case v1::DECISION_KIND_HOLD:
      return Change::kRepeat;
    case v1::DECISION_KIND_PROGRESS:
      return Change::kHarder;
    case v1::DECISION_KIND_ADVANCE_STAGE:
      return Change::kStageUp;
    case v1::DECISION_KIND_CADENCE_STEP:
      return Change::kCadence;
    case v1::DECISION_KIND_CHANGE_PHASE:
      return Change::kPhase;
    default:
      return Change::kOther;
  }
}

// "1 exercise is" / "3 exercises are".
std::string Exercises(int n) {
  return n == 1 ? "1 exercise is" : absl::StrCat(n, " exercises are");
}

std::string Headline(Change change, int n, int waiting) {
  std::string text;
  switch (change) {
    case Change::kPaused:
      return "Your program is paused until your physiotherapist has reviewed it.";
    case Change::kRest:
      return "A rest from running before your next run.";
    case Change::kEasier:
      text = absl::StrCat(Exercises(n), " easier next time");
      break;
    case Change::kSwapped:
      text = absl::StrCat(Exercises(n), " swapped for a holding exercise");
      break;
    case Change::kStageBack:
      text = "Your run goes back a stage";
      break;
    case Change::kRepeat:
      text = absl::StrCat(Exercises(n), " repeated at the same dose");
      break;
    case Change::kHarder:
      text = absl::StrCat(Exercises(n), " a small step harder next time");
      break;
    case Change::kStageUp:
      text = "Your run moves up a stage";
      break;
    case Change::kCadence:
      return "Your step-rate cue changes: see below.";
    case Change::kPhase:
      text = "You move on to the next part of your program";
      break;
    case Change::kOther:
      return "Your program has a change: see below.";
  }
  if (waiting == n) {
    absl::StrAppend(&text, ", once your physiotherapist agrees");
  } else if (waiting > 0) {
    absl::StrAppend(&text, " (", waiting, " of them once your physiotherapist agrees)");
  }
  return absl::StrCat(text, ".");
}

std::string ExerciseName(const Library& library, const std::string& exercise) {
  const v1::Exercise* e = library.FindExercise(ExerciseSlug(exercise));
  return e != nullptr ? e->display_name() : ExerciseSlug(exercise);
}

std::string Detail(const v1::Decision& d, const Library& library) {
  const std::string before = d.exercise_before();
  std::string line = absl::StrCat(ExerciseName(library, before), ": ", d.patient_reason());
  const bool changes = !d.exercise_after().empty() || d.has_dose_after();
  if (!changes) return line;
  const std::string after =
      absl::StrCat(d.exercise_after() != before && !d.exercise_after().empty()
                       ? absl::StrCat(ExerciseName(library, d.exercise_after()), ", ")
                       : "",
                   DescribeDose(d.dose_after()));
  if (d.state() == v1::DECISION_STATE_PROPOSED) {
    absl::StrAppend(&line, " Waiting for your physiotherapist: until they agree, keep ",
                    DescribeDose(d.dose_before()), "; then ", after, ".");
  } else {
    absl::StrAppend(&line, " Already in your program: next time ", after, ".");
  }
  return line;
}

}  // namespace

PatientSummary SummarizeForPatient(const std::vector<v1::Decision>& decisions,
                                   const Library& library) {
  struct Count {
    int n = 0;
    int waiting = 0;
  };
  std::map<Change, Count> counts;
  PatientSummary summary;
  for (const v1::Decision& d : decisions) {
    Count& c = counts[ChangeOf(d)];
    ++c.n;
    if (d.state() == v1::DECISION_STATE_PROPOSED) ++c.waiting;
    if (!d.prescription().empty() && !d.exercise_before().empty()) {
      summary.details.push_back(Detail(d, library));
    }
  }
  for (const auto& [change, c] : counts) {
    summary.headlines.push_back(Headline(change, c.n, c.waiting));
  }
  return summary;
}

}  // namespace kneecoach
