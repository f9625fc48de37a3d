#include "service/domain/phases.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/dates.h"
#include "service/domain/program_factory.h"

namespace kneecoach {
namespace {

const v1::PhaseTemplate* TemplateFor(const v1::Protocol& protocol, v1::Phase phase) {
  for (const auto& t : protocol.phases()) {
    if (t.phase() == phase) return &t;
  }
  return nullptr;
}

// The protocol's first phase after `current`, or UNSPECIFIED.
v1::Phase NextPhase(const v1::Protocol& protocol, v1::Phase current) {
  v1::Phase next = v1::PHASE_UNSPECIFIED;
  for (const auto& t : protocol.phases()) {
    if (t.phase() > current && (next == v1::PHASE_UNSPECIFIED || t.phase() < next)) {
      next = t.phase();
    }
  }
  return next;
}

int OrPrescribed(int done, int prescribed) { return done > 0 ? done : prescribed; }

bool PassesTest(const Evaluation& ev, const v1::ExitTest& test, absl::CivilDay day,
                const v1::ExerciseReport& r) {
  const std::string slug = ExerciseSlug(r.exercise());
  if (std::find(test.exercise_slugs().begin(), test.exercise_slugs().end(), slug) ==
      test.exercise_slugs().end()) {
    return false;
  }
  const v1::Dose& dose = r.prescribed_dose();
  const int reps = OrPrescribed(std::max(r.reps_done(), r.holds_done()), dose.reps());
  const bool enough = reps >= test.min_reps() &&
                      OrPrescribed(r.sets_done(), dose.sets()) >= test.min_sets() &&
                      dose.hold_seconds() >= test.min_hold_seconds() &&
                      OrPrescribed(r.duration_seconds_done(), dose.duration_seconds()) >=
                          test.min_duration_seconds() &&
                      r.pain_during() <= test.max_pain();
  // An exit test rests on a GREEN session: pending until its next morning confirms it.
  const ReportEntry entry = ev.timeline().EntryFor(day, r);
  if (!enough || !entry.confirmed || entry.effective != v1::TRAFFIC_LIGHT_GREEN) return false;
  if (!test.no_next_day_flare()) return true;
  const v1::MorningCheckIn* next = ev.timeline().CheckInOn(day + 1);
  return next != nullptr && next->traffic_light() == v1::TRAFFIC_LIGHT_GREEN;
}

int TimesPassed(const Evaluation& ev, const v1::ExitTest& test, absl::CivilDay since) {
  int passed = 0;
  for (const auto& s : ev.timeline().sessions()) {
    if (s.day < since || s.day > ev.day()) continue;
    for (const auto& r : s.session->reports()) {
      if (PassesTest(ev, test, s.day, r)) ++passed;
    }
  }
  return passed;
}

std::optional<int> LatestUsualPain(const Evaluation& ev) {
  std::optional<int> latest;
  for (const auto& c : ev.timeline().check_ins()) {
    if (c.day <= ev.day() && c.check_in->has_usual_pain()) latest = c.check_in->usual_pain();
  }
  return latest;
}

int GreenMorningsInARow(const Evaluation& ev) {
  int days = 0;
  for (absl::CivilDay d = ev.day();; --d, ++days) {
    const v1::MorningCheckIn* c = ev.timeline().CheckInOn(d);
    if (c == nullptr || c->traffic_light() != v1::TRAFFIC_LIGHT_GREEN) return days;
  }
}

// Checks every criterion, writing what it saw into `d`'s inputs; true if all hold.
bool ExitCriteriaMet(const Evaluation& ev, const v1::PhaseExitCriteria& e, absl::CivilDay since,
                     v1::Decision& d) {
  bool met = true;
  const int days_in_phase = static_cast<int>(ev.day() - since);
  PutInput(d, "days_in_phase", days_in_phase);
  PutInput(d, "min_days", e.min_days());
  met &= days_in_phase >= e.min_days();
  if (e.max_usual_pain() >= 0) {
    const std::optional<int> usual = LatestUsualPain(ev);
    PutInput(d, "usual_pain", usual.has_value() ? absl::StrCat(*usual) : "not reported");
    PutInput(d, "max_usual_pain", e.max_usual_pain());
    met &= usual.has_value() && *usual <= e.max_usual_pain();
  }
  if (e.stable_morning_days() > 0) {
    const int green = GreenMorningsInARow(ev);
    PutInput(d, "green_mornings_in_a_row", green);
    PutInput(d, "stable_morning_days", e.stable_morning_days());
    met &= green >= e.stable_morning_days();
  }
  for (int i = 0; i < e.tests_size(); ++i) {
    const v1::ExitTest& test = e.tests(i);
    const int passed = TimesPassed(ev, test, since);
    PutInput(d, absl::StrCat("test[", i, "] ", absl::StrJoin(test.exercise_slugs(), "|")),
             absl::StrCat(passed, "/", std::max(1, test.min_sessions())));
    met &= passed >= std::max(1, test.min_sessions());
  }
  return met;
}

}  // namespace

void MaybeChangePhase(Evaluation& ev) {
  if (ev.paused()) return;
  const v1::Protocol& protocol = ev.ctx().protocol;
  const v1::PhaseTemplate* current = TemplateFor(protocol, ev.program().phase());
  const v1::Phase next = NextPhase(protocol, ev.program().phase());
  if (current == nullptr || next == v1::PHASE_UNSPECIFIED) return;
  auto since = ParseLocalDate(ev.program().phase_start_date());
  if (!since.ok()) since = ParseLocalDate(ev.program().start_date());
  if (!since.ok()) return;
  v1::Decision d;
  if (!ExitCriteriaMet(ev, current->exit_criteria(), *since, d)) return;
  const v1::PhaseTemplate* upcoming = TemplateFor(protocol, next);
  d.set_rule("phase.exit_criteria");
  d.set_patient_reason(absl::StrCat("You have met the goals of ", current->display_name(),
                                    ": next is ", upcoming->display_name(), "."));
  d.set_clinician_reason(absl::StrCat("Every exit criterion of ", current->display_name(),
                                      " holds (see inputs): ", upcoming->display_name(),
                                      " starts with its template prescriptions."));
  ev.ChangePhase(next, std::move(d));
}

}  // namespace kneecoach
