// Protocol management, seeding, and the clinician's review of engine decisions.
#include "service/core/protocol_service.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/core/core_util.h"
#include "service/core/engine_bridge.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/domain/names.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"
#include "service/domain/simulate.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

absl::StatusOr<v1::CreateProtocolResponse> ProtocolService::CreateProtocol(
    const RequestContext& ctx, const v1::CreateProtocolRequest& r) {
  v1::Protocol protocol = r.protocol();
  FieldViolations violations;
  AddProtocolViolations(protocol, "protocol", library_, violations);
  if (!violations.empty()) return violations.ToStatus();
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  // A clinic's protocol ids live in the clinic's own namespace, "<clinic>--<id>" (clinic ids
  // never hold "--"), so that ALREADY_EXISTS can only name one of the caller's own
  // protocols, never tell which ids another clinic uses.
  const std::string clinic_id(absl::StripPrefix(ctx.caller.user.clinic(), "clinics/"));
  const std::string prefix = absl::StrCat(clinic_id, "--");
  if (!absl::StartsWith(protocol.id(), prefix)) {
    protocol.set_id(absl::StrCat(prefix, protocol.id()));
  }
  if (!IsValidId(protocol.id())) {
    return InvalidField("protocol.id", absl::StrCat("with the clinic's prefix \"", prefix,
                                                    "\" it is longer than 64 characters"));
  }
  protocol.set_name(absl::StrCat("protocols/", protocol.id()));
  protocol.set_clinic(ctx.caller.user.clinic());
  return InWrite<v1::CreateProtocolResponse>(
      ctx, writes_, "CreateProtocol", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateProtocolResponse> {
        auto existing = txn.GetProtocol(protocol.id());
        if (existing.ok()) {
          return absl::AlreadyExistsError(
              absl::StrCat("protocol ", protocol.name(), " already exists; choose another id"));
        }
        if (!absl::IsNotFound(existing.status())) return existing.status();
        RETURN_IF_ERROR(txn.PutProtocol(protocol.id(), protocol));
        v1::CreateProtocolResponse response;
        *response.mutable_protocol() = protocol;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::Status ProtocolService::SeedProtocol(const RequestContext& ctx,
                                           const v1::Protocol& protocol) {
  RETURN_IF_ERROR(ctx.CheckLive());
  RETURN_IF_ERROR(ValidateProtocol(protocol, library_));
  ASSIGN_OR_RETURN(auto txn, store_.Begin(/*write=*/true));
  auto existing = txn->GetProtocol(protocol.id());
  if (existing.ok() && existing->version() >= protocol.version()) return absl::OkStatus();
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  v1::Protocol stored = protocol;
  stored.set_name(absl::StrCat("protocols/", protocol.id()));
  RETURN_IF_ERROR(txn->PutProtocol(protocol.id(), stored));
  return txn->Commit();
}

absl::StatusOr<v1::ListProtocolsResponse> ProtocolService::ListProtocols(
    const RequestContext& ctx, const v1::ListProtocolsRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListProtocolsResponse> {
    ASSIGN_OR_RETURN(auto result, txn.ListProtocols(page));
    v1::ListProtocolsResponse response;
    // The shared protocols and the caller's clinic's own.
    const std::string& clinic = ctx.caller.user.clinic();
    for (auto& p : result.items) {
      if (p.clinic().empty() || p.clinic() == clinic) *response.add_protocols() = std::move(p);
    }
    response.set_next_page_token(PageToken(result.next));
    return response;
  });
}

absl::StatusOr<v1::GetProtocolResponse> ProtocolService::GetProtocol(
    const RequestContext& ctx, const v1::GetProtocolRequest& r) {
  return internal::GetByName(ctx, store_, r.name(), "protocols", &Txn::GetProtocol,
                             &v1::GetProtocolResponse::mutable_protocol);
}

}  // namespace kneecoach
