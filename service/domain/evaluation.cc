#include "service/domain/evaluation.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"

namespace kneecoach {
namespace {

constexpr char kEngineAuthor[] = "engine";

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// The change described as a lock note: what the engine would have done.
v1::Decision AsLockedNote(const Library& library, const v1::Prescription& p,
                          const DoseChange& change, v1::Decision decision) {
  PutInput(decision, "would_be_rule", decision.rule());
  PutInput(decision, "would_be_kind", v1::DecisionKind_Name(decision.kind()));
  decision.set_clinician_reason(
      absl::StrCat("Locked by the clinician, so nothing changed. The engine would have applied ",
                   decision.rule(), ": ", DescribePrescription(library, p.exercise(), p.dose()),
                   " -> ", DescribePrescription(library, change.exercise, change.dose), ". ",
                   decision.clinician_reason()));
  decision.set_patient_reason("Your physiotherapist has set this exercise: keep the same dose.");
  decision.set_kind(v1::DECISION_KIND_HOLD);
  decision.set_rule(kRuleLocked);
  return decision;
}

bool HasLadderOrExercise(const v1::Program& program, const v1::PrescriptionTemplate& t) {
  for (const auto& p : program.prescriptions()) {
    const bool same = t.ladder_id().empty() ? ExerciseSlug(p.exercise()) == t.exercise_slug()
                                            : LadderIdOf(p.ladder()) == t.ladder_id();
    if (same) return true;
  }
  return false;
}

// The protocol with only `phase`'s template, minus prescriptions the program already has.
v1::Protocol TemplateOfNew(const v1::Protocol& protocol, v1::Phase phase,
                           const v1::Program& program) {
  v1::Protocol filtered;
  for (const auto& t : protocol.phases()) {
    if (t.phase() != phase) continue;
    v1::PhaseTemplate* copy = filtered.add_phases();
    copy->set_phase(phase);
    for (const auto& pt : t.prescriptions()) {
      if (!HasLadderOrExercise(program, pt)) *copy->add_prescriptions() = pt;
    }
  }
  return filtered;
}

void PutFrequencyRules(const v1::Protocol& protocol, v1::Phase phase, v1::Program& program) {
  auto* rules = program.mutable_rules()->mutable_frequency_rules();
  for (const auto& t : protocol.phases()) {
    if (t.phase() != phase) continue;
    for (const auto& rule : t.frequency_rules()) {
      bool replaced = false;
      for (auto& existing : *rules) {
        if (existing.frequency_class() != rule.frequency_class()) continue;
        existing = rule;
        replaced = true;
      }
      if (!replaced) *rules->Add() = rule;
    }
  }
}

// The day of the latest report in `history` dated on or before `day` (`day` if none).
absl::CivilDay PreviousEventDay(const History& history, absl::CivilDay day) {
  std::optional<absl::CivilDay> latest;
  auto consider = [&](const std::string& local_date) {
    auto d = ParseLocalDate(local_date);
    if (d.ok() && *d <= day && (!latest.has_value() || *d > *latest)) latest = *d;
  };
  for (const auto& s : history.sessions) consider(s.local_date());
  for (const auto& c : history.check_ins) consider(c.local_date());
  return latest.value_or(day);
}

}  // namespace

void PutInput(v1::Decision& decision, absl::string_view key, absl::string_view value) {
  (*decision.mutable_inputs())[std::string(key)] = std::string(value);
}

void PutInput(v1::Decision& decision, absl::string_view key, double value) {
  PutInput(decision, key, absl::StrCat(value));
}

void PutInput(v1::Decision& decision, absl::string_view key, v1::TrafficLight light) {
  PutInput(decision, key, v1::TrafficLight_Name(light));
}

std::string DescribePrescription(const Library& library, absl::string_view exercise,
                                 const v1::Dose& dose) {
  const v1::Exercise* e = library.FindExercise(ExerciseSlug(exercise));
  return absl::StrCat(e != nullptr ? e->display_name() : ExerciseSlug(exercise), ", ",
                      DescribeDose(dose));
}

void ApplyPrescriptionDecision(const v1::Decision& decision, v1::Prescription& p) {
  auto* progress = p.mutable_progress();
  if (decision.kind() == v1::DECISION_KIND_SWAP_TO_ISOMETRIC &&
      progress->swapped_from_exercise().empty()) {
    progress->set_swapped_from_exercise(decision.exercise_before());
  }
  if (decision.rule() == kRuleReturnFromIsometric) progress->clear_swapped_from_exercise();
  p.set_exercise(decision.exercise_after());
  *p.mutable_dose() = decision.dose_after();
}

void StartPhase(const EngineContext& ctx, v1::Phase next, absl::CivilDay day,
                v1::Program& program) {
  const v1::Protocol additions = TemplateOfNew(ctx.protocol, next, program);
  AddTemplatePrescriptions(additions, next, ctx.library, program);
  PutFrequencyRules(ctx.protocol, next, program);
  program.set_phase(next);
  program.set_phase_start_date(FormatLocalDate(day));
}

Evaluation::Evaluation(const EngineContext& ctx, const v1::Program& program, const History& history,
                       const v1::Session* session, const v1::MorningCheckIn* check_in,
                       absl::CivilDay day, std::string source)
    : ctx_(ctx),
      history_(history),
      program_(program),
      rules_(RulesInForce(program.rules(), ctx.protocol.rules())),
      timeline_(history, session, check_in, rules_, day, day),
      before_(history, nullptr, nullptr, rules_, day, PreviousEventDay(history, day)),
      day_(day),
      source_(std::move(source)) {}

v1::Prescription* Evaluation::FindPrescription(absl::string_view name) {
  for (auto& p : *program_.mutable_prescriptions()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

void Evaluation::Record(const v1::Prescription* p, v1::Decision decision, v1::DecisionState state) {
  decision.set_program(program_.name());
  if (p != nullptr) decision.set_prescription(p->name());
  decision.set_state(state);
  decision.set_author(kEngineAuthor);
  decision.set_source(source_);
  PutInput(decision, "local_date", FormatLocalDate(day_));
  *decision.mutable_create_time() = TimestampOf(ctx_.now);
  decisions_.push_back(std::move(decision));
}

void Evaluation::Change(v1::Prescription& p, const DoseChange& change, v1::Decision decision) {
  decision.set_exercise_before(p.exercise());
  *decision.mutable_dose_before() = p.dose();
  if (p.locked()) {
    Record(&p, AsLockedNote(library(), p, change, std::move(decision)), v1::DECISION_STATE_APPLIED);
    return;
  }
  decision.set_exercise_after(change.exercise);
  *decision.mutable_dose_after() = change.dose;
  PutInput(decision, "variable", change.variable);
  if (approval_mode()) {
    Record(&p, std::move(decision), v1::DECISION_STATE_PROPOSED);
    return;
  }
  ApplyPrescriptionDecision(decision, p);
  Record(&p, std::move(decision), v1::DECISION_STATE_APPLIED);
}

void Evaluation::Note(const v1::Prescription* p, v1::Decision decision) {
  if (p != nullptr) {
    decision.set_exercise_before(p->exercise());
    *decision.mutable_dose_before() = p->dose();
  }
  Record(p, std::move(decision), v1::DECISION_STATE_APPLIED);
}

void Evaluation::ChangePhase(v1::Phase next, v1::Decision decision) {
  decision.set_kind(v1::DECISION_KIND_CHANGE_PHASE);
  decision.set_phase_before(program_.phase());
  decision.set_phase_after(next);
  if (approval_mode()) {
    Record(nullptr, std::move(decision), v1::DECISION_STATE_PROPOSED);
    return;
  }
  StartPhase(ctx_, next, day_, program_);
  *rules_.mutable_frequency_rules() = program_.rules().frequency_rules();
  Record(nullptr, std::move(decision), v1::DECISION_STATE_APPLIED);
}

void Evaluation::Pause(absl::string_view reason, v1::Decision decision) {
  program_.set_state(v1::PROGRAM_STATE_PAUSED);
  program_.set_pause_reason(std::string(reason));
  *program_.mutable_pause_time() = TimestampOf(ctx_.now);
  decision.set_kind(v1::DECISION_KIND_PAUSE);
  Record(nullptr, std::move(decision), v1::DECISION_STATE_APPLIED);
}

void Evaluation::Raise(v1::Alert alert) {
  alert.set_program(program_.name());
  alert.set_patient(program_.patient());
  *alert.mutable_create_time() = TimestampOf(ctx_.now);
  alerts_.push_back(std::move(alert));
}

bool Evaluation::AlertedWithin(v1::AlertKind kind, absl::Duration window) const {
  auto recent = [&](const v1::Alert& a) {
    return a.kind() == kind && TimeOf(a.create_time()) > ctx_.now - window;
  };
  for (const auto& a : history_.alerts) {
    if (recent(a)) return true;
  }
  for (const auto& a : alerts_) {
    if (a.kind() == kind) return true;
  }
  return false;
}

EngineResult Evaluation::Finish() && {
  return {std::move(program_), std::move(decisions_), std::move(alerts_)};
}

}  // namespace kneecoach
