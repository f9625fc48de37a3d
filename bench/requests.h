// Requests the benchmark and the durability test send to a database made by
// kneecoach-seed: program i is "programs/bench-g{i}", and its first prescription exists.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach::bench {

inline std::string ProgramName(int index) { return absl::StrCat("programs/bench-g", index); }

// A ReportSession of the program's first prescription, done as prescribed at pain 2/10.
inline v1::ReportSessionRequest ReportRequest(int program, const std::string& request_id) {
  v1::ReportSessionRequest r;
  r.set_program(ProgramName(program));
  r.set_request_id(request_id);
  v1::ExerciseReport* e = r.add_reports();
  e->set_prescription(absl::StrCat(ProgramName(program), "/prescriptions/1"));
  e->set_sets_done(3);
  e->set_reps_done(10);
  e->set_pain_during(2);
  e->set_pain_after_1h(2);
  return r;
}

// A next-morning check-in for today at pain 1/10.
inline v1::ReportMorningCheckInRequest CheckInRequest(int program, const std::string& request_id) {
  v1::ReportMorningCheckInRequest r;
  r.mutable_check_in()->set_program(ProgramName(program));
  r.mutable_check_in()->set_morning_pain(1);
  r.set_request_id(request_id);
  return r;
}

}  // namespace kneecoach::bench
