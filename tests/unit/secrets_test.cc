#include "service/domain/secrets.h"

#include "gtest/gtest.h"

namespace kneecoach {
namespace {

// The stored form of a token or an enrollment code: hex SHA-256 (FIPS 180-2's "abc" vector),
// an enrollment code in upper case first, so that a patient may type it in either case.
TEST(HashSecret, IsHexSha256) {
  EXPECT_EQ(HashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashSecret(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashSecret, EnrollmentCodesIgnoreCase) {
  EXPECT_EQ(HashSecret("kc-ab12-cd34"), HashSecret("KC-AB12-CD34"));
  EXPECT_NE(HashSecret("token-abc"), HashSecret("TOKEN-ABC"));  // tokens are exact
}

}  // namespace
}  // namespace kneecoach
