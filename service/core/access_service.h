// AccessService's use cases. Users, tokens, device enrollment and the audit trail, and
// bootstrapping a clinic's first admin.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/access.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

namespace internal {

// The id in a resource name: "x1" for "users/x1" (and for "users/x1/tokens/t2").
std::string IdOf(absl::string_view name);

struct IssuedToken {
  v1::Token token;
  std::string secret;
};

// A new token for `user_id`; only the secret's hash is stored.
// `not_after` caps its lifetime; `parent_id` is the token it was made with, if any.
absl::StatusOr<IssuedToken> IssueToken(Txn& txn, IdGenerator& ids, absl::Time now,
                                       const std::string& user_id, const std::string& display_name,
                                       int ttl_days, absl::Time not_after = absl::InfiniteFuture(),
                                       const std::string& parent_id = "");

}  // namespace internal

class AccessService : private internal::UseCases {
 public:
  explicit AccessService(internal::CoreState& state) : UseCases(state) {}

  // The first admin of a clinic (creating the clinic if needed), for the server's
  // --bootstrap_admin command: returns the admin's bearer secret, shown once.
  absl::StatusOr<std::string> BootstrapAdmin(const RequestContext& ctx,
                                             const std::string& clinic_id,
                                             const std::string& admin_name);

  absl::StatusOr<v1::GetCurrentUserResponse> GetCurrentUser(const RequestContext& ctx,
                                                            const v1::GetCurrentUserRequest& r);
  absl::StatusOr<v1::GetClinicResponse> GetClinic(const RequestContext& ctx,
                                                  const v1::GetClinicRequest& r);
  absl::StatusOr<v1::CreateUserResponse> CreateUser(const RequestContext& ctx,
                                                    const v1::CreateUserRequest& r);
  absl::StatusOr<v1::GetUserResponse> GetUser(const RequestContext& ctx,
                                              const v1::GetUserRequest& r);
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const RequestContext& ctx,
                                                  const v1::ListUsersRequest& r);
  absl::StatusOr<v1::UpdateUserResponse> UpdateUser(const RequestContext& ctx,
                                                    const v1::UpdateUserRequest& r);
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const RequestContext& ctx,
                                                      const v1::CreateTokenRequest& r);
  absl::StatusOr<v1::ListTokensResponse> ListTokens(const RequestContext& ctx,
                                                    const v1::ListTokensRequest& r);
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const RequestContext& ctx,
                                                      const v1::RevokeTokenRequest& r);
  absl::StatusOr<v1::CreateEnrollmentCodeResponse> CreateEnrollmentCode(
      const RequestContext& ctx, const v1::CreateEnrollmentCodeRequest& r);
  absl::StatusOr<v1::EnrollDeviceResponse> EnrollDevice(const RequestContext& ctx,
                                                        const v1::EnrollDeviceRequest& r);
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const RequestContext& ctx, const v1::ListAuditEntriesRequest& r);
};

}  // namespace kneecoach
