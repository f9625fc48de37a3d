#include "service/domain/dose.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace kneecoach {
namespace {

struct Range {
  const char* field;
  double value;
  double max;
};

std::string Seconds(int s) {
  if (s >= 60 && s % 60 == 0) return absl::StrCat(s / 60, " min");
  return absl::StrCat(s, " s");
}

}  // namespace

void ValidateDose(const v1::Dose& d, absl::string_view prefix, FieldViolations& violations) {
  const Range ranges[] = {
      {"sets", static_cast<double>(d.sets()), 10},
      {"reps", static_cast<double>(d.reps()), 100},
      {"hold_seconds", static_cast<double>(d.hold_seconds()), 600},
      {"rest_seconds", static_cast<double>(d.rest_seconds()), 600},
      {"duration_seconds", static_cast<double>(d.duration_seconds()), 7200},
      {"load_kg", d.load_kg(), 500},
      {"max_knee_flexion_degrees", static_cast<double>(d.max_knee_flexion_degrees()), 150},
      {"run_seconds", static_cast<double>(d.run_seconds()), 3600},
      {"walk_seconds", static_cast<double>(d.walk_seconds()), 3600},
      {"target_rpe", static_cast<double>(d.target_rpe()), 10},
  };
  for (const Range& r : ranges) {
    if (!(r.value >= 0 && r.value <= r.max)) {  // also rejects NaN
      violations.Add(absl::StrCat(prefix, ".", r.field),
                     absl::StrFormat("%g out of range 0..%g", r.value, r.max));
    }
  }
  if (d.reps() == 0 && d.hold_seconds() == 0 && d.duration_seconds() == 0 && d.run_seconds() == 0) {
    violations.Add(prefix, "a dose needs reps, hold_seconds, duration_seconds or run_seconds");
  }
}

std::string DescribeDose(const v1::Dose& d) {
  std::vector<std::string> parts;
  const int sets = d.sets() > 0 ? d.sets() : 1;
  if (d.run_seconds() > 0) {
    parts.push_back(absl::StrCat("run ", Seconds(d.run_seconds()), " / walk ",
                                 Seconds(d.walk_seconds()), " x ", sets));
  } else if (d.hold_seconds() > 0) {
    parts.push_back(absl::StrCat(sets, " x ", d.reps() > 0 ? d.reps() : 1, " x ",
                                 Seconds(d.hold_seconds()), " hold"));
  } else if (d.duration_seconds() > 0) {
    parts.push_back(sets > 1 ? absl::StrCat(sets, " x ", Seconds(d.duration_seconds()))
                             : Seconds(d.duration_seconds()));
  } else {
    parts.push_back(absl::StrCat(sets, " x ", d.reps()));
  }
  if (d.per_side()) parts.back() += " each side";
  if (d.load_kg() > 0) parts.push_back(absl::StrFormat("%g kg", d.load_kg()));
  if (d.max_knee_flexion_degrees() > 0) {
    parts.push_back(absl::StrCat("knee bend to ", d.max_knee_flexion_degrees(), " deg"));
  }
  if (d.rest_seconds() > 0) parts.push_back(absl::StrCat("rest ", Seconds(d.rest_seconds())));
  if (d.target_rpe() > 0) parts.push_back(absl::StrCat("effort ", d.target_rpe(), "/10"));
  return absl::StrJoin(parts, ", ");
}

bool SameDose(const v1::Dose& a, const v1::Dose& b) {
  // Every field of Dose (tests/unit/dose_test.cc fails when one is added and not named here).
  return a.sets() == b.sets() && a.reps() == b.reps() && a.hold_seconds() == b.hold_seconds() &&
         a.rest_seconds() == b.rest_seconds() && a.duration_seconds() == b.duration_seconds() &&
         a.load_kg() == b.load_kg() &&
         a.max_knee_flexion_degrees() == b.max_knee_flexion_degrees() &&
         a.run_seconds() == b.run_seconds() && a.walk_seconds() == b.walk_seconds() &&
         a.target_rpe() == b.target_rpe() && a.per_side() == b.per_side();
}

}  // namespace kneecoach
