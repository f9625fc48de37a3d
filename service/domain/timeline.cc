#include "service/domain/timeline.h"

#include <algorithm>
#include <functional>

#include "absl/strings/strip.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/program_factory.h"
#include "service/domain/traffic_light.h"

namespace kneecoach {
namespace {

std::optional<absl::CivilDay> DayOf(const std::string& local_date) {
  auto day = ParseLocalDate(local_date);
  if (!day.ok()) return std::nullopt;
  return *day;
}

// Ratio of done to prescribed, or nullopt when either side is not given.
std::optional<double> Ratio(int done, int prescribed) {
  if (done <= 0 || prescribed <= 0) return std::nullopt;
  return std::min(1.0, static_cast<double>(done) / prescribed);
}

// Reports counted back from the latest while `counts` holds.
int CountBack(const std::vector<ReportEntry>& reports,
              const std::function<bool(const ReportEntry&)>& counts) {
  int n = 0;
  for (auto it = reports.rbegin(); it != reports.rend() && counts(*it); ++it) ++n;
  return n;
}

}  // namespace

std::string LadderIdOf(absl::string_view ladder_name) {
  absl::ConsumePrefix(&ladder_name, "ladders/");
  return std::string(ladder_name);
}

double Completion(const v1::ExerciseReport& report, const v1::Dose& prescribed) {
  const int holds_prescribed = prescribed.reps() > 0 ? prescribed.reps() : prescribed.sets();
  double completion = 1.0;
  for (std::optional<double> ratio :
       {Ratio(report.sets_done(), prescribed.sets()), Ratio(report.reps_done(), prescribed.reps()),
        Ratio(report.holds_done(), holds_prescribed),
        Ratio(report.duration_seconds_done(), prescribed.duration_seconds())}) {
    if (ratio.has_value()) completion = std::min(completion, *ratio);
  }
  return completion;
}

Timeline::Timeline(const History& history, const v1::Session* session,
                   const v1::MorningCheckIn* check_in, const v1::ProtocolRules& rules,
                   absl::CivilDay window_end, absl::CivilDay as_of)
    : rules_(rules), as_of_(as_of) {
  const absl::CivilDay from = window_end - kHistoryDays;
  auto add_session = [this, from](const v1::Session& s) {
    auto day = DayOf(s.local_date());
    if (day && *day >= from) sessions_.push_back({*day, &s});
  };
  auto add_check_in = [this, from](const v1::MorningCheckIn& c) {
    auto day = DayOf(c.local_date());
    if (day && *day >= from) check_ins_.push_back({*day, &c});
  };
  for (const auto& s : history.sessions) add_session(s);
  for (const auto& c : history.check_ins) add_check_in(c);
  if (session != nullptr) add_session(*session);
  if (check_in != nullptr) add_check_in(*check_in);
  // Stable: same-day entries keep their order, the report being processed last.
  std::stable_sort(sessions_.begin(), sessions_.end(),
                   [](const SessionEntry& a, const SessionEntry& b) { return a.day < b.day; });
  std::stable_sort(check_ins_.begin(), check_ins_.end(),
                   [](const CheckInEntry& a, const CheckInEntry& b) { return a.day < b.day; });
  for (const auto& c : check_ins_) check_in_by_day_[c.day] = c.check_in;
}

const v1::MorningCheckIn* Timeline::CheckInOn(absl::CivilDay day) const {
  auto it = check_in_by_day_.find(day);
  return it == check_in_by_day_.end() ? nullptr : it->second;
}

std::optional<double> Timeline::MedianMorningPain(absl::CivilDay first, absl::CivilDay last) const {
  std::vector<double> pains;
  for (const auto& c : check_ins_) {
    if (c.day >= first && c.day <= last) pains.push_back(c.check_in->morning_pain());
  }
  return Median(std::move(pains));
}

std::optional<double> Timeline::BaselineBefore(absl::CivilDay day) const {
  return MedianMorningPain(day - rules_.baseline_window_days(), day - 1);
}

std::optional<double> Timeline::LatestMorningPain(absl::CivilDay day) const {
  std::optional<double> latest;
  for (const auto& c : check_ins_) {
    if (c.day <= day) latest = c.check_in->morning_pain();
  }
  return latest;
}

double Timeline::SessionBaseline(absl::CivilDay day) const {
  if (std::optional<double> baseline = BaselineBefore(day)) return *baseline;
  return LatestMorningPain(day).value_or(0);
}

bool Timeline::IsRunStage(absl::string_view exercise) const {
  return kneecoach::IsRunStage(rules_, exercise);
}

bool IsRunStage(const v1::ProtocolRules& rules, absl::string_view exercise) {
  const std::string slug = ExerciseSlug(exercise);
  for (const auto& stage : rules.return_to_run().stages()) {
    if (stage.exercise_slug() == slug) return true;
  }
  return false;
}

const v1::TrafficLightRules& Timeline::LightRulesFor(absl::string_view exercise) const {
  return IsRunStage(exercise) ? rules_.running_traffic_light() : rules_.exercise_traffic_light();
}

v1::TrafficLight Timeline::NextMorningLight(absl::CivilDay day,
                                            const v1::TrafficLightRules& rules) const {
  const v1::MorningCheckIn* next = CheckInOn(day + 1);
  if (next == nullptr) return v1::TRAFFIC_LIGHT_UNSPECIFIED;
  return CheckInLight(*next, next->baseline(), rules);
}

ReportEntry Timeline::EntryFor(absl::CivilDay day, const v1::ExerciseReport& report) const {
  const v1::TrafficLight next_morning = NextMorningLight(day, LightRulesFor(report.exercise()));
  ReportEntry entry{day, &report, Worst(report.traffic_light(), next_morning),
                    SessionBaseline(day)};
  if (report.traffic_light() == v1::TRAFFIC_LIGHT_GREEN &&
      next_morning == v1::TRAFFIC_LIGHT_UNSPECIFIED) {
    // Hours since the end of the report's day, the event taken at the start of its day.
    const int hours = rules_.confirmation().unconfirmed_counts_after_hours();
    const int64_t elapsed = static_cast<int64_t>(as_of_ - (day + 1)) * 24;
    entry.confirmed = hours > 0 && elapsed >= hours;
  }
  return entry;
}

v1::TrafficLight Timeline::EffectiveSessionLight(const SessionEntry& entry) const {
  v1::TrafficLight light = v1::TRAFFIC_LIGHT_UNSPECIFIED;
  for (const auto& report : entry.session->reports()) {
    light = Worst(light, EntryFor(entry.day, report).effective);
  }
  return light;
}

std::vector<ReportEntry> Timeline::ReportsFor(absl::string_view prescription) const {
  std::vector<ReportEntry> reports;
  for (const auto& s : sessions_) {
    for (const auto& report : s.session->reports()) {
      if (report.prescription() == prescription) reports.push_back(EntryFor(s.day, report));
    }
  }
  return reports;
}

Streaks Timeline::StreaksFor(const v1::Prescription& p) const {
  const std::vector<ReportEntry> reports = ReportsFor(p.name());
  const double full = rules_.progression().under_dose_completion_fraction();
  auto at_current_dose = [&p](const ReportEntry& e) {
    return e.report->exercise() == p.exercise() && SameDose(e.report->prescribed_dose(), p.dose());
  };
  auto done_in_full = [&](const ReportEntry& e) {
    return Completion(*e.report, e.report->prescribed_dose()) >= full;
  };
  Streaks s;
  std::vector<ReportEntry> decided = reports;
  while (!decided.empty() && !decided.back().confirmed) decided.pop_back();
  s.green = CountBack(decided, [&](const ReportEntry& e) {
    return e.confirmed && at_current_dose(e) && e.effective == v1::TRAFFIC_LIGHT_GREEN &&
           done_in_full(e);
  });
  s.amber = CountBack(reports, [&](const ReportEntry& e) {
    return at_current_dose(e) && e.effective == v1::TRAFFIC_LIGHT_AMBER;
  });
  s.red =
      CountBack(reports, [](const ReportEntry& e) { return e.effective == v1::TRAFFIC_LIGHT_RED; });
  s.under_dose = CountBack(
      reports, [&](const ReportEntry& e) { return at_current_dose(e) && !done_in_full(e); });
  return s;
}

}  // namespace kneecoach
