#include "service/domain/simulate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/errors.h"
#include "service/domain/outcomes.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"
#include "service/domain/schedule.h"

namespace kneecoach {
namespace {

constexpr char kProgram[] = "programs/simulation";
constexpr int kMaxPain = 10;
constexpr int kEventHourUtc = 12;

struct DatedEvent {
  absl::CivilDay day;
  int index;  // in request.events, for field paths
  const v1::SimulatedEvent* event;
};

void CheckPain(bool present, int pain, absl::string_view field, FieldViolations& v) {
  if (!present) {
    v.Add(field, "required");
  } else if (pain < 0 || pain > kMaxPain) {
    v.Add(field, absl::StrCat(pain, " out of range 0..10"));
  }
}

void CheckEvent(const v1::SimulatedEvent& e, const std::string& field, FieldViolations& v) {
  if (e.has_outcome()) {
    CheckOutcome(e.outcome(), field + ".outcome.", v);
    return;
  }
  if (e.has_check_in()) {
    const v1::MorningCheckIn& c = e.check_in();
    CheckPain(c.has_morning_pain(), c.morning_pain(), field + ".check_in.morning_pain", v);
    // Optional, as at ReportMorningCheckIn; the pain rules read usual pain.
    if (c.has_usual_pain()) CheckPain(true, c.usual_pain(), field + ".check_in.usual_pain", v);
    if (c.has_worst_pain()) CheckPain(true, c.worst_pain(), field + ".check_in.worst_pain", v);
    return;
  }
  if (!e.has_session()) {
    v.Add(field, "a session, a check_in or an outcome is required");
    return;
  }
  const v1::SimulatedSession& s = e.session();
  for (int j = 0; j < s.reports_size(); ++j) {
    CheckPain(s.reports(j).has_pain_during(), s.reports(j).pain_during(),
              absl::StrCat(field, ".session.reports[", j, "].pain_during"), v);
  }
  if (s.reports_size() > 0) return;
  CheckPain(s.has_pain_during(), s.pain_during(), field + ".session.pain_during", v);
  if (s.has_pain_after_1h()) {
    CheckPain(true, s.pain_after_1h(), field + ".session.pain_after_1h", v);
  }
  if (!(s.completion() >= 0 && s.completion() <= 1)) {
    v.Add(field + ".session.completion", "must be in 0..1 (0: the whole dose)");
  }
}

// Events in date order, a day's check-ins first; violations for bad dates and inputs.
std::vector<DatedEvent> OrderedEvents(const v1::SimulateProgramRequest& request,
                                      absl::CivilDay start, FieldViolations& v) {
  std::vector<DatedEvent> events;
  for (int i = 0; i < request.events_size(); ++i) {
    const std::string field = absl::StrCat("events[", i, "]");
    auto day = ParseLocalDate(request.events(i).local_date());
    if (!day.ok() || *day < start) {
      v.Add(field + ".local_date", "a date \"YYYY-MM-DD\" on or after start_date is required");
      continue;
    }
    CheckEvent(request.events(i), field, v);
    events.push_back({*day, i, &request.events(i)});
  }
  std::stable_sort(events.begin(), events.end(), [](const DatedEvent& a, const DatedEvent& b) {
    if (a.day != b.day) return a.day < b.day;
    return a.event->has_check_in() && !b.event->has_check_in();
  });
  return events;
}

// Scales what was done of `dose` by `completion` (< 1) on its main volume variable.
void ScaleDone(const v1::Dose& dose, double completion, v1::ExerciseReport& report) {
  auto part = [completion](int whole) {
    return std::max(1, static_cast<int>(std::floor(whole * completion)));
  };
  if (dose.reps() > 0) {
    report.set_reps_done(part(dose.reps()));
  } else if (dose.duration_seconds() > 0) {
    report.set_duration_seconds_done(part(dose.duration_seconds()));
  } else if (dose.sets() > 0) {
    report.set_sets_done(part(dose.sets()));
  }
}

class Simulator {
 public:
  Simulator(const Library& library, const v1::Protocol& protocol, v1::Program program)
      : library_(library), protocol_(protocol) {
    result_.program = std::move(program);
  }

