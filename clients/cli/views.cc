#include "clients/cli/views.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"

namespace kneecoach::cli {
namespace {

std::string Streaks(const v1::PrescriptionProgress& p) {
  return absl::StrCat("G", p.green_streak(), " A", p.amber_streak(), " R", p.red_streak());
}

std::string PrescriptionFlags(const v1::Prescription& p) {
  std::vector<std::string> flags;
  if (p.locked()) flags.push_back("locked");
  if (p.suspended()) flags.push_back("suspended");
  if (!p.progress().swapped_from_exercise().empty()) {
    flags.push_back(absl::StrCat("swapped from ", ShortId(p.progress().swapped_from_exercise())));
  }
  if (!p.progress().rest_until_date().empty()) {
    flags.push_back(absl::StrCat("no running before ", p.progress().rest_until_date()));
  }
  return flags.empty() ? "" : absl::StrJoin(flags, ", ");
}

}  // namespace

std::string KneeSides(const v1::Patient& p) {
  return JoinEnumWords(v1::KneeSide_descriptor(), p.affected_sides());
}

void PrintPatient(std::ostream& out, const v1::Patient& p) {
  out << p.name() << "  " << p.display_name() << "\n  clinic " << p.clinic() << ", time zone "
      << p.time_zone() << ", knee " << KneeSides(p) << ", created " << FormatTime(p.create_time())
      << "\n  active program " << (p.active_program().empty() ? "-" : p.active_program())
      << "\n  physiotherapists "
      << (p.physiotherapists().empty() ? "-" : absl::StrJoin(p.physiotherapists(), ", ")) << "\n";
}

std::string LightWord(v1::TrafficLight light) { return absl::AsciiStrToUpper(EnumWord(light)); }

void PrintProgram(std::ostream& out, const v1::Program& program) {
  out << program.name() << "  " << EnumWord(program.state()) << ", phase "
      << EnumWord(program.phase());
  if (!program.phase_start_date().empty()) out << " since " << program.phase_start_date();
  out << "\n  patient " << program.patient() << ", protocol " << program.protocol() << " v"
      << program.protocol_version() << ", started " << program.start_date() << ", approval "
      << EnumWord(program.approval_mode()) << "\n";
  if (!program.pause_reason().empty()) out << "  paused: " << program.pause_reason() << "\n";
  Table table({"PRESCRIPTION", "EXERCISE", "DOSE", "STREAKS", "LAST", "NOTES"});
  for (const auto& p : program.prescriptions()) {
    const auto& last = p.progress().last_done_date();
    table.AddRow({ShortId(p.name()), ShortId(p.exercise()), FormatDose(p.dose()),
                  Streaks(p.progress()), last.empty() ? "-" : last, PrescriptionFlags(p)});
  }
  table.Print(out, "  (no prescriptions)");
}

void PrintSessionPlan(std::ostream& out, const v1::Session& session) {
  out << ShortId(session.program()) << ": day " << session.program_day() << ", "
      << session.local_date() << (session.program_paused() ? "  PAUSED" : "") << "\n";
  if (session.program_paused()) {
    // Whatever the server says why; nothing to do today, so no list of exercises at all.
    out << "PAUSED: no exercises today.\n"
        << (session.message().empty()
                ? "Your program is paused until your physiotherapist resumes it; contact them."
                : session.message())
        << "\n";
  } else if (!session.message().empty()) {
    out << session.message() << "\n";
  }
  int n = 0;
  for (const auto& item : session.items()) {
    if (session.program_paused()) break;
    out << "  " << ++n << ". " << item.display_name() << "  (id " << ShortId(item.prescription())
        << ", " << EnumWord(item.category()) << (item.optional() ? ", optional" : "") << ")\n";
    out << "     " << FormatDose(item.dose()) << (item.done() ? "  [done]" : "") << "\n";
    if (!item.summary().empty()) out << "     " << item.summary() << "\n";
    for (const auto& cue : item.cues()) out << "     > " << cue << "\n";
  }
  if (session.items().empty() && !session.program_paused() && session.message().empty()) {
    out << "  nothing due today\n";
  }
  if (!session.education_cards().empty()) out << "Read today:\n";
  for (const auto& card : session.education_cards()) {
    out << "  - " << card.title() << " (cards get " << card.slug() << ")\n";
  }
  for (int kind : session.outcomes_due()) {
    switch (kind) {
      case v1::OUTCOME_KIND_AKPS:
        out << "Due: the knee questionnaire (AKPS): kneecoach akps, then outcome --akps=...\n";
        break;
      case v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE:
        out << "Due: how is your knee since the program began, -3 to +3: outcome --rating=N\n";
        break;
      case v1::OUTCOME_KIND_STEP_DOWN_30S:
        out << "Due: step-downs from 20 cm in 30 s: outcome --step-downs=N\n";
        break;
      default:
        break;
    }
  }
}

void PrintReportedSession(std::ostream& out, const v1::Session& session) {
  out << "session " << session.name() << " on " << session.local_date() << ": "
      << LightWord(session.traffic_light()) << "\n";
  for (const auto& r : session.reports()) {
    out << "  " << ShortId(r.exercise().empty() ? r.prescription() : r.exercise()) << "  pain "
        << FormatScore(r.has_pain_during(), r.pain_during()) << ", after 1 h "
        << FormatScore(r.has_pain_after_1h(), r.pain_after_1h()) << "  "
        << LightWord(r.traffic_light()) << "\n";
  }
}

std::string DecisionChange(const v1::Decision& d) {
  std::vector<std::string> parts;
  // A side left empty (e.g. on a HOLD) means "unchanged".
  if (!d.exercise_after().empty() && d.exercise_before() != d.exercise_after()) {
    parts.push_back(
        absl::StrCat(ShortId(d.exercise_before()), " -> ", ShortId(d.exercise_after())));
  }
  if (d.has_dose_after()) {
    const std::string before = FormatDose(d.dose_before());
    const std::string after = FormatDose(d.dose_after());
    if (before != after) parts.push_back(absl::StrCat(before, " -> ", after));
  }
  if (d.phase_after() != v1::PHASE_UNSPECIFIED && d.phase_before() != d.phase_after()) {
    parts.push_back(absl::StrCat(EnumWord(d.phase_before()), " -> ", EnumWord(d.phase_after())));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, "; ");
}

void PrintDecisions(std::ostream& out,
                    const google::protobuf::RepeatedPtrField<v1::Decision>& decisions) {
  if (decisions.empty()) return;
  out << "Decisions:\n";
  for (const auto& d : decisions) {
    out << "  " << EnumWord(d.kind()) << " (" << EnumWord(d.state()) << ")";
    if (!d.prescription().empty()) out << " " << ShortId(d.prescription());
    out << ": " << DecisionChange(d);
    if (!d.patient_reason().empty()) out << " - " << d.patient_reason();
    out << "\n";
  }
}

void PrintAlerts(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::Alert>& alerts) {
  if (alerts.empty()) return;
  out << "Alerts:\n";
  for (const auto& a : alerts) {
    out << "  " << EnumWord(a.kind()) << (a.paused_program() ? " (program paused)" : "") << ": "
        << a.message() << "\n";
    if (!a.patient_advice().empty()) out << "    " << a.patient_advice() << "\n";
  }
}

}  // namespace kneecoach::cli
