// Hostile input through a real in-process server: bytes no client library would send
// (deep nesting, invalid UTF-8, garbage), oversized messages and extreme numbers. Each gets
// a clean status, and the server keeps serving.
#include <climits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

constexpr char kGetToday[] = "/kneecoach.v1.SessionService/GetTodaySession";
constexpr char kReport[] = "/kneecoach.v1.SessionService/ReportSession";

class LimitsTest : public ServerTest {
 protected:
  // Sends `bytes` as the request of `method`, unparsed.
  grpc::Status Raw(const char* method, const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer " + token_);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    auto call = stub.PrepareUnaryCall(&context, method, request, &cq);
    call->StartCall();
    call->Finish(&response, &status, this);
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  // The server still answers a plain request.
  void ExpectServing() {
    v1::ListExercisesRequest request;
    v1::ListExercisesResponse response;
    EXPECT_TRUE(
        Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response).ok());
  }
};

// A varint tag for field `number` with wire type `type`.
std::string Tag(int number, int type) {
  std::string out;
  uint32_t v = (static_cast<uint32_t>(number) << 3) | type;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string LengthDelimited(int number, const std::string& payload) {
  std::string out = Tag(number, 2);
  uint64_t n = payload.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + payload;
}

TEST_F(LimitsTest, MalformedBytesAreCleanErrors) {
  struct Case {
    const char* what;
    std::string bytes;
  };
  std::string deep_groups;  // unknown field 99 as 100,000 nested groups
  for (int i = 0; i < 100000; ++i) deep_groups += Tag(99, 3);
  std::string deep_messages;  // unknown length-delimited fields nested 10,000 deep
  for (int i = 0; i < 10000; ++i) deep_messages = LengthDelimited(99, deep_messages);
  const std::vector<Case> cases = {
      {"invalid UTF-8 in a string", LengthDelimited(1, "programs/\xff\xfe\xc0")},
      {"truncated varint", std::string("\x08\xff\xff", 3)},
      {"length past the end", Tag(1, 2) + "\x7f" + "abc"},
      {"deep group nesting", deep_groups},
      {"end-group without start", Tag(99, 4)},
      {"invalid wire type", Tag(1, 7) + "x"},
      {"field number 0", Tag(0, 0) + "\x01"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const grpc::Status status = Raw(kGetToday, c.bytes);
    // The handler parses the request itself (raw methods) before any use case runs.
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_NE(status.error_message().find("kneecoach.v1.GetTodaySessionRequest"), std::string::npos)
        << status.error_message();
  }
  // Nested length-delimited unknown fields parse (they are skipped as bytes), and the
  // request is then judged on its fields: no program.
  EXPECT_EQ(Raw(kGetToday, deep_messages).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectServing();
}

TEST_F(LimitsTest, OversizedMessagesAreResourceExhausted) {
  v1::GetTodaySessionRequest request;
  request.set_program("programs/" + std::string(5 * 1024 * 1024, 'a'));
  v1::GetTodaySessionResponse response;
  EXPECT_EQ(
      Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response).error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  ExpectServing();
}

TEST_F(LimitsTest, LongFieldsJustUnderTheSizeLimitAreInvalidArgument) {
  v1::GetTodaySessionRequest request;
  request.set_program("programs/" + std::string(3 * 1024 * 1024, 'a'));
  v1::GetTodaySessionResponse response;
  EXPECT_EQ(
      Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LimitsTest, ExtremePageSizesAndCountsAreInvalidArgument) {
  for (int size : {INT_MAX, INT_MIN, -1, 1 << 20}) {
    SCOPED_TRACE(size);
    v1::ListExercisesRequest request;
    request.set_page_size(size);
    v1::ListExercisesResponse response;
    const grpc::Status status =
        Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), ::testing::Contains("page_size"));
  }
  const v1::Program program = MakeProgram(MakePatient());
  const v1::Session today = Today(program);
  ASSERT_GT(today.items_size(), 0);
  for (int count : {INT_MIN, -1, INT_MAX}) {
    SCOPED_TRACE(count);
    v1::ReportSessionRequest request = ReportAll(today, 1, 1, absl::StrCat("c", count + 2));
    request.mutable_reports(0)->set_sets_done(count);
    request.mutable_reports(0)->set_reps_done(count);
    request.mutable_reports(0)->set_pain_during(count);
    v1::ReportSessionResponse response;
    const grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), ::testing::Contains("reports[0].sets_done"));
  }
}

// A report with as many entries as fit in the size limit is judged quickly (a clean
// INVALID_ARGUMENT), not after seconds of work.
TEST_F(LimitsTest, HugeRepeatedFieldsAreRejectedQuickly) {
  const v1::Program program = MakeProgram(MakePatient());
  v1::ReportSessionRequest request;
  request.set_program(program.name());
  request.set_request_id("huge");
  for (size_t i = 0, bytes = 0; bytes < 3 * 1024 * 1024; ++i) {
    auto* r = request.add_reports();
    r->set_prescription(absl::StrCat(program.name(), "/prescriptions/", i));
    r->set_pain_during(1);
    bytes += r->ByteSizeLong() + 4;
  }
  v1::ReportSessionResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status =
      Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &response);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_code() << " " << status.error_message().substr(0, 200);
  EXPECT_LT(took, absl::Seconds(5)) << request.reports_size() << " reports";
  std::printf("%d reports (%zu bytes): %s in %s\n", request.reports_size(), request.ByteSizeLong(),
              status.error_message().substr(0, 80).c_str(), absl::FormatDuration(took).c_str());
  ExpectServing();
}

}  // namespace
}  // namespace kneecoach::testing