  absl::Status Run(const DatedEvent& e) {
    if (e.event->has_check_in()) {
      ReportCheckIn(e.day, e.event->check_in());
      return absl::OkStatus();
    }
    if (e.event->has_outcome()) {
      RecordOutcome(e.day, e.event->outcome());
      return absl::OkStatus();
    }
    return ReportSession(e.day, e.event->session(), e.index);
  }

  SimulationResult Finish() && { return std::move(result_); }

 private:
  EngineContext ContextFor(absl::CivilDay day) const {
    const absl::Time noon =
        absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), kEventHourUtc, 0, 0),
                        absl::UTCTimeZone());
    return {library_, protocol_, day, noon};
  }

  DoneDates Done() const {
    DoneDates done;
    for (const auto& s : result_.history.sessions) {
      auto day = ParseLocalDate(s.local_date());
      if (!day.ok()) continue;
      for (const auto& r : s.reports()) done[r.prescription()].push_back(*day);
    }
    return done;
  }

  // Explicit reports, or one report per prescription due that day.
  absl::Status FillReports(absl::CivilDay day, const v1::SimulatedSession& in, int index,
                           v1::Session& session) const {
    for (int j = 0; j < in.reports_size(); ++j) {
      const v1::ExerciseReport& report = in.reports(j);
      const auto& ps = result_.program.prescriptions();
      if (std::none_of(ps.begin(), ps.end(), [&](const v1::Prescription& p) {
            return p.name() == report.prescription();
          })) {
        return InvalidField(
            absl::StrCat("events[", index, "].session.reports[", j, "].prescription"),
            absl::StrCat("the program has no prescription \"", report.prescription(), "\" on ",
                         FormatLocalDate(day)));
      }
      *session.add_reports() = report;
    }
    if (in.reports_size() > 0) return absl::OkStatus();
    const double completion = in.completion() > 0 ? in.completion() : 1.0;
    for (const v1::Prescription* p : DuePrescriptions(result_.program, library_, Done(), day)) {
      v1::ExerciseReport* report = session.add_reports();
      report->set_prescription(p->name());
      report->set_pain_during(in.pain_during());
      if (in.has_pain_after_1h()) report->set_pain_after_1h(in.pain_after_1h());
      if (completion < 1) ScaleDone(p->dose(), completion, *report);
    }
    return absl::OkStatus();
  }

  absl::Status ReportSession(absl::CivilDay day, const v1::SimulatedSession& in, int index) {
    v1::Session session;
    session.set_program(kProgram);
    session.set_local_date(FormatLocalDate(day));
    session.set_state(v1::SESSION_STATE_REPORTED);
    if (absl::Status s = FillReports(day, in, index, session); !s.ok()) return s;
    if (session.reports().empty()) return absl::OkStatus();  // nothing due (or paused)
    session.set_name(absl::StrCat(kProgram, "/sessions/", result_.history.sessions.size() + 1));
    EngineResult r = OnSessionReported(ContextFor(day), result_.program, session, result_.history);
    result_.history.sessions.push_back(std::move(session));
    Absorb(std::move(r));
    return absl::OkStatus();
  }

  void ReportCheckIn(absl::CivilDay day, const v1::MorningCheckIn& in) {
    v1::MorningCheckIn check_in = in;
    check_in.set_name(absl::StrCat(kProgram, "/checkIns/", result_.history.check_ins.size() + 1));
    check_in.set_program(kProgram);
    check_in.set_local_date(FormatLocalDate(day));
    EngineResult r = OnCheckInReported(ContextFor(day), result_.program, check_in, result_.history);
    result_.history.check_ins.push_back(std::move(check_in));
    Absorb(std::move(r));
  }

  void RecordOutcome(absl::CivilDay day, const v1::Outcome& in) {
    v1::Outcome outcome = in;
    outcome.set_name(absl::StrCat(kProgram, "/outcomes/", result_.history.outcomes.size() + 1));
    outcome.set_program(kProgram);
    outcome.set_local_date(FormatLocalDate(day));
    outcome.set_value(OutcomeValue(in));
    result_.history.outcomes.push_back(outcome);
    Absorb(OnOutcomeRecorded(ContextFor(day), result_.program, outcome, result_.history));
  }

  void Absorb(EngineResult r) {
    result_.program = std::move(r.program);
    for (auto& d : r.decisions) {
      d.set_name(absl::StrCat(kProgram, "/decisions/", result_.decisions.size() + 1));
      result_.decisions.push_back(std::move(d));
    }
    for (auto& a : r.alerts) {
      a.set_name(absl::StrCat(kProgram, "/alerts/", result_.alerts.size() + 1));
      result_.history.alerts.push_back(a);
      result_.alerts.push_back(std::move(a));
    }
  }

  const Library& library_;
  const v1::Protocol& protocol_;
  SimulationResult result_;
};

