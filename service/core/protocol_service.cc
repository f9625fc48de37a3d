// Protocol management, seeding, and the clinician's review of engine decisions.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/core/core.h"
#include "service/core/core_util.h"
#include "service/core/engine_bridge.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/domain/names.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"
#include "service/domain/simulate.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::ToProto;

namespace {

// The decision `name` (id `id`) if it still awaits review: NOT_FOUND if there is no such
// decision, FAILED_PRECONDITION if it was already reviewed or superseded.
absl::StatusOr<v1::Decision> LoadProposal(Txn& txn, const std::string& id, const std::string& name,
                                          absl::string_view verb) {
  auto decision = txn.GetDecision(id);
  if (!decision.ok() || decision->name() != name) return NotFound("decision", name);
  if (decision->state() != v1::DECISION_STATE_PROPOSED) {
    return FailedPrecondition(
        "DECISION_STATE", name,
        absl::StrCat("decision is ", v1::DecisionState_Name(decision->state()),
                     "; only PROPOSED decisions can be ", verb));
  }
  return decision;
}

}  // namespace

absl::StatusOr<v1::CreateProtocolResponse> Core::CreateProtocol(
    const v1::CreateProtocolRequest& r) {
  v1::Protocol protocol = r.protocol();
  FieldViolations violations;
  AddProtocolViolations(protocol, "protocol", library_, violations);
  if (!violations.empty()) return violations.ToStatus();
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  // A clinic's protocol ids live in the clinic's own namespace, "<clinic>--<id>" (clinic ids
  // never hold "--"), so that ALREADY_EXISTS can only name one of the caller's own
  // protocols, never tell which ids another clinic uses.
  const std::string clinic_id(absl::StripPrefix(CurrentCaller().user.clinic(), "clinics/"));
  const std::string prefix = absl::StrCat(clinic_id, "--");
  if (!absl::StartsWith(protocol.id(), prefix)) {
    protocol.set_id(absl::StrCat(prefix, protocol.id()));
  }
  if (!IsValidId(protocol.id())) {
    return InvalidField("protocol.id", absl::StrCat("with the clinic's prefix \"", prefix,
                                                    "\" it is longer than 64 characters"));
  }
  protocol.set_name(absl::StrCat("protocols/", protocol.id()));
  protocol.set_clinic(CurrentCaller().user.clinic());
  return InWrite<v1::CreateProtocolResponse>(
      writes_, "CreateProtocol", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateProtocolResponse> {
        auto existing = txn.GetProtocol(protocol.id());
        if (existing.ok()) {
          return absl::AlreadyExistsError(
              absl::StrCat("protocol ", protocol.name(), " already exists; choose another id"));
        }
        if (!absl::IsNotFound(existing.status())) return existing.status();
        if (absl::Status s = txn.PutProtocol(protocol.id(), protocol); !s.ok()) return s;
        v1::CreateProtocolResponse response;
        *response.mutable_protocol() = protocol;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::Status Core::SeedProtocol(const v1::Protocol& protocol) {
  if (absl::Status s = ValidateProtocol(protocol, library_); !s.ok()) return s;
  auto txn = store_.Begin(/*write=*/true);
  if (!txn.ok()) return txn.status();
  auto existing = (*txn)->GetProtocol(protocol.id());
  if (existing.ok() && existing->version() >= protocol.version()) return absl::OkStatus();
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  v1::Protocol stored = protocol;
  stored.set_name(absl::StrCat("protocols/", protocol.id()));
  if (absl::Status s = (*txn)->PutProtocol(protocol.id(), stored); !s.ok()) return s;
  return (*txn)->Commit();
}

absl::StatusOr<v1::RejectDecisionResponse> Core::RejectDecision(
    const v1::RejectDecisionRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "decisions"});
  if (!ids.ok()) return ids.status();
  if (r.reason().empty()) return InvalidField("reason", "required");
  if (r.reason().size() > 2000) return InvalidField("reason", "longer than 2000 bytes");
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::RejectDecisionResponse>(
      writes_, absl::StrCat("RejectDecision:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::RejectDecisionResponse> {
        auto decision = LoadProposal(txn, (*ids)[1], r.name(), "rejected");
        if (!decision.ok()) return decision.status();
        decision->set_state(v1::DECISION_STATE_REJECTED);
        decision->set_review_reason(r.reason());
        internal::CreditReviewer(*decision);
        *decision->mutable_review_time() = ToProto(clock_.Now());
        if (absl::Status s = txn.UpdateDecision((*ids)[1], *decision); !s.ok()) return s;
        v1::RejectDecisionResponse response;
        *response.mutable_decision() = *std::move(decision);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::ApproveDecisionResponse> Core::ApproveDecision(
    const v1::ApproveDecisionRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "decisions"});
  if (!ids.ok()) return ids.status();
  if (r.reason().size() > 2000) return InvalidField("reason", "longer than 2000 bytes");
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::ApproveDecisionResponse>(
      writes_, absl::StrCat("ApproveDecision:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ApproveDecisionResponse> {
        auto decision = LoadProposal(txn, (*ids)[1], r.name(), "approved");
        if (!decision.ok()) return decision.status();
        auto loaded = internal::LoadProgram(txn, "name", decision->program());
        if (!loaded.ok()) return loaded.status();
        if (absl::Status s = CheckStoredProgram(loaded->program); !s.ok()) return s;
        auto protocol = internal::ProtocolOf(txn, loaded->program);
        if (!protocol.ok()) return protocol.status();
        const absl::Time now = clock_.Now();
        const EngineContext ctx{library_, *protocol, LocalDateAt(now, loaded->zone), now};
        auto program = ApplyDecision(ctx, loaded->program, *decision);
        if (!program.ok()) return program.status();
        *program->mutable_update_time() = ToProto(now);
        if (absl::Status s = txn.UpdateProgram(loaded->id, *program); !s.ok()) return s;
        decision->set_state(v1::DECISION_STATE_APPLIED);
        decision->set_review_reason(r.reason());
        internal::CreditReviewer(*decision);
        *decision->mutable_review_time() = ToProto(now);
        if (absl::Status s = txn.UpdateDecision((*ids)[1], *decision); !s.ok()) return s;
        v1::ApproveDecisionResponse response;
        *response.mutable_decision() = *std::move(decision);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::SimulateProgramResponse> Core::SimulateProgram(
    const v1::SimulateProgramRequest& r) {
  v1::SimulateProgramRequest request = r;
  if (!request.has_protocol()) {
    const std::string name =
        r.protocol_name().empty() ? options_.default_protocol : r.protocol_name();
    auto id = ParseId("protocol_name", name, "protocols");
    if (!id.ok()) return id.status();
    auto protocol = InRead(store_, [&](Txn& txn) { return txn.GetProtocol(*id); });
    if (!protocol.ok()) return protocol.status();
    *request.mutable_protocol() = *std::move(protocol);
  }
  const Caller& caller = CurrentCaller();
  SimulationLimits limits;
  limits.max_events = options_.max_simulated_events;
  limits.max_prescriptions = options_.max_simulated_prescriptions;
  limits.check = [&caller]() -> absl::Status {
    if (caller.cancelled && caller.cancelled()) return absl::CancelledError("call cancelled");
    if (absl::Now() > caller.deadline) {
      return absl::DeadlineExceededError("the caller's deadline passed during the simulation");
    }
    return absl::OkStatus();
  };
  auto result = Simulate(library_, request, limits);
  if (!result.ok()) return result.status();
  return ToResponse(*std::move(result));
}

}  // namespace kneecoach
