#include "service/domain/outcomes.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"

namespace kneecoach {
namespace {

constexpr int kMaxStepDowns = 100;
constexpr int kMaxGlobalRating = 3;
constexpr int kDaysPerWeek = 7;

using Options = std::initializer_list<std::pair<const char*, int>>;

void AddItem(v1::Questionnaire& q, const char* title, Options options) {
  v1::QuestionnaireItem* item = q.add_items();
  item->set_title(title);
  for (const auto& [label, points] : options) {
    v1::QuestionnaireOption* o = item->add_options();
    o->set_label(label);
    o->set_points(points);
  }
}

v1::Questionnaire MakeAkps() {
  v1::Questionnaire q;
  q.set_name(std::string(kAkpsQuestionnaire));
  q.set_title("Anterior Knee Pain Scale (Kujala)");
  q.set_kind(v1::OUTCOME_KIND_AKPS);
  q.set_source(
      "Kujala UM et al. Scoring of patellofemoral disorders. Arthroscopy 1993;9(2):159-163");
  AddItem(q, "Limp", {{"None", 5}, {"Slight or periodical", 3}, {"Constant", 0}});
  AddItem(q, "Support",
          {{"Full support without pain", 5}, {"Painful", 3}, {"Weight bearing impossible", 0}});
  AddItem(q, "Walking", {{"Unlimited", 5}, {"More than 2 km", 3}, {"1-2 km", 2}, {"Unable", 0}});
  AddItem(q, "Stairs",
          {{"No difficulty", 10},
           {"Slight pain when descending", 8},
           {"Pain both when descending and ascending", 5},
           {"Unable", 0}});
  AddItem(q, "Squatting",
          {{"No difficulty", 5},
           {"Repeated squatting painful", 4},
           {"Painful each time", 3},
           {"Possible with partial weight bearing", 2},
           {"Unable", 0}});
  AddItem(q, "Running",
          {{"No difficulty", 10},
           {"Pain after more than 2 km", 8},
           {"Slight pain from start", 6},
           {"Severe pain", 3},
           {"Unable", 0}});
  AddItem(q, "Jumping",
          {{"No difficulty", 10}, {"Slight difficulty", 7}, {"Constant pain", 2}, {"Unable", 0}});
  AddItem(q, "Prolonged sitting with the knees flexed",
          {{"No difficulty", 10},
           {"Pain after exercise", 8},
           {"Constant pain", 6},
           {"Pain forces to extend knees temporarily", 4},
           {"Unable", 0}});
  AddItem(q, "Pain",
          {{"None", 10},
           {"Slight and occasional", 8},
           {"Interferes with sleep", 6},
           {"Occasionally severe", 3},
           {"Constant and severe", 0}});
  AddItem(q, "Swelling",
          {{"None", 10},
           {"After severe exertion", 8},
           {"After daily activities", 6},
           {"Every evening", 4},
           {"Constant", 0}});
  AddItem(q, "Abnormal painful kneecap (patellar) movements (subluxations)",
          {{"None", 10},
           {"Occasionally in sports activities", 6},
           {"Occasionally in daily activities", 4},
           {"At least one documented dislocation", 2},
           {"More than two dislocations", 0}});
  AddItem(q, "Atrophy of thigh", {{"None", 5}, {"Slight", 3}, {"Severe", 0}});
  AddItem(q, "Flexion deficiency", {{"None", 5}, {"Slight", 3}, {"Severe", 0}});
  int max = 0;
  for (const auto& item : q.items()) max += item.options(0).points();
  q.set_max_score(max);
  return q;
}

}  // namespace

const v1::Questionnaire& AkpsQuestionnaire() {
  static const v1::Questionnaire* const kAkps = new v1::Questionnaire(MakeAkps());
  return *kAkps;
}

const v1::Questionnaire* FindQuestionnaire(absl::string_view name) {
  return name == kAkpsQuestionnaire ? &AkpsQuestionnaire() : nullptr;
}

std::optional<int> ScoreAkps(const google::protobuf::RepeatedField<int32_t>& choices) {
  const v1::Questionnaire& q = AkpsQuestionnaire();
  if (choices.size() != q.items_size()) return std::nullopt;
  int score = 0;
  for (int i = 0; i < choices.size(); ++i) {
    const auto& options = q.items(i).options();
    if (choices[i] < 0 || choices[i] >= options.size()) return std::nullopt;
    score += options[choices[i]].points();
  }
  return score;
}

void CheckOutcome(const v1::Outcome& outcome, absl::string_view prefix,
                  FieldViolations& violations) {
  const std::string kind_field = absl::StrCat(prefix, "kind");
  const std::string choices_field = absl::StrCat(prefix, "akps_choices");
  const std::string value_field = absl::StrCat(prefix, "value");
  auto range = [&](int lo, int hi) {
    if (outcome.value() < lo || outcome.value() > hi) {
      violations.Add(value_field, absl::StrCat(outcome.value(), " out of range ", lo, "..", hi));
    }
    if (!outcome.akps_choices().empty()) {
      violations.Add(choices_field, "only for OUTCOME_KIND_AKPS");
    }
  };
  switch (outcome.kind()) {
    case v1::OUTCOME_KIND_AKPS: {
      const v1::Questionnaire& q = AkpsQuestionnaire();
      if (outcome.akps_choices_size() != q.items_size()) {
        violations.Add(choices_field,
                       absl::StrCat("required: one choice for each of the ", q.items_size(),
                                    " items, got ", outcome.akps_choices_size()));
      } else {
        for (int i = 0; i < q.items_size(); ++i) {
          const int n = q.items(i).options_size();
          const int c = outcome.akps_choices(i);
          if (c < 0 || c >= n) {
            violations.Add(
                absl::StrCat(choices_field, "[", i, "]"),
                absl::StrCat(c, " out of range 0..", n - 1, " (", q.items(i).title(), ")"));
          }
        }
      }
      if (outcome.value() != 0) {
        violations.Add(value_field, "output only for OUTCOME_KIND_AKPS: the score is computed");
      }
      return;
    }
    case v1::OUTCOME_KIND_STEP_DOWN_30S:
      range(0, kMaxStepDowns);
      return;
    case v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE:
      range(-kMaxGlobalRating, kMaxGlobalRating);
      return;
    default:
      violations.Add(kind_field,
                     "required: OUTCOME_KIND_AKPS, OUTCOME_KIND_STEP_DOWN_30S or "
                     "OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE");
  }
}

std::vector<v1::OutcomeKind> OutcomesDue(const v1::Program& program,
                                         const std::vector<v1::Outcome>& recorded,
                                         absl::CivilDay today) {
  std::vector<v1::OutcomeKind> due;
  auto start = ParseLocalDate(program.start_date());
  if (!start.ok() || today < *start || program.state() == v1::PROGRAM_STATE_COMPLETED) {
    return due;
  }
  // The latest date each kind was recorded on.
  std::optional<absl::CivilDay> latest[v1::OutcomeKind_ARRAYSIZE];
  for (const v1::Outcome& o : recorded) {
    const int kind = o.kind();
    auto day = ParseLocalDate(o.local_date());
    if (!v1::OutcomeKind_IsValid(kind) || !day.ok()) continue;
    if (!latest[kind].has_value() || *latest[kind] < *day) latest[kind] = *day;
  }
  const v1::OutcomeSchedule& schedule = program.rules().outcome_schedule();
  auto every = [&](v1::OutcomeKind kind, int days) {
    if (days > 0 && (!latest[kind].has_value() || today - *latest[kind] >= days)) {
      due.push_back(kind);
    }
  };
  every(v1::OUTCOME_KIND_AKPS, schedule.akps_every_days());
  every(v1::OUTCOME_KIND_STEP_DOWN_30S, schedule.step_down_every_days());
  std::optional<absl::CivilDay> reached;
  for (int week : schedule.global_rating_weeks()) {
    const absl::CivilDay day = *start + kDaysPerWeek * week;
    if (day <= today) reached = day;
  }
  const auto& rating = latest[v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE];
  if (reached.has_value() && (!rating.has_value() || *rating < *reached - kDaysPerWeek)) {
    due.push_back(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  }
  return due;
}

int OutcomeValue(const v1::Outcome& outcome) {
  if (outcome.kind() == v1::OUTCOME_KIND_AKPS) {
    return ScoreAkps(outcome.akps_choices()).value_or(0);
  }
  return outcome.value();
}

}  // namespace kneecoach
