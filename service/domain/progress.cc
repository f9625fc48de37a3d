#include "service/domain/progress.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "service/domain/dates.h"
#include "service/domain/schedule.h"
#include "service/domain/timeline.h"
#include "service/domain/traffic_light.h"

namespace kneecoach {
namespace {

constexpr int kDaysPerWeek = 7;
constexpr int kSecondsPerMinute = 60;
constexpr int kSessionDaysThatMatter = 3;

// A value dated by its record's day and, among records of one day, by `order`.
struct Dated {
  absl::CivilDay day;
  int order;
  int value;
  bool Before(const Dated& other) const {
    return std::tie(day, order) < std::tie(other.day, other.order);
  }
};

// Keeps the later of `kept` and `candidate` in `kept`.
void KeepLater(std::optional<Dated>& kept, const Dated& candidate) {
  if (!kept.has_value() || kept->Before(candidate)) kept = candidate;
}

// What one week collects before it is summarized.
struct WeekData {
  std::set<absl::CivilDay> session_days;
  int lights[v1::TrafficLight_ARRAYSIZE] = {};
  std::optional<int> max_pain_during;
  double running_seconds = 0;
  std::vector<double> cadences;
  std::vector<double> morning_pains;
  std::optional<Dated> usual;
  std::optional<int> worst;
  // The latest outcome of each kind.
  std::optional<Dated> outcomes[v1::OutcomeKind_ARRAYSIZE];
};

// Seconds run in one report of a return-to-run stage: done as reported, else prescribed.
double RunSeconds(const v1::ExerciseReport& r) {
  const v1::Dose& dose = r.prescribed_dose();
  const int rounds = r.sets_done() > 0 ? r.sets_done() : std::max(1, dose.sets());
  if (dose.run_seconds() > 0) return static_cast<double>(dose.run_seconds()) * rounds;
  const int per_round =
      r.duration_seconds_done() > 0 ? r.duration_seconds_done() : dose.duration_seconds();
  return static_cast<double>(per_round) * rounds;
}

}  // namespace

v1::ProgramProgress ComputeProgress(const Library& library, const v1::Program& program,
                                    const History& history, absl::CivilDay today, int weeks) {
  v1::ProgramProgress progress;
  progress.set_program(program.name());
  auto parsed_start = ParseLocalDate(program.start_date());
  if (!parsed_start.ok() || *parsed_start > today) return progress;
  const absl::CivilDay start = *parsed_start;
  const int total = static_cast<int>((today - start) / kDaysPerWeek) + 1;
  const int shown = weeks <= 0 || weeks > kMaxProgressWeeks ? kMaxProgressWeeks : weeks;
  const int first = std::max(1, total - shown + 1);
  auto week_of = [&](absl::CivilDay day) -> int {
    if (day < start || day > today) return 0;
    return static_cast<int>((day - start) / kDaysPerWeek) + 1;
  };

  // Every week of the program collects (the changes look back to the first); only the
  // last `shown` are returned.
  std::vector<WeekData> data(total + 1);
  for (const v1::Session& s : history.sessions) {
    auto day = ParseLocalDate(s.local_date());
    const int w = day.ok() ? week_of(*day) : 0;
    if (w == 0) continue;
    WeekData& d = data[w];
    d.session_days.insert(*day);
    if (v1::TrafficLight_IsValid(s.traffic_light())) ++d.lights[s.traffic_light()];
    for (const v1::ExerciseReport& r : s.reports()) {
      if (r.has_pain_during()) {
        d.max_pain_during = std::max(d.max_pain_during.value_or(0), r.pain_during());
      }
      // Runs are the rules' return-to-run stages, not the walks and hops of that category.
      if (!IsRunStage(program.rules(), r.exercise())) continue;
      d.running_seconds += RunSeconds(r);
      if (r.cadence_spm() > 0) d.cadences.push_back(r.cadence_spm());
    }
  }
  int order = 0;
  for (const v1::MorningCheckIn& c : history.check_ins) {
    ++order;
    auto day = ParseLocalDate(c.local_date());
    const int w = day.ok() ? week_of(*day) : 0;
    if (w == 0) continue;
    WeekData& d = data[w];
    if (c.has_morning_pain()) d.morning_pains.push_back(c.morning_pain());
    if (c.has_usual_pain()) KeepLater(d.usual, {*day, order, c.usual_pain()});
    if (c.has_worst_pain()) d.worst = std::max(d.worst.value_or(0), c.worst_pain());
  }
  // Outcomes: the latest of each kind per week; the first and latest AKPS overall.
  std::optional<Dated> first_akps;
  std::optional<Dated> last_akps;
  int akps_scores = 0;
  order = 0;
  for (const v1::Outcome& o : history.outcomes) {
    ++order;
    auto day = ParseLocalDate(o.local_date());
    const int w = day.ok() ? week_of(*day) : 0;
    if (w == 0 || !v1::OutcomeKind_IsValid(o.kind())) continue;
    // Stored lists come newest first: a lower position is later among equal dates.
    const Dated at{*day, -order, o.value()};
    KeepLater(data[w].outcomes[o.kind()], at);
    if (o.kind() != v1::OUTCOME_KIND_AKPS) continue;
    ++akps_scores;
    if (!first_akps.has_value() || at.Before(*first_akps)) first_akps = at;
    KeepLater(last_akps, at);
  }

  const int gap = ShortestGapDays(program, library);
  std::optional<double> first_pain;
  std::optional<double> last_pain;
  int first_pain_week = 0;
  int last_pain_week = 0;
  for (int w = 1; w <= total; ++w) {
    const WeekData& d = data[w];
    const std::optional<double> pain = Median(d.morning_pains);
    if (pain.has_value()) {
      if (!first_pain.has_value()) first_pain = pain, first_pain_week = w;
      last_pain = pain;
      last_pain_week = w;
    }
    if (w < first) continue;
    v1::ProgressWeek* week = progress.add_weeks();
    const absl::CivilDay begin = start + kDaysPerWeek * (w - 1);
    const absl::CivilDay end = std::min(begin + (kDaysPerWeek - 1), today);
    week->set_week(w);
    week->set_start_date(FormatLocalDate(begin));
    week->set_end_date(FormatLocalDate(end));
    const int days = static_cast<int>(end - begin) + 1;
    const int planned = gap == 0 ? 0 : (days + gap - 1) / gap;
    const int done = static_cast<int>(d.session_days.size());
    week->set_sessions_done(done);
    week->set_sessions_planned(planned);
    week->set_adherence(planned == 0 ? 0 : static_cast<double>(done) / planned);
    week->set_green_sessions(d.lights[v1::TRAFFIC_LIGHT_GREEN]);
    week->set_amber_sessions(d.lights[v1::TRAFFIC_LIGHT_AMBER]);
    week->set_red_sessions(d.lights[v1::TRAFFIC_LIGHT_RED]);
    if (pain.has_value()) week->set_morning_pain_median(*pain);
    if (d.max_pain_during.has_value()) week->set_max_pain_during(*d.max_pain_during);
    if (d.usual.has_value()) week->set_usual_pain(d.usual->value);
    if (d.worst.has_value()) week->set_worst_pain(*d.worst);
    week->set_running_minutes(d.running_seconds / kSecondsPerMinute);
    if (auto cadence = Median(d.cadences)) {
      week->set_cadence_spm_median(static_cast<int>(std::lround(*cadence)));
    }
    if (const auto& o = d.outcomes[v1::OUTCOME_KIND_AKPS]) week->set_akps(o->value);
    if (const auto& o = d.outcomes[v1::OUTCOME_KIND_STEP_DOWN_30S]) {
      week->set_step_downs_30s(o->value);
    }
    if (const auto& o = d.outcomes[v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE]) {
      week->set_global_rating_of_change(o->value);
    }
    if (done >= kSessionDaysThatMatter) {
      progress.set_weeks_with_three_sessions(progress.weeks_with_three_sessions() + 1);
    }
  }
  // A change needs two weeks with check-ins, or two scores.
  if (first_pain_week != last_pain_week) {
    progress.set_morning_pain_change(*last_pain - *first_pain);
  }
  if (akps_scores >= 2) progress.set_akps_change(last_akps->value - first_akps->value);
  return progress;
}

}  // namespace kneecoach
