// Core: kneecoach's use cases over the domain (library, scheduling, engine) and the Store,
// one class per service (ExerciseLibraryService, PatientService, ProgramService,
// SessionService, OutcomeService, AlertService, AccessService, ProtocolService), each in
// the files named after it. Core owns what they share (core_state.h) and hands them out,
// and holds what is not one service's: authentication, authorization and seeding.
//
// Every use case takes the call's RequestContext first (who, which method, deadline). It
// validates the request (INVALID_ARGUMENT with field violations), runs it in one store
// transaction, and replays the stored response for a repeated request_id. Core knows
// nothing of gRPC or SQLite; service/server adapts it.
//
// Thread safety: all methods may be called concurrently; the Store serialises writes.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "service/core/access_service.h"
#include "service/core/alert_service.h"
#include "service/core/caller.h"
#include "service/core/core_state.h"
#include "service/core/exercise_library_service.h"
#include "service/core/method_registry.h"
#include "service/core/outcome_service.h"
#include "service/core/patient_service.h"
#include "service/core/program_service.h"
#include "service/core/protocol_service.h"
#include "service/core/request_context.h"
#include "service/core/session_service.h"

namespace kneecoach {

class Core {
 public:
  // All references must outlive the Core.
  Core(const Library& library, Store& store, const Clock& clock, IdGenerator& ids,
       CoreOptions options = {});
  // Stops listening to the store's changes (Store::WatchChanges).
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  ExerciseLibraryService& exercise_library() { return exercise_library_; }
  PatientService& patients() { return patients_; }
  ProgramService& programs() { return programs_; }
  SessionService& sessions() { return sessions_; }
  OutcomeService& outcomes() { return outcomes_; }
  AlertService& alerts() { return alerts_; }
  AccessService& access() { return access_; }
  ProtocolService& protocols() { return protocols_; }

  // Credentials created by SeedDemo, shown once.
  struct DemoCredentials {
    std::string clinic_admin;
    std::string physiotherapist;
    std::string patient;
    std::string program;  // the demo program's name
  };
  // Creates clinic "clinics/demo" with an admin, a physiotherapist, a patient assigned to
  // them with an enrolled phone, and a program, unless the clinic already exists (nullopt).
  // `ctx` is a system context (RequestContext::System).
  absl::StatusOr<std::optional<DemoCredentials>> SeedDemo(const RequestContext& ctx);
  // AccessService::BootstrapAdmin, and ProtocolService::SeedProtocol.
  absl::StatusOr<std::string> BootstrapAdmin(const RequestContext& ctx,
                                             const std::string& clinic_id,
                                             const std::string& admin_name) {
    return access_.BootstrapAdmin(ctx, clinic_id, admin_name);
  }
  absl::Status SeedProtocol(const RequestContext& ctx, const v1::Protocol& protocol) {
    return protocols_.SeedProtocol(ctx, protocol);
  }

  // Authentication: the caller behind an `authorization` metadata value ("Bearer ...").
  // UNAUTHENTICATED when missing, malformed, unknown, expired, revoked or the user is
  // disabled; UNAVAILABLE or INTERNAL when the store cannot say. An enrollment code is
  // accepted (for EnrollDevice only).
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization);
  // Authorization: the one place that decides whether the caller of `ctx` may call its
  // method with `request`, by the method's access rule (MethodInfo, from the protos; see
  // service/core/access_policy.cc). Resolves the request's target (patient, program,
  // clinic, user) into ctx.caller. PERMISSION_DENIED when outside the caller's scope,
  // whether or not the target exists; a store failure is UNAVAILABLE or INTERNAL, never
  // PERMISSION_DENIED.
  absl::Status Authorize(RequestContext& ctx, const google::protobuf::Message& request);

  // Failed sign-ins (SignInLimiter): OK if `peer` (an address) may try to sign in now,
  // with an enrollment code when `enrollment`; else RESOURCE_EXHAUSTED with a
  // google.rpc.RetryInfo saying how long to wait.
  absl::Status CheckSignInAllowed(const std::string& peer, bool enrollment);
  // Counts a failed sign-in of `peer` calling `method` and audits it (actor
  // "unauthenticated", the peer as resource, `why` as summary; under no clinic, since an
  // unknown credential names none) while the server-wide budget lasts. Returns the store's
  // error if the audit entry could not be written (the sign-in is counted anyway).
  absl::Status RecordFailedSignIn(const std::string& peer, absl::string_view method,
                                  absl::string_view why);

  PlanCache::Stats plan_cache_stats() { return state_.plan_cache.stats(); }

 private:
  internal::CoreState state_;
  ExerciseLibraryService exercise_library_{state_};
  PatientService patients_{state_};
  ProgramService programs_{state_};
  SessionService sessions_{state_};
  OutcomeService outcomes_{state_};
  AlertService alerts_{state_};
  AccessService access_{state_};
  ProtocolService protocols_{state_};
};

}  // namespace kneecoach