absl::StatusOr<v1::Program> StartingProgram(const Library& library,
                                            const v1::SimulateProgramRequest& request,
                                            const v1::Protocol& protocol, absl::CivilDay start) {
  if (!request.program().has_rules()) {
    return NewProgram(request.program(), protocol, library, kProgram, start);
  }
  if (absl::Status s = ValidateRules(request.program().rules(), "program.rules", library);
      !s.ok()) {
    return s;
  }
  // The program's own rules are the ones its modules (cadence) are checked against.
  v1::Protocol with_rules = protocol;
  *with_rules.mutable_rules() = request.program().rules();
  return NewProgram(request.program(), with_rules, library, kProgram, start);
}

}  // namespace

absl::StatusOr<SimulationResult> Simulate(const Library& library,
                                          const v1::SimulateProgramRequest& request,
                                          const SimulationLimits& limits) {
  if (request.events_size() > limits.max_events) {
    return InvalidField("events", absl::StrCat(request.events_size(), " events; at most ",
                                               limits.max_events, " in one simulation"));
  }
  FieldViolations violations;
  if (!request.has_protocol()) {
    violations.Add("protocol", "required (the server resolves protocol_name into it)");
  } else {
    AddProtocolViolations(request.protocol(), "protocol", library, violations);
  }
  auto start = ParseLocalDate(request.start_date());
  if (!start.ok()) violations.Add("start_date", "a date \"YYYY-MM-DD\" is required");
  const std::vector<DatedEvent> events =
      OrderedEvents(request, start.ok() ? *start : absl::CivilDay(), violations);
  if (!violations.empty()) return violations.ToStatus();

  v1::Protocol protocol = request.protocol();
  if (protocol.name().empty()) {
    protocol.set_name(request.protocol_name().empty() ? absl::StrCat("protocols/", protocol.id())
                                                      : request.protocol_name());
  }
  absl::StatusOr<v1::Program> program = StartingProgram(library, request, protocol, *start);
  if (!program.ok()) return program.status();
  if (program->prescriptions_size() > limits.max_prescriptions) {
    return InvalidField("program.prescriptions",
                        absl::StrCat(program->prescriptions_size(), " prescriptions; at most ",
                                     limits.max_prescriptions, " in one simulation"));
  }
  Simulator simulator(library, protocol, *std::move(program));
  for (const DatedEvent& e : events) {
    if (limits.check) {
      if (absl::Status s = limits.check(); !s.ok()) return s;
    }
    if (absl::Status s = simulator.Run(e); !s.ok()) return s;
  }
  return std::move(simulator).Finish();
}

v1::SimulateProgramResponse ToResponse(SimulationResult result) {
  v1::SimulateProgramResponse response;
  for (auto& d : result.decisions) *response.add_decisions() = std::move(d);
  for (auto& a : result.alerts) *response.add_alerts() = std::move(a);
  *response.mutable_program() = std::move(result.program);
  return response;
}

}  // namespace kneecoach
