// A real kneecoach server, in-process on 127.0.0.1:0 over a temporary SQLite file (or a new
// PostgreSQL database with KNEECOACH_TEST_STORE=postgres, below), with a fake clock, and
// generated stubs to call it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clients/common/stubs.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/server/server.h"
#include "tests/pg/pg_test_db.h"

namespace kneecoach::testing {

namespace v1 = ::kneecoach::v1;

// The field paths of the google.rpc.BadRequest attached to `status` (empty if none).
inline std::set<std::string> ViolatedFields(const grpc::Status& status) {
  std::set<std::string> fields;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return fields;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.type_url() == "type.googleapis.com/google.rpc.BadRequest" &&
        bad.ParseFromString(any.value())) {
      for (const auto& v : bad.field_violations()) fields.insert(v.field());
    }
  }
  return fields;
}

class ServerTest : public ::testing::Test {
 protected:
  // 2026-03-02 09:00 UTC, a Monday.
  static absl::Time Start() {
    return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone());
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("kneecoach-test-", ::getpid(), "-", counter_++);
    std::filesystem::create_directories(dir_);
    StartServer();
    if (server_ == nullptr) return;
    auto admin =
        server_->core().BootstrapAdmin(RequestContext::System("bootstrap"), "north", "Nora Admin");
    ASSERT_TRUE(admin.ok()) << admin.status();
    token_ = *admin;
  }

  // A test's own server options, set before each start.
  virtual void Configure(ServerOptions&) {}

  // Starts the server on dir_'s database (a new port) and makes the channel and stubs.
  void StartServer() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.db_path = (dir_ / "kneecoach.db").string();
    // KNEECOACH_TEST_STORE=postgres (CTest's pg_integration, through tests/pg/pg_cluster.sh):
    // each test on a new database of the throwaway cluster, kept across restarts in the test.
    if (store_spec_.empty() && TestStoreIsPostgres()) {
      store_spec_ = FreshDatabase(/*migrated=*/true);
      ASSERT_FALSE(store_spec_.empty());
    }
    options.store = store_spec_;
    options.data_dir = KNEECOACH_TEST_DATA_DIR;
    options.wrap_store = wrap_store_;
    Configure(options);
    auto server = KneecoachServer::Start(options, clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    MakeStubs();
  }

  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Calls `method` on `stub` as the clinic admin (token_), with a 10 s deadline.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    return CallAs(token_, stub, method, request, response);
  }

  // The same with another bearer token ("" sends none).
  template <typename Stub, typename Request, typename Response>
  grpc::Status CallAs(const std::string& token, Stub& stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response) {
    grpc::ClientContext context;
    clients::PrepareCall(&context, token, absl::Seconds(10));
    return (stub.*method)(&context, request, response);
  }

  v1::Patient MakePatient(const std::string& tz = "Europe/London") {
    v1::CreatePatientRequest request;
    request.mutable_patient()->set_display_name("Sam Runner");
    request.mutable_patient()->set_clinic("clinics/north");
    request.mutable_patient()->set_time_zone(tz);
    request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
    v1::CreatePatientResponse response;
    grpc::Status status =
        Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.patient();
  }

  // A program from the default protocol (settle phase), or from explicit exercises.
  v1::Program MakeProgram(const v1::Patient& patient,
                          const std::vector<std::string>& exercises = {}) {
    v1::CreateProgramRequest request;
    request.mutable_program()->set_patient(patient.name());
    for (const auto& slug : exercises) {
      request.mutable_program()->add_prescriptions()->set_exercise("exercises/" + slug);
    }
    v1::CreateProgramResponse response;
    grpc::Status status =
        Call(*programs_, &v1::ProgramService::Stub::CreateProgram, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.program();
  }

  v1::Session Today(const v1::Program& program) {
    v1::GetTodaySessionRequest request;
    request.set_program(program.name());
    v1::GetTodaySessionResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.session();
  }

  // Reports every item of `session` done as prescribed with the given pains.
  v1::ReportSessionRequest ReportAll(const v1::Session& session, int pain_during, int pain_after,
                                     const std::string& request_id) {
    v1::ReportSessionRequest request;
    request.set_program(session.program());
    request.set_request_id(request_id);
    for (const auto& item : session.items()) {
      auto* r = request.add_reports();
      r->set_prescription(item.prescription());
      r->set_sets_done(item.dose().sets());
      r->set_reps_done(item.dose().reps());
      r->set_pain_during(pain_during);
      r->set_pain_after_1h(pain_after);
    }
    return request;
  }

  static bool TestStoreIsPostgres() {
    const char* store = std::getenv("KNEECOACH_TEST_STORE");
    return store != nullptr && std::string(store) == "postgres";
  }

  FakeClock clock_{Start()};
  // The store the server opens ("": the SQLite file in dir_).
  std::string store_spec_;
  // Set by a test's constructor to run the server over a wrapped store (FaultyStore).
  std::function<std::unique_ptr<Store>(std::unique_ptr<Store>)> wrap_store_;
  // Bearer token of the admin of clinics/north, bootstrapped in SetUp.
  std::string token_;
  std::filesystem::path dir_;
  std::unique_ptr<KneecoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  // One stub per kneecoach.v1 service over channel_ (clients/common/stubs.h).
  std::unique_ptr<clients::Stubs> stubs_;
  // The names the tests call stubs_'s stubs by (a service without one here is still in
  // stubs_).
  v1::AccessService::Stub* access_ = nullptr;
  v1::AlertService::Stub* alerts_ = nullptr;
  v1::ExerciseLibraryService::Stub* library_ = nullptr;
  v1::OutcomeService::Stub* outcomes_ = nullptr;
  v1::PatientService::Stub* patients_ = nullptr;
  v1::ProgramService::Stub* programs_ = nullptr;
  v1::ProtocolService::Stub* protocols_ = nullptr;
  v1::SessionService::Stub* sessions_ = nullptr;

 private:
  // stubs_ over channel_, and the tests' names for its stubs.
  void MakeStubs() {
    stubs_ = std::make_unique<clients::Stubs>(channel_);
    access_ = stubs_->access.get();
    alerts_ = stubs_->alerts.get();
    library_ = stubs_->library.get();
    outcomes_ = stubs_->outcomes.get();
    patients_ = stubs_->patients.get();
    programs_ = stubs_->programs.get();
    protocols_ = stubs_->protocols.get();
    sessions_ = stubs_->sessions.get();
  }

  static inline int counter_ = 0;
};

}  // namespace kneecoach::testing
