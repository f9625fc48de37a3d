#include "service/core/core_util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/caller.h"
#include "service/core/retry.h"

namespace kneecoach::internal {
namespace {

// A page token is the store's cursor (for SQLite a table's row sequence number, which would
// tell how many rows the table holds across every clinic) sealed with AES-256-GCM under the
// page key: a 12-byte random nonce, the encrypted cursor and a 16-byte tag, in web-safe
// base64. The key is the store's (LoadPageKey), so tokens survive restarts and work on
// every replica; a token altered in any bit fails its tag.
constexpr char kPageKeyName[] = "page_token_key";
constexpr char kTokenTag[] = "kcpage02";  // authenticated with the cursor
constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// Longer tokens are refused before any work: no cursor is near this long.
constexpr size_t kMaxTokenChars = 512;

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return bytes;
}

// The keys tokens may be sealed with, newest (the one that seals) last: in a server, the
// store's key alone once the Core has loaded it.
struct PageKeys {
  absl::Mutex mu;
  std::vector<std::string> keys ABSL_GUARDED_BY(mu) = {RandomBytes(kKeyBytes)};
  bool loaded ABSL_GUARDED_BY(mu) = false;  // keys[0] is still the process's own
};

PageKeys& Keys() {
  static auto* const keys = new PageKeys();
  return *keys;
}

// AES-256-GCM of `in` under `key` with `nonce`; `tag` is written (sealing) or checked
// (opening). False if opening fails the tag.
bool Gcm(const std::string& key, const unsigned char* nonce, const std::string& in,
         std::string& out, unsigned char* tag, bool seal) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  out.resize(in.size());
  int length = 0;
  bool ok =
      EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, seal ? 1 : 0) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr) ==
          1 &&
      EVP_CipherInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                        nonce, seal ? 1 : 0) == 1 &&
      EVP_CipherUpdate(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(kTokenTag),
                       static_cast<int>(sizeof(kTokenTag) - 1)) == 1 &&
      EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &length,
                       reinterpret_cast<const unsigned char*>(in.data()),
                       static_cast<int>(in.size())) == 1;
  if (ok && !seal) {
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  }
  int final_length = 0;
  ok = ok && EVP_CipherFinal_ex(ctx, nullptr, &final_length) == 1;
  if (ok && seal) {
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  }
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

// The cursor sealed in `token`, or nullopt if no key of this process opens it.
std::optional<std::string> OpenToken(const std::string& token) {
  std::string raw;
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() <= kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const std::string sealed = raw.substr(kNonceBytes, raw.size() - kNonceBytes - kTagBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, bytes + raw.size() - kTagBytes, kTagBytes);
  PageKeys& keys = Keys();
  absl::ReaderMutexLock lock(&keys.mu);
  for (auto key = keys.keys.rbegin(); key != keys.keys.rend(); ++key) {
    std::string cursor;
    if (Gcm(*key, bytes, sealed, cursor, tag, /*seal=*/false)) return cursor;
  }
  return std::nullopt;
}

}  // namespace

void LoadPageKey(Store& store) {
  const std::string candidate = RandomBytes(kKeyBytes);
  absl::StatusOr<std::string> key =
      RetryAborted(kWriteAttempts, [&]() -> absl::StatusOr<std::string> {
        // Read first: a read-only database still serves the key it holds.
        auto read = store.Begin(/*write=*/false);
        if (!read.ok()) return read.status();
        auto found = (*read)->GetOrPutSecret(kPageKeyName, candidate);
        read->reset();
        if (found.ok() || !absl::IsNotFound(found.status())) return found;
        auto write = store.Begin(/*write=*/true);
        if (!write.ok()) return write.status();
        auto put = (*write)->GetOrPutSecret(kPageKeyName, candidate);
        if (!put.ok()) return put;
        if (absl::Status s = (*write)->Commit(); !s.ok()) return s;
        return put;
      });
  // Without the store's key, tokens are this process's alone (the store is failing: the
  // calls that need it fail anyway).
  if (!key.ok() || key->size() != kKeyBytes) return;
  PageKeys& keys = Keys();
  absl::MutexLock lock(&keys.mu);
  if (!keys.loaded) {
    keys.keys.clear();  // tokens sealed before the store's key are refused from now on
    keys.loaded = true;
  }
  keys.keys.erase(std::remove(keys.keys.begin(), keys.keys.end(), *key), keys.keys.end());
  keys.keys.push_back(*key);
}

std::string PageToken(const std::string& cursor) {
  if (cursor.empty()) return "";
  const std::string nonce = RandomBytes(kNonceBytes);
  std::string sealed;
  unsigned char tag[kTagBytes];
  {
    PageKeys& keys = Keys();
    absl::ReaderMutexLock lock(&keys.mu);
    if (!Gcm(keys.keys.back(), reinterpret_cast<const unsigned char*>(nonce.data()), cursor, sealed,
             tag, /*seal=*/true)) {
      std::abort();
    }
  }
  return absl::WebSafeBase64Escape(absl::StrCat(
      nonce, sealed, absl::string_view(reinterpret_cast<const char*>(tag), kTagBytes)));
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
    std::optional<std::string> cursor = OpenToken(page_token);
    if (!cursor.has_value() || cursor->empty()) {
      violations.Add("page_token", "not a page token from a previous response");
    } else {
      page.after = *std::move(cursor);
    }
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
                         const std::string& scope, const std::string& request_id) {
  v1::AuditEntry entry;
  const std::string id = deps.ids.NewId();
  const std::string clinic = caller.clinic.empty() ? caller.user.clinic() : caller.clinic;
  entry.set_name(absl::StrCat(clinic.empty() ? "clinics/-" : clinic, "/auditEntries/", id));
  *entry.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(deps.clock.Now()));
  entry.set_actor(caller.user_name.empty() ? "system" : caller.user_name);
  entry.set_actor_role(caller.user.role());
  entry.set_method(caller.method.empty() ? scope.substr(0, scope.find(':')) : caller.method);
  entry.set_resource(caller.resource.empty() ? scope.substr(scope.find(':') + 1) : caller.resource);
  entry.set_request_id(request_id);
  entry.set_summary(scope.substr(0, scope.find(':')));
  return txn.InsertAudit(id, clinic, caller.patient_id, entry);
}

}  // namespace kneecoach::internal
