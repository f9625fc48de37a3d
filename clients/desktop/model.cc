#include "clients/desktop/model.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace kneecoach::desktop {

bool MoreUrgent(const CaseloadRow& a, const CaseloadRow& b) {
  const auto key = [](const CaseloadRow& r) {
    return std::make_tuple(-r.open_alerts, r.state == v1::PROGRAM_STATE_PAUSED ? 0 : 1,
                           -r.pending_decisions, -r.morning_pain_median.value_or(-1.0));
  };
  const auto ka = key(a);
  const auto kb = key(b);
  if (ka != kb) return ka < kb;
  return a.patient_name < b.patient_name;
}

void SortByUrgency(std::vector<CaseloadRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), MoreUrgent);
}

void DisambiguateNames(std::vector<CaseloadRow>& rows) {
  std::map<std::string, int> count;
  for (const CaseloadRow& r : rows) ++count[r.patient_name];
  for (CaseloadRow& r : rows) {
    r.patient_tag = count[r.patient_name] > 1 ? absl::StrCat("id ", ShortName(r.patient)) : "";
  }
}

std::string PatientLabel(const CaseloadRow& row) {
  if (row.patient_tag.empty()) return row.patient_name;
  return absl::StrCat(row.patient_name, " (", row.patient_tag, ")");
}

std::string ExerciseName(const ExerciseNames& names, const std::string& exercise) {
  if (const auto it = names.find(exercise); it != names.end() && !it->second.empty()) {
    return it->second;
  }
  return ShortName(exercise);
}

Trend TrendOf(const v1::ProgramProgress& progress) {
  Trend trend;
  for (const v1::ProgressWeek& week : progress.weeks()) {
    const double x = week.week();
    trend.weeks = std::max(trend.weeks, week.week());
    if (week.has_morning_pain_median()) {
      trend.morning_pain_median.push_back({x, week.morning_pain_median()});
    }
    if (week.has_max_pain_during())
      trend.max_pain_during.push_back({x, 1.0 * week.max_pain_during()});
    if (week.sessions_planned() > 0 || week.sessions_done() > 0) {
      trend.adherence_percent.push_back({x, 100.0 * week.adherence()});
    }
  }
  return trend;
}

std::string EnumWord(const google::protobuf::EnumDescriptor* type, int value) {
  if (value == 0) return "-";
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  // The prefix every value shares: the type's name in UPPER_SNAKE and "_".
  const auto* first = type->value(0);
  std::string prefix = first->name();
  prefix = prefix.substr(0, prefix.rfind("_UNSPECIFIED")) + "_";
  std::string name = v->name();
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(absl::StrReplaceAll(name, {{"_", " "}}));
}

std::string ShortName(const std::string& name) {
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::string FormatTime(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%MZ", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::vector<std::string> DoseMaskPaths(const v1::Dose& before, const v1::Dose& after) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Descriptor* type = v1::Dose::descriptor();
  const google::protobuf::Reflection* r = v1::Dose::GetReflection();
  std::vector<std::string> paths;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    bool same = true;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        same = r->GetInt32(before, f) == r->GetInt32(after, f);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        same = r->GetDouble(before, f) == r->GetDouble(after, f);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        same = r->GetBool(before, f) == r->GetBool(after, f);
        break;
      default:  // Dose has no other kinds; a new one is compared whole
        same = false;
        break;
    }
    if (!same) paths.push_back(absl::StrCat("dose.", f->name()));
  }
  return paths;
}

std::string DecisionExercise(const v1::Decision& d, const ExerciseNames& names) {
  std::string exercise = ExerciseName(names, d.exercise_before());
  if (!d.exercise_after().empty() && d.exercise_after() != d.exercise_before()) {
    absl::StrAppend(&exercise, exercise.empty() ? "" : " -> ",
                    ExerciseName(names, d.exercise_after()));
  }
  return exercise;
}

std::string DecisionDoses(const v1::Decision& d) {
  if (!d.has_dose_before() && !d.has_dose_after()) return "";
  return absl::StrCat(FormatDose(d.dose_before()), " -> ", FormatDose(d.dose_after()));
}

std::string DecisionReason(const v1::Decision& d) {
  if (!d.review_reason().empty()) return d.review_reason();
  if (!d.clinician_reason().empty()) return d.clinician_reason();
  return d.patient_reason();
}

