#include "service/core/core_util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/caller.h"

namespace kneecoach::internal {
namespace {

// A page token is the position (a table's row sequence number, which would tell how many
// rows the table holds across every clinic) encrypted with a key of this process: one AES
// block of the position and a tag. Tokens of an earlier process are refused like any
// malformed token; a client starts the list again.
constexpr char kTokenTag[] = "kcpage01";
constexpr size_t kBlock = 16;

const unsigned char* PageKey() {
  static const auto* const key = [] {
    auto* k = new std::array<unsigned char, 16>();
    if (RAND_bytes(k->data(), static_cast<int>(k->size())) != 1) std::abort();
    return k;
  }();
  return key->data();
}

// One AES-128 block, encrypting or decrypting.
bool Crypt(const unsigned char* in, unsigned char* out, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  int length = 0;
  const bool ok = EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), nullptr, PageKey(), nullptr,
                                    encrypt ? 1 : 0) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_CipherUpdate(ctx, out, &length, in, static_cast<int>(kBlock)) == 1 &&
                  length == static_cast<int>(kBlock);
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

}  // namespace

std::string PageToken(int64_t position) {
  if (position <= 0) return "";
  unsigned char plain[kBlock];
  unsigned char sealed[kBlock];
  for (int i = 0; i < 8; ++i) plain[i] = static_cast<unsigned char>(position >> (8 * i));
  std::memcpy(plain + 8, kTokenTag, 8);
  if (!Crypt(plain, sealed, true)) std::abort();
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(sealed), kBlock));
}

// The position in `token`, or 0 if it is not a token of this process.
int64_t PagePosition(const std::string& token) {
  std::string raw;
  unsigned char plain[kBlock];
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() != kBlock ||
      !Crypt(reinterpret_cast<const unsigned char*>(raw.data()), plain, false) ||
      std::memcmp(plain + 8, kTokenTag, 8) != 0) {
    return 0;
  }
  uint64_t position = 0;
  for (int i = 0; i < 8; ++i) position |= static_cast<uint64_t>(plain[i]) << (8 * i);
  return static_cast<int64_t>(position);
}

absl::StatusOr<PageRequest> ParsePage(int page_size, const std::string& page_token,
                                      const CoreOptions& options) {
  FieldViolations violations;
  PageRequest page;
  if (page_size < 0 || page_size > options.max_page_size) {
    violations.Add("page_size", absl::StrCat(page_size, " out of range 0..", options.max_page_size,
                                             " (0: default ", options.default_page_size, ")"));
  }
  page.limit = page_size == 0 ? options.default_page_size : page_size;
  if (!page_token.empty()) {
    const int64_t position = PagePosition(page_token);
    if (position <= 0) {
      violations.Add("page_token", "not a page token from a previous response");
    }
    page.after = position;
  }
  if (!violations.empty()) return violations.ToStatus();
  return page;
}

bool HasControlCharacters(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Protobuf has checked the UTF-8: the length follows from the lead byte.
    const int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    uint32_t code = c & (length == 2 ? 0x1f : length == 3 ? 0x0f : 0x07);
    for (int k = 1; k < length && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += length;
    if ((code >= 0x80 && code <= 0x9f) ||      // C1 controls
        code == 0x200e || code == 0x200f ||    // directional marks
        code == 0x2028 || code == 0x2029 ||    // line and paragraph separators
        (code >= 0x202a && code <= 0x202e) ||  // bidirectional embeddings and overrides
        (code >= 0x2066 && code <= 0x2069)) {  // bidirectional isolates
      return true;
    }
  }
  return false;
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
                         absl::string_view method, const std::string& scope,
                         const std::string& request_id) {
  v1::AuditEntry entry;
  const std::string id = deps.ids.NewId();
  const std::string clinic = caller.clinic.empty() ? caller.user.clinic() : caller.clinic;
  entry.set_name(absl::StrCat(clinic.empty() ? "clinics/-" : clinic, "/auditEntries/", id));
  *entry.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(deps.clock.Now()));
  entry.set_actor(caller.user_name.empty() ? "system" : caller.user_name);
  entry.set_actor_role(caller.user.role());
  entry.set_method(method.empty() ? scope.substr(0, scope.find(':')) : std::string(method));
  entry.set_resource(caller.resource.empty() ? scope.substr(scope.find(':') + 1) : caller.resource);
  entry.set_request_id(request_id);
  entry.set_summary(scope.substr(0, scope.find(':')));
  return txn.InsertAudit(id, clinic, caller.patient_id, entry);
}

}  // namespace kneecoach::internal
