#include "clients/desktop/model.h"

#include <algorithm>
#include <tuple>

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

std::string DecisionExercise(const v1::Decision& d) {
  std::string exercise = ShortName(d.exercise_before());
  if (!d.exercise_after().empty() && d.exercise_after() != d.exercise_before()) {
    absl::StrAppend(&exercise, exercise.empty() ? "" : " -> ", ShortName(d.exercise_after()));
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
  std::string who = d.author().empty() ? "-" : d.author();
  if (d.has_review_time() && d.author() == "engine") {
    absl::StrAppend(&who, ", reviewed ", FormatTime(d.review_time()));
  }
  return who;
}

}  // namespace kneecoach::desktop
