#include "service/core/core_util.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/caller.h"

namespace kneecoach::internal {
namespace {
constexpr char kTokenPrefix[] = "kc1:";
}

std::string PageToken(int64_t position) {
  if (position <= 0) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, position));
}

absl::StatusOr<PageRequest> ParsePage(int page_size, const std::string& page_token,
                                      const CoreOptions& options) {
  FieldViolations violations;
  PageRequest page;
  if (page_size < 0 || page_size > options.max_page_size) {
    violations.Add("page_size", absl::StrCat(page_size, " out of range 0..",
                                             options.max_page_size, " (0: default ",
                                             options.default_page_size, ")"));
  }
  page.limit = page_size == 0 ? options.default_page_size : page_size;
  if (!page_token.empty()) {
    std::string raw;
    absl::string_view rest;
    int64_t position = 0;
    if (!absl::WebSafeBase64Unescape(page_token, &raw) ||
        !absl::StartsWith(rest = raw, kTokenPrefix) ||
        !absl::SimpleAtoi(absl::StripPrefix(rest, kTokenPrefix), &position) || position <= 0) {
      violations.Add("page_token", "not a page token from a previous response");
    }
    page.after = position;
  }
  if (!violations.empty()) return violations.ToStatus();
  return page;
}

std::string RequestKey(const Caller& caller, const std::string& scope) {
  return absl::StrCat(caller.user.clinic(), "|", caller.user_name, "|", scope);
}

absl::Status CheckRequestId(const std::string& request_id, bool required) {
  if (request_id.empty()) {
    return required ? InvalidField("request_id",
                                   "required: a client-generated id (1-64 of [A-Za-z0-9_-]) "
                                   "that makes retries safe")
                    : absl::OkStatus();
  }
  if (!IsValidRequestId(request_id)) {
    return InvalidField("request_id", "must be 1-64 characters of [A-Za-z0-9_-]");
  }
  return absl::OkStatus();
}

absl::Status RecordAudit(Txn& txn, const WriteDeps& deps, const Caller& caller,
                         const std::string& scope, const std::string& request_id) {
  v1::AuditEntry entry;
  const std::string id = deps.ids.NewId();
  const std::string clinic = caller.clinic.empty() ? caller.user.clinic() : caller.clinic;
  entry.set_name(absl::StrCat(clinic.empty() ? "clinics/-" : clinic, "/auditEntries/", id));
  *entry.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(deps.clock.Now()));
  entry.set_actor(caller.user_name.empty() ? "system" : caller.user_name);
  entry.set_actor_role(caller.user.role());
  entry.set_method(caller.method.empty() ? scope.substr(0, scope.find(':')) : caller.method);
  entry.set_resource(caller.resource.empty() ? scope.substr(scope.find(':') + 1)
                                             : caller.resource);
  entry.set_request_id(request_id);
  entry.set_summary(scope.substr(0, scope.find(':')));
  return txn.InsertAudit(id, clinic, caller.patient_id, entry);
}

}  // namespace kneecoach::internal