std::string DecisionWho(const v1::Decision& d) {
  const std::string reviewer =
      d.reviewer_display_name().empty() ? "clinician" : d.reviewer_display_name();
  if (d.author() == "engine") {
    if (!d.has_review_time()) return "engine";
    const char* verb = d.state() == v1::DECISION_STATE_REJECTED ? "rejected" : "approved";
    return absl::StrCat("engine, ", verb, " by ", reviewer, " ", FormatTime(d.review_time()));
  }
  if (d.author().empty()) return "-";
  return d.reviewer_display_name().empty() ? d.author() : reviewer;
}

std::string DoneWord(Done done) {
  switch (done) {
    case Done::kDone:
      return "done";
    case Done::kPartly:
      return "partly";
    case Done::kNotDone:
      break;
  }
  return "not done";
}

Done DoneOf(const v1::ExerciseReport& report) {
  const v1::Dose& dose = report.prescribed_dose();
  const int holds = dose.reps() > 0 ? dose.reps() : dose.sets();
  const std::pair<int, int> counts[] = {{report.sets_done(), dose.sets()},
                                        {report.reps_done(), dose.reps()},
                                        {report.holds_done(), dose.hold_seconds() > 0 ? holds : 0},
                                        {report.duration_seconds_done(), dose.duration_seconds()}};
  for (const auto& [done, prescribed] : counts) {
    if (done > 0 && prescribed > 0 && done < prescribed) return Done::kPartly;
  }
  return Done::kDone;
}

std::vector<SessionLine> SessionLines(const v1::Session& session, const ExerciseNames& names) {
  std::vector<SessionLine> lines;
  std::set<std::string> reported;
  for (const v1::ExerciseReport& r : session.reports()) {
    SessionLine line;
    line.date = session.local_date();
    line.session = session.name();
    line.exercise = ExerciseName(names, r.exercise());
    line.dose = FormatDose(r.prescribed_dose());
    if (r.has_pain_during()) line.pain_during = r.pain_during();
    if (r.has_pain_after_1h()) line.pain_after_1h = r.pain_after_1h();
    line.done = DoneOf(r);
    line.traffic_light = EnumWord(v1::TrafficLight_descriptor(), r.traffic_light());
    lines.push_back(std::move(line));
    reported.insert(r.prescription());
  }
  for (const v1::SessionItem& item : session.items()) {
    if (reported.count(item.prescription()) > 0 || item.optional()) continue;
    SessionLine line;
    line.date = session.local_date();
    line.session = session.name();
    line.exercise =
        item.display_name().empty() ? ExerciseName(names, item.exercise()) : item.display_name();
    line.dose = FormatDose(item.dose());
    line.done = Done::kNotDone;
    line.traffic_light = "-";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string RedFlagWords(const v1::MorningCheckIn& check_in) {
  std::vector<std::string> words;
  for (int flag : check_in.red_flags()) words.push_back(EnumWord(v1::RedFlag_descriptor(), flag));
  return absl::StrJoin(words, "; ");
}

OverviewNumbers OverviewOf(const v1::ProgramProgress& progress,
                           const std::vector<v1::Outcome>& outcomes) {
  OverviewNumbers n;
  // Newest first: the first of each kind is the latest.
  for (const v1::Outcome& o : outcomes) {
    switch (o.kind()) {
      case v1::OUTCOME_KIND_AKPS:
        if (!n.akps) n.akps = o.value(), n.akps_date = o.local_date();
        break;
      case v1::OUTCOME_KIND_STEP_DOWN_30S:
        if (!n.step_downs) n.step_downs = o.value(), n.step_downs_date = o.local_date();
        break;
      case v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE:
        if (!n.global_rating) {
          n.global_rating = o.value(), n.global_rating_date = o.local_date();
        }
        break;
      default:
        break;
    }
  }
  if (progress.has_akps_change()) n.akps_change = progress.akps_change();
  if (progress.has_morning_pain_change()) n.morning_pain_change = progress.morning_pain_change();
  for (const v1::ProgressWeek& w : progress.weeks()) {
    n.total_done += w.sessions_done();
    n.total_planned += w.sessions_planned();
  }
  if (progress.weeks_size() > 0) {
    const v1::ProgressWeek& last = progress.weeks(progress.weeks_size() - 1);
    n.week = last.week();
    n.week_done = last.sessions_done();
    n.week_planned = last.sessions_planned();
  }
  return n;
}

std::string AdherenceWords(int done, int planned) {
  if (planned <= 0) {
    return done > 0 ? absl::StrCat(done, " sessions, none planned") : "no sessions planned yet";
  }
  return absl::StrFormat("%d of %d sessions (%.0f%%)", done, planned, 100.0 * done / planned);
}

}  // namespace kneecoach::desktop
