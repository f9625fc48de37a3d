// Shared helpers for the engine, protocol and scenario tests: the real library and default
// protocol from data/, and small builders for programs, reports and check-ins.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/domain/library.h"
#include "service/domain/outcomes.h"
#include "service/domain/protocol.h"

namespace kneecoach::testing {

inline const std::string& DataDir() {
  static const std::string* dir = new std::string(KNEECOACH_TEST_DATA_DIR);
  return *dir;
}

inline const Library& TestLibrary() {
  static const Library* library = [] {
    auto loaded = Library::LoadFromFile(DataDir() + "/library.textproto");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded.ok() ? loaded->release() : nullptr;
  }();
  return *library;
}

inline const v1::Protocol& DefaultProtocol() {
  static const v1::Protocol* protocol = [] {
    auto loaded = LoadProtocolFromFile(DataDir() + "/protocols/default.textproto", TestLibrary());
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return new v1::Protocol(loaded.ok() ? *loaded : v1::Protocol());
  }();
  return *protocol;
}

inline absl::CivilDay Day(absl::string_view date) {
  auto day = ParseLocalDate(date);
  EXPECT_TRUE(day.ok()) << date;
  return day.ok() ? *day : absl::CivilDay();
}

// A prescription "programs/p/prescriptions/{index}" of `slug` at its starting dose (or
// `dose`), on `ladder_id` ("" for none).
inline v1::Prescription MakePrescription(int index, absl::string_view slug,
                                         absl::string_view ladder_id = "",
                                         std::optional<v1::Dose> dose = std::nullopt) {
  v1::Prescription p;
  p.set_name(absl::StrCat("programs/p/prescriptions/", index));
  p.set_exercise(absl::StrCat("exercises/", slug));
  if (!ladder_id.empty()) p.set_ladder(absl::StrCat("ladders/", ladder_id));
  const v1::Exercise* exercise = TestLibrary().FindExercise(slug);
  EXPECT_NE(exercise, nullptr) << slug;
  *p.mutable_dose() =
      dose.has_value() ? *dose : (exercise ? exercise->starting_dose() : v1::Dose());
  return p;
}

// An active program "programs/p" in `phase` with the default rules.
inline v1::Program MakeProgram(std::vector<v1::Prescription> prescriptions,
                               v1::Phase phase = v1::PHASE_STRENGTHEN,
                               absl::string_view start_date = "2026-03-02") {
  v1::Program program;
  program.set_name("programs/p");
  program.set_patient("patients/a");
  program.set_phase(phase);
  program.set_state(v1::PROGRAM_STATE_ACTIVE);
  program.set_approval_mode(v1::APPROVAL_MODE_AUTOMATIC);
  program.set_start_date(std::string(start_date));
  program.set_phase_start_date(std::string(start_date));
  *program.mutable_rules() = DefaultProtocol().rules();
  program.mutable_cadence()->set_step_index(-1);
  for (auto& p : prescriptions) *program.add_prescriptions() = std::move(p);
  return program;
}

inline v1::ExerciseReport Report(const v1::Prescription& p, int pain_during,
                                 std::optional<int> pain_after_1h = std::nullopt) {
  v1::ExerciseReport r;
  r.set_prescription(p.name());
  r.set_pain_during(pain_during);
  if (pain_after_1h.has_value()) r.set_pain_after_1h(*pain_after_1h);
  return r;
}

inline v1::MorningCheckIn CheckIn(int morning_pain) {
  v1::MorningCheckIn c;
  c.set_morning_pain(morning_pain);
  return c;
}

// Feeds reports through the engine one by one, keeping the program and history as the
// server would store them.
class EngineHarness {
 public:
  explicit EngineHarness(v1::Program program) : program_(std::move(program)) {}

  EngineResult Session(absl::string_view date, std::vector<v1::ExerciseReport> reports) {
    v1::Session session;
    session.set_name(absl::StrCat("programs/p/sessions/", history_.sessions.size() + 1));
    session.set_local_date(std::string(date));
    for (auto& r : reports) *session.add_reports() = std::move(r);
    EngineResult result = OnSessionReported(Context(date), program_, session, history_);
    history_.sessions.push_back(session);
    Keep(result);
    return result;
  }

  EngineResult CheckInOn(absl::string_view date, v1::MorningCheckIn check_in) {
    check_in.set_name(absl::StrCat("programs/p/checkIns/", history_.check_ins.size() + 1));
    check_in.set_local_date(std::string(date));
    EngineResult result = OnCheckInReported(Context(date), program_, check_in, history_);
    history_.check_ins.push_back(check_in);
    Keep(result);
    return result;
  }

  // An outcome recorded on `date`, as the server records it: scored, then judged with it
  // among the program's outcomes.
  EngineResult OutcomeOn(absl::string_view date, v1::Outcome outcome) {
    outcome.set_name(absl::StrCat("programs/p/outcomes/", history_.outcomes.size() + 1));
    outcome.set_local_date(std::string(date));
    outcome.set_value(OutcomeValue(outcome));
    history_.outcomes.push_back(outcome);
    EngineResult result = OnOutcomeRecorded(Context(date), program_, outcome, history_);
    Keep(result);
    return result;
  }

  // A GREEN morning check-in on each day from `first` for `days` days at `pain`.
  void SteadyMornings(absl::string_view first, int days, int pain) {
    for (int i = 0; i < days; ++i) CheckInOn(FormatLocalDate(Day(first) + i), CheckIn(pain));
  }

  EngineContext Context(absl::string_view date) const {
    return {TestLibrary(), DefaultProtocol(), Day(date),
            absl::FromCivil(absl::CivilHour(Day(date)) + 12, absl::UTCTimeZone())};
  }

  v1::Program& program() { return program_; }
  const v1::Prescription& prescription(int i) const { return program_.prescriptions(i); }
  const History& history() const { return history_; }

 private:
  void Keep(const EngineResult& result) {
    program_ = result.program;
    for (const auto& a : result.alerts) history_.alerts.push_back(a);
  }

  v1::Program program_;
  History history_;
};

}  // namespace kneecoach::testing
