#include "service/domain/engine.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/domain/adaptation.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/errors.h"
#include "service/domain/evaluation.h"
#include "service/domain/phases.h"
#include "service/domain/running.h"
#include "service/domain/safety.h"
#include "service/domain/traffic_light.h"

namespace kneecoach {
namespace {

// The report's local date, or `today` (written back so what is stored is dated).
absl::CivilDay DayOf(std::string& local_date, absl::CivilDay today) {
  auto day = ParseLocalDate(local_date);
  if (day.ok()) return *day;
  local_date = FormatLocalDate(today);
  return today;
}

// Fills each report's exercise, prescribed dose and light, and the session's light.
void JudgeReports(Evaluation& ev, v1::Session& session) {
  const double baseline = ev.timeline().SessionBaseline(ev.day());
  for (auto& report : *session.mutable_reports()) {
    if (const v1::Prescription* p = ev.FindPrescription(report.prescription())) {
      report.set_exercise(p->exercise());
      *report.mutable_prescribed_dose() = p->dose();
    }
    report.set_traffic_light(
        ReportLight(report, baseline, ev.timeline().LightRulesFor(report.exercise())));
  }
  session.set_traffic_light(SessionLight(session));
}

// The engine's counters for `p` from its reports so far.
void UpdateProgress(const Evaluation& ev, v1::Prescription& p) {
  const std::vector<ReportEntry> reports = ev.timeline().ReportsFor(p.name());
  if (reports.empty()) return;
  const Streaks s = ev.timeline().StreaksFor(p);
  auto* progress = p.mutable_progress();
  progress->set_green_streak(s.green);
  progress->set_amber_streak(s.amber);
  progress->set_red_streak(s.red);
  progress->set_under_dose_streak(s.under_dose);
  progress->set_last_traffic_light(reports.back().effective);
  progress->set_last_done_date(FormatLocalDate(reports.back().day));
}

void UpdateProgress(Evaluation& ev, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (v1::Prescription* p = ev.FindPrescription(name)) UpdateProgress(ev, *p);
  }
}

// Runs the prescription's rules on its report; returns whether it is RED.
bool Adapt(Evaluation& ev, v1::Prescription& p, const ReportEntry& entry) {
  if (ev.timeline().IsRunStage(p.exercise())) {
    AdaptRunStage(ev, p, entry);
    AdaptCadence(ev, p, entry);
  } else {
    AdaptPrescription(ev, p, entry);
  }
  return entry.effective == v1::TRAFFIC_LIGHT_RED;
}

// The last report of each prescription in the sessions of `day`.
std::vector<ReportEntry> LastReportsOn(const Timeline& timeline, absl::CivilDay day) {
  std::vector<ReportEntry> entries;
  absl::flat_hash_map<std::string, size_t> index;
  for (const auto& s : timeline.sessions()) {
    if (s.day != day) continue;
    for (const auto& r : s.session->reports()) {
      const ReportEntry entry = timeline.EntryFor(s.day, r);
      auto [it, inserted] = index.try_emplace(r.prescription(), entries.size());
      if (inserted) {
        entries.push_back(entry);
      } else {
        entries[it->second] = entry;
      }
    }
  }
  return entries;
}

bool Worse(v1::TrafficLight a, v1::TrafficLight than) { return a != than && Worst(a, than) == a; }

// The next morning's verdict on yesterday's reports: rules run again on those it made worse
// (and on RED runs whose pain is still there). Returns the prescriptions now RED.
std::vector<std::string> AdaptToNextMorning(Evaluation& ev, v1::TrafficLight morning,
                                            std::vector<std::string>& touched) {
  std::vector<std::string> red;
  if (morning != v1::TRAFFIC_LIGHT_AMBER && morning != v1::TRAFFIC_LIGHT_RED) return red;
  for (const ReportEntry& entry : LastReportsOn(ev.timeline(), ev.day() - 1)) {
    v1::Prescription* p = ev.FindPrescription(entry.report->prescription());
    if (p == nullptr) continue;
    touched.push_back(p->name());
    const v1::TrafficLight own = entry.report->traffic_light();
    const bool run = ev.timeline().IsRunStage(entry.report->exercise());
    if (run && (Worse(entry.effective, own) || own == v1::TRAFFIC_LIGHT_RED)) {
      AdaptRunStageNextMorning(ev, *p, entry);
    } else if (!run && Worse(entry.effective, own)) {
      AdaptPrescription(ev, *p, entry);
    }
    if (entry.effective == v1::TRAFFIC_LIGHT_RED) red.push_back(p->name());
  }
  return red;
}

// The newest confirmed GREEN report of `p` in `timeline`, if any.
std::optional<ReportEntry> NewestConfirmedGreen(const Timeline& timeline,
                                                const v1::Prescription& p) {
  const std::vector<ReportEntry> reports = timeline.ReportsFor(p.name());
  for (auto it = reports.rbegin(); it != reports.rend(); ++it) {
    if (!it->confirmed) continue;
    if (it->effective != v1::TRAFFIC_LIGHT_GREEN) return std::nullopt;
    return *it;
  }
  return std::nullopt;
}

// Reports of `p` confirmed in this event: pending as the previous event saw them.
std::vector<ReportEntry> NewlyConfirmed(const Evaluation& ev, const v1::Prescription& p) {
  absl::flat_hash_set<const v1::ExerciseReport*> pending;
  for (const ReportEntry& e : ev.before().ReportsFor(p.name())) {
    if (!e.confirmed) pending.insert(e.report);
  }
  std::vector<ReportEntry> confirmed;
  for (const ReportEntry& e : ev.timeline().ReportsFor(p.name())) {
    if (e.confirmed && pending.contains(e.report)) confirmed.push_back(e);
  }
  return confirmed;
}

// Progressions resting on GREEN sessions, decided when the last of them is confirmed: by
// this event's check-in (its next morning), or by the time passed without one since the
// previous event. Whatever grew the confirmed GREEN streak in this event decides here.
void ConfirmProgressions(Evaluation& ev, std::vector<std::string>& touched) {
  for (int i = 0; i < ev.program().prescriptions_size(); ++i) {
    if (ev.paused()) return;
    v1::Prescription& p = *ev.program().mutable_prescriptions(i);
    const bool run = ev.timeline().IsRunStage(p.exercise());
    if (run) {
      for (const ReportEntry& e : NewlyConfirmed(ev, p)) OnConfirmedCadenceRun(ev, p, e);
    }
    const Streaks now = ev.timeline().StreaksFor(p);
    const Streaks before = ev.before().StreaksFor(p);
    if (now.green <= before.green) continue;
    std::optional<ReportEntry> latest = NewestConfirmedGreen(ev.timeline(), p);
    if (!latest.has_value()) continue;
    touched.push_back(p.name());
    if (run) {
      OnConfirmedGreenRuns(ev, p, *latest, now.green);
    } else {
      OnConfirmedGreen(ev, p, *latest, now, before);
    }
  }
}

// Safety first: a pause stops what would otherwise progress in the same event.
void CheckSafetyRules(Evaluation& ev, bool event_red, const std::vector<std::string>& red) {
  CheckRedInARow(ev, event_red, red);
  CheckRedPersisting(ev, event_red);
}

void CheckProgramRules(Evaluation& ev) {
  MaybeChangePhase(ev);
  CheckAdherence(ev);
  CheckNoMeaningfulChange(ev);
}

bool ChangesPrescription(v1::DecisionKind kind) {
  switch (kind) {
    case v1::DECISION_KIND_PROGRESS:
    case v1::DECISION_KIND_REGRESS:
    case v1::DECISION_KIND_SWAP_TO_ISOMETRIC:
    case v1::DECISION_KIND_SIMPLIFY:
    case v1::DECISION_KIND_ADVANCE_STAGE:
    case v1::DECISION_KIND_STEP_BACK_STAGE:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<v1::Program> ApplyToPrescription(v1::Program program, const v1::Decision& decision) {
  for (auto& p : *program.mutable_prescriptions()) {
    if (p.name() != decision.prescription()) continue;
    if (p.locked()) {
      return FailedPrecondition("PRESCRIPTION_LOCKED", p.name(),
                                "the prescription is locked by the clinician");
    }
    if (p.exercise() != decision.exercise_before() || !SameDose(p.dose(), decision.dose_before())) {
      return FailedPrecondition(
          "PRESCRIPTION_CHANGED", p.name(),
          "the prescription changed since the decision was proposed; it no longer applies");
    }
    ApplyPrescriptionDecision(decision, p);
    return program;
  }
  return NotFound("prescription", decision.prescription());
}

}  // namespace

EngineResult OnSessionReported(const EngineContext& ctx, const v1::Program& program,
                               v1::Session& session, const History& history) {
  const absl::CivilDay day = DayOf(*session.mutable_local_date(), ctx.today);
  Evaluation ev(ctx, program, history, &session, nullptr, day, session.name());
  JudgeReports(ev, session);
  std::vector<std::string> reported;
  std::vector<std::string> red;
  for (const auto& report : session.reports()) {
    v1::Prescription* p = ev.FindPrescription(report.prescription());
    if (p == nullptr) continue;
    reported.push_back(p->name());
    if (!ev.paused() && Adapt(ev, *p, ev.timeline().EntryFor(day, report))) {
      red.push_back(p->name());
    }
  }
  CheckSafetyRules(ev, session.traffic_light() == v1::TRAFFIC_LIGHT_RED, red);
  ConfirmProgressions(ev, reported);
  CheckProgramRules(ev);
  UpdateProgress(ev, reported);
  return std::move(ev).Finish();
}

EngineResult OnCheckInReported(const EngineContext& ctx, const v1::Program& program,
                               v1::MorningCheckIn& check_in, const History& history) {
  const absl::CivilDay day = DayOf(*check_in.mutable_local_date(), ctx.today);
  Evaluation ev(ctx, program, history, nullptr, &check_in, day, check_in.name());
  // The 7-day median; after a gap, the last morning known; the very first check-in is its
  // own baseline.
  const double baseline = ev.timeline().BaselineBefore(day).value_or(
      ev.timeline().LatestMorningPain(day - 1).value_or(check_in.morning_pain()));
  check_in.set_baseline(baseline);
  check_in.set_traffic_light(CheckInLight(check_in, baseline, ev.rules().exercise_traffic_light()));
  CheckRedFlags(ev, check_in);
  std::vector<std::string> touched;
  std::vector<std::string> red;
  if (!ev.paused()) red = AdaptToNextMorning(ev, check_in.traffic_light(), touched);
  // Rising fast before sustained high and the alert-only rise: one alert for one rise.
  CheckUsualPainRisingFast(ev, check_in);
  CheckPainSustainedHigh(ev, check_in);
  CheckUsualPain(ev, check_in);
  CheckSafetyRules(ev, check_in.traffic_light() == v1::TRAFFIC_LIGHT_RED, red);
  ConfirmProgressions(ev, touched);
  CheckProgramRules(ev);
  UpdateProgress(ev, touched);
  return std::move(ev).Finish();
}

EngineResult OnOutcomeRecorded(const EngineContext& ctx, const v1::Program& program,
                               const v1::Outcome& outcome, const History& history) {
  std::string local_date = outcome.local_date();
  const absl::CivilDay day = DayOf(local_date, ctx.today);
  Evaluation ev(ctx, program, history, nullptr, nullptr, day, outcome.name());
  CheckNoMeaningfulChange(ev);
  return std::move(ev).Finish();
}

absl::StatusOr<v1::Program> ApplyDecision(const EngineContext& ctx, const v1::Program& program,
                                          const v1::Decision& decision) {
  const bool changes_phase = decision.kind() == v1::DECISION_KIND_CHANGE_PHASE;
  if (!changes_phase && !ChangesPrescription(decision.kind())) return program;
  // A paused program takes them: the proposals waiting are usually the easier doses that
  // make resuming safe, and it stays paused until a clinician resumes it.
  if (program.state() == v1::PROGRAM_STATE_COMPLETED) {
    return FailedPrecondition("PROGRAM_STATE", program.name(),
                              "the program is completed; decisions no longer apply to it");
  }
  if (!changes_phase) return ApplyToPrescription(program, decision);
  if (program.phase() != decision.phase_before()) {
    return FailedPrecondition(
        "PHASE_CHANGED", program.name(),
        absl::StrCat("the program is no longer in ", v1::Phase_Name(decision.phase_before())));
  }
  v1::Program changed = program;
  StartPhase(ctx, decision.phase_after(), ctx.today, changed);
  return changed;
}

}  // namespace kneecoach
