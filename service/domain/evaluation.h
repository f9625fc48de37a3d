// Internal to the engine: the working state of one engine call (the program being changed,
// the timeline it is judged on, the decisions and alerts so far) and the single place where
// decisions are recorded, so clinician authority is enforced once:
//   - a locked prescription is never changed: the change becomes a HOLD note;
//   - in approval mode, dose and phase decisions are PROPOSED and not applied;
//   - a paused program gets no dose or phase decisions at all (callers check paused());
//   - safety pauses apply at once in every mode.
//
// Not thread-safe: one per engine call.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "service/domain/engine.h"
#include "service/domain/progression.h"
#include "service/domain/timeline.h"

namespace kneecoach {

// Rule ids the engine writes into Decision.rule, for the ones other parts read back.
inline constexpr char kRuleReturnFromIsometric[] = "progress.return_from_isometric";
inline constexpr char kRuleLocked[] = "hold.locked";

class Evaluation {
 public:
  // `session` / `check_in`: the report being processed (one of them; the other nullptr).
  // `source`: its resource name, copied to Decision.source.
  Evaluation(const EngineContext& ctx, const v1::Program& program, const History& history,
             const v1::Session* session, const v1::MorningCheckIn* check_in, absl::CivilDay day,
             std::string source);
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  const EngineContext& ctx() const { return ctx_; }
  const Library& library() const { return ctx_.library; }
  // The program's rules in force (RulesInForce: its copy, completed from its protocol).
  const v1::ProtocolRules& rules() const { return rules_; }
  const Timeline& timeline() const { return timeline_; }
  // The timeline as the previous event saw it (without the report being processed, as of
  // the latest earlier report's day): what this event confirmed is what changed since.
  const Timeline& before() const { return before_; }
  const History& history() const { return history_; }
  absl::CivilDay day() const { return day_; }
  v1::Program& program() { return program_; }
  const v1::Program& program() const { return program_; }
  bool paused() const { return program_.state() == v1::PROGRAM_STATE_PAUSED; }
  bool approval_mode() const {
    return program_.approval_mode() == v1::APPROVAL_MODE_CLINICIAN_APPROVAL;
  }
  v1::Prescription* FindPrescription(absl::string_view name);

  // Records a change of `p`'s exercise or dose described by `decision` (kind, rule, inputs,
  // light, reasons). Locked: recorded as a HOLD note instead. Approval mode: PROPOSED, not
  // applied. Otherwise APPLIED to the program.
  void Change(v1::Prescription& p, const DoseChange& change, v1::Decision decision);
  // Records a decision that changes no dose (HOLD, REST_FROM_RUNNING, CADENCE_STEP): APPLIED.
  void Note(const v1::Prescription* p, v1::Decision decision);
  // Records a phase change to `next`: PROPOSED in approval mode, else applied.
  void ChangePhase(v1::Phase next, v1::Decision decision);
  // Pauses the program at once, in any mode, recording a PAUSE decision.
  void Pause(absl::string_view reason, v1::Decision decision);

  // Raises an alert for the clinician (program, patient and create_time filled in).
  void Raise(v1::Alert alert);
  // Whether an alert of `kind` was raised within `window` before now (or in this call).
  bool AlertedWithin(v1::AlertKind kind, absl::Duration window) const;

  EngineResult Finish() &&;

 private:
  // Fills the fields every decision has and adds it to the result.
  void Record(const v1::Prescription* p, v1::Decision decision, v1::DecisionState state);

  const EngineContext& ctx_;
  const History& history_;
  v1::Program program_;
  v1::ProtocolRules rules_;
  Timeline timeline_;
  Timeline before_;
  absl::CivilDay day_;
  std::string source_;
  std::vector<v1::Decision> decisions_;
  std::vector<v1::Alert> alerts_;
};

// Applies a prescription decision's after-state to `p` (exercise, dose; remembers the
// exercise swapped away from, forgets it on return). Shared with ApplyDecision.
void ApplyPrescriptionDecision(const v1::Decision& decision, v1::Prescription& p);

// Starts phase `next` on `day`: sets phase and phase_start_date, adds the phase template's
// prescriptions whose ladder (or, without one, exercise) the program does not have yet, and
// puts the template's frequency rules in force. Shared with ApplyDecision.
void StartPhase(const EngineContext& ctx, v1::Phase next, absl::CivilDay day, v1::Program& program);

// Decision.inputs[key] = value, formatted with absl::StrCat.
void PutInput(v1::Decision& decision, absl::string_view key, absl::string_view value);
void PutInput(v1::Decision& decision, absl::string_view key, double value);
void PutInput(v1::Decision& decision, absl::string_view key, v1::TrafficLight light);

// "Wall sit at 30-45 degrees, 5 x 30 s hold" for reasons and notes.
std::string DescribePrescription(const Library& library, absl::string_view exercise,
                                 const v1::Dose& dose);

}  // namespace kneecoach
