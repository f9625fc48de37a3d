// Bearer secrets and enrollment codes: generated from OpenSSL's CSPRNG, stored only as
// SHA-256 hashes (a leaked database holds no usable credential).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace kneecoach {

// "kc_" + 43 characters of base64url: 256 random bits.
std::string NewTokenSecret();

// "KC-XXXX-XXXX" in Crockford base32 (40 random bits): short enough to read out to a
// patient, one use, short-lived.
std::string NewEnrollmentCode();

// Whether `text` has the shape of an enrollment code (case-insensitive).
bool LooksLikeEnrollmentCode(absl::string_view text);

// Hex SHA-256 of `secret`. Enrollment codes are upper-cased first so a patient may type
// them in any case.
std::string HashSecret(absl::string_view secret);

}  // namespace kneecoach
