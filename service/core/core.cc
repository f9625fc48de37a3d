#include "service/core/core.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"

namespace kneecoach {

using internal::IdOf;
using internal::InRead;
using internal::InWrite;
using internal::IssueToken;
using internal::ToProto;

Core::Core(const Library& library, Store& store, const Clock& clock, IdGenerator& ids,
           CoreOptions options)
    : state_(library, store, clock, ids, std::move(options)) {
  // The page tokens' key is the store's, so tokens survive restarts and work on every replica.
  internal::LoadPageKey(state_.store);
  // What other replicas sharing the store commit reaches this one's caches (a store only
  // this process uses never calls).
  state_.store.WatchChanges([this](const StoreChange& change) {
    switch (change.kind) {
      case StoreChange::Kind::kProgram:
        state_.plan_cache.Invalidate(change.program_id);
        break;
      case StoreChange::Kind::kAccess:
        state_.access_cache.Invalidate();
        break;
      case StoreChange::Kind::kEverything:
        state_.plan_cache.InvalidateAll();
        state_.access_cache.Invalidate();
        break;
    }
  });
}

Core::~Core() { state_.store.WatchChanges({}); }

namespace {

// A context for `caller` calling `method` of kneecoach.v1 ("PatientService/CreatePatient").
absl::StatusOr<RequestContext> As(Caller caller, absl::string_view method) {
  ASSIGN_OR_RETURN(const MethodRegistry* api, MethodRegistry::Api());
  const MethodInfo* info = api->Find(absl::StrCat("/kneecoach.v1.", method));
  if (info == nullptr) return absl::InternalError(absl::StrCat("no method ", method));
  return RequestContext::ForCall(std::move(caller), info, "");
}

}  // namespace

absl::StatusOr<std::optional<Core::DemoCredentials>> Core::SeedDemo(const RequestContext& ctx) {
  auto exists = InRead(ctx, state_.store, [&](Txn& txn) { return txn.GetClinic("demo"); });
  if (exists.ok()) return std::nullopt;
  if (!absl::IsNotFound(exists.status())) return exists.status();
  DemoCredentials demo;
  ASSIGN_OR_RETURN(demo.clinic_admin, BootstrapAdmin(ctx, "demo", "Dana Admin (demo)"));
  // Everything else is done as the demo admin, through the same use cases as the API.
  ASSIGN_OR_RETURN(Caller admin, Authenticate(absl::StrCat("Bearer ", demo.clinic_admin)));
  v1::CreateUserRequest physio;
  physio.mutable_user()->set_display_name("Pat Physio (demo)");
  physio.mutable_user()->set_role(v1::ROLE_PHYSIOTHERAPIST);
  ASSIGN_OR_RETURN(RequestContext as_admin, As(admin, "AccessService/CreateUser"));
  ASSIGN_OR_RETURN(v1::CreateUserResponse created_physio, access_.CreateUser(as_admin, physio));
  ASSIGN_OR_RETURN(v1::CreateTokenResponse physio_token,
                   InWrite<v1::CreateTokenResponse>(
                       ctx, state_.writes, "SeedDemo", "",
                       [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
                         ASSIGN_OR_RETURN(auto t,
                                          IssueToken(txn, state_.ids, state_.clock.Now(),
                                                     IdOf(created_physio.user().name()), "demo",
                                                     state_.options.default_token_ttl_days));
                         v1::CreateTokenResponse response;
                         response.set_secret(t.secret);
                         return response;
                       }));
  demo.physiotherapist = physio_token.secret();
  ASSIGN_OR_RETURN(Caller physio_caller,
                   Authenticate(absl::StrCat("Bearer ", demo.physiotherapist)));

  v1::CreatePatientRequest patient;
  patient.mutable_patient()->set_display_name("Alex Demo");
  patient.mutable_patient()->set_clinic("clinics/demo");
  patient.mutable_patient()->set_time_zone("Europe/London");
  patient.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_RIGHT);
  ASSIGN_OR_RETURN(RequestContext as_physio, As(physio_caller, "PatientService/CreatePatient"));
  ASSIGN_OR_RETURN(v1::CreatePatientResponse created, patients_.CreatePatient(as_physio, patient));
  v1::CreateProgramRequest program;
  program.mutable_program()->set_patient(created.patient().name());
  ASSIGN_OR_RETURN(as_physio, As(physio_caller, "ProgramService/CreateProgram"));
  ASSIGN_OR_RETURN(v1::CreateProgramResponse created_program,
                   programs_.CreateProgram(as_physio, program));
  v1::CreateEnrollmentCodeRequest enroll;
  enroll.set_patient(created.patient().name());
  ASSIGN_OR_RETURN(as_physio, As(physio_caller, "AccessService/CreateEnrollmentCode"));
  ASSIGN_OR_RETURN(v1::CreateEnrollmentCodeResponse code,
                   access_.CreateEnrollmentCode(as_physio, enroll));
  demo.program = created_program.program().name();
  Caller enrolling;
  enrolling.enrollment_code = code.code();
  ASSIGN_OR_RETURN(RequestContext as_phone, As(enrolling, "AccessService/EnrollDevice"));
  v1::EnrollDeviceRequest device;
  device.set_device_name("demo phone");
  ASSIGN_OR_RETURN(v1::EnrollDeviceResponse phone, access_.EnrollDevice(as_phone, device));
  demo.patient = phone.secret();
  return demo;
}

absl::Status Core::CheckSignInAllowed(const std::string& peer, bool enrollment) {
  const absl::Duration wait = state_.sign_ins.Wait(peer, enrollment, state_.clock.Now());
  if (wait <= absl::ZeroDuration()) return absl::OkStatus();
  const absl::Duration rounded = absl::Ceil(wait, absl::Seconds(1));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("too many failed sign-ins", enrollment ? " or enrollment codes" : "",
                   "; retry in ", absl::FormatDuration(rounded)));
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(rounded));
  status.SetPayload("type.googleapis.com/google.rpc.RetryInfo",
                    absl::Cord(retry.SerializeAsString()));
  return status;
}

absl::Status Core::RecordFailedSignIn(const std::string& peer, absl::string_view method,
                                      absl::string_view why) {
  // Under attack: counted, not audited.
  if (!state_.sign_ins.Failed(peer, state_.clock.Now())) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::unique_ptr<Txn> txn, state_.store.Begin(/*write=*/true));
  v1::AuditEntry entry;
  const std::string id = state_.ids.NewId();
  entry.set_name(absl::StrCat("clinics/-/auditEntries/", id));
  *entry.mutable_time() = ToProto(state_.clock.Now());
  entry.set_actor("unauthenticated");
  entry.set_method(std::string(method));
  entry.set_resource(absl::CHexEscape(peer));
  entry.set_summary(absl::StrCat("failed sign-in: ", why));
  RETURN_IF_ERROR(txn->InsertAudit(id, "", "", entry));
  return txn->Commit();
}

}  // namespace kneecoach
