// The call boundary (issue 18): the method registry derived from the protos (every rpc is
// served, reflected and has an access rule), the generic streaming handler, deadlines and
// cancellation of queued writes, and what a client learns of a store failure.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/sync_stream.h"
#include "service/core/method_registry.h"
#include "service/server/services.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorProto;

// The value of trailing metadata `key` of a finished call ("" if absent).
std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  auto it = context.GetServerTrailingMetadata().find(key);
  if (it == context.GetServerTrailingMetadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// The services reflection lists, as `token`.
std::set<std::string> Reflected(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& token) {
  namespace rpb = ::grpc::reflection::v1alpha;
  auto stub = rpb::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  auto stream = stub->ServerReflectionInfo(&context);
  rpb::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  stream->WritesDone();
  std::set<std::string> names;
  rpb::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& s : response.list_services_response().service()) names.insert(s.name());
  }
  EXPECT_TRUE(stream->Finish().ok());
  return names;
}

// Every method of every kneecoach.v1 service, walked from the descriptors of the proto files
// in proto/kneecoach/v1/ (a service or rpc added to any of them counts): each has an access
// rule in the registry, its service is listed by reflection, and the server serves it.
TEST_F(ServerTest, EveryMethodOfTheProtosIsServedReflectedAndHasARule) {
  auto registry = MethodRegistry::Api();
  ASSERT_TRUE(registry.ok()) << registry.status();
  const std::set<std::string> reflected = Reflected(channel_, token_);
  grpc::GenericStub stub(channel_);
  int methods = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KNEECOACH_TEST_PROTO_DIR)) {
    if (entry.path().extension() != ".proto") continue;
    const auto* file = DescriptorPool::generated_pool()->FindFileByName(
        "kneecoach/v1/" + entry.path().filename().string());
    ASSERT_NE(file, nullptr) << entry.path() << " is not compiled into the server";
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      EXPECT_TRUE(reflected.count(service->full_name())) << service->full_name();
      for (int m = 0; m < service->method_count(); ++m) {
        const auto* method = service->method(m);
        const std::string name = absl::StrCat("/", service->full_name(), "/", method->name());
        EXPECT_TRUE(method->options().HasExtension(v1::method_rules)) << name;
        const MethodInfo* info = (*registry)->Find(name);
        ASSERT_NE(info, nullptr) << name << " is not in the registry";
        EXPECT_NE(info->access, v1::ACCESS_UNSPECIFIED) << name;
        EXPECT_NE(info->execution, v1::EXECUTION_UNSPECIFIED) << name;
        ++methods;
        if (method->server_streaming() || method->client_streaming()) continue;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + token_);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        grpc::Slice empty("");
        grpc::ByteBuffer request(&empty, 1);
        grpc::ByteBuffer response;
        std::promise<grpc::Status> done;
        stub.UnaryCall(&context, name, grpc::StubOptions(), &request, &response,
                       [&done](grpc::Status status) { done.set_value(std::move(status)); });
        const grpc::Status status = done.get_future().get();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
            << name << ": " << status.error_message();
        EXPECT_EQ(Trailer(context, "x-request-id").size(), 12u) << name;
      }
    }
  }
  EXPECT_EQ(methods, static_cast<int>((*registry)->methods().size()));
  EXPECT_GE(methods, 48);
}

// A file of package kneecoach.testing built at run time on top of the generated pool: one
// service with the given rpcs, each (name, server_streaming, rules or null).
struct TestRpc {
  std::string name;
  bool streaming;
  std::optional<v1::MethodRules> rules;
};
const google::protobuf::FileDescriptor* BuildTestFile(DescriptorPool& pool,
                                                      const std::vector<TestRpc>& rpcs) {
  FileDescriptorProto file;
  file.set_name("kneecoach/testing/call_boundary_test.proto");
  file.set_package("kneecoach.testing");
  file.set_syntax("proto3");
  file.add_dependency("kneecoach/v1/session.proto");
  auto* service = file.add_service();
  service->set_name("BoundaryTestService");
  for (const TestRpc& rpc : rpcs) {
    auto* method = service->add_method();
    method->set_name(rpc.name);
    method->set_input_type(".kneecoach.v1.ListSessionsRequest");
    method->set_output_type(".kneecoach.v1.Session");
    method->set_server_streaming(rpc.streaming);
    if (rpc.rules.has_value()) {
      *method->mutable_options()->MutableExtension(v1::method_rules) = *rpc.rules;
    }
  }
  return pool.BuildFile(file);
}

v1::MethodRules Rules(v1::Access access, v1::Execution execution) {
  v1::MethodRules rules;
  rules.set_access(access);
  rules.set_execution(execution);
  return rules;
}

TEST(MethodRegistryTest, AnRpcWithoutRulesIsRefused) {
  DescriptorPool pool(DescriptorPool::generated_pool());
  const auto* file =
      BuildTestFile(pool, {{"WithRules", false, Rules(v1::ACCESS_ANYONE, v1::EXECUTION_INLINE)},
                           {"Forgotten", false, std::nullopt}});
  ASSERT_NE(file, nullptr);
  auto registry = MethodRegistry::Load({file});
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(registry.status().message(), "Forgotten")) << registry.status();
}

TEST(MethodRegistryTest, ATargetFieldThatIsNotOneIsRefused) {
  DescriptorPool pool(DescriptorPool::generated_pool());
  v1::MethodRules rules = Rules(v1::ACCESS_STAFF, v1::EXECUTION_INLINE);
  rules.add_target_fields("no_such_field");
  const auto* file = BuildTestFile(pool, {{"Bad", false, rules}});
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(MethodRegistry::Load({file}).ok());
}

// The server-streaming handler, on a test-only service served by the real server's Core.
class StreamingTest : public ServerTest {
 protected:
  // Serves the test file's methods, bound to `bindings`, on a second gRPC server.
  void Serve(const std::vector<TestRpc>& rpcs, const std::vector<Binding>& bindings) {
    const auto* file = BuildTestFile(pool_, rpcs);
    ASSERT_NE(file, nullptr);
    auto registry = MethodRegistry::Load({file});
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    auto services =
        MakeServices(*registry_, bindings,
                     ServeDeps{server_->core(), server_->write_pool(), server_->write_pool()});
    ASSERT_TRUE(services.ok()) << services.status();
    services_ = *std::move(services);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    for (auto& s : services_) builder.RegisterService(s.get());
    test_server_ = builder.BuildAndStart();
    ASSERT_NE(test_server_, nullptr);
    test_channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (test_server_) test_server_->Shutdown();
    ServerTest::TearDown();
  }

  // Calls the streaming method `name`; the sessions it sent, and its status.
  grpc::Status Read(const std::string& name, const std::string& token,
                    std::vector<v1::Session>& sessions, std::string* request_id = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    const grpc::internal::RpcMethod method(
        absl::StrCat("/kneecoach.testing.BoundaryTestService/", name).c_str(),
        grpc::internal::RpcMethod::SERVER_STREAMING, test_channel_);
    v1::ListSessionsRequest request;
    request.set_page_size(3);
    std::unique_ptr<grpc::ClientReader<v1::Session>> reader(
        grpc::internal::ClientReaderFactory<v1::Session>::Create(test_channel_.get(), method,
                                                                 &context, request));
    v1::Session session;
    while (reader->Read(&session)) sessions.push_back(session);
    grpc::Status status = reader->Finish();
    if (request_id != nullptr) *request_id = Trailer(context, "x-request-id");
    return status;
  }

  // Counts to the request's page_size, one session a response, then fails if `fail`.
  static Binding Counting(bool fail) {
    return ServerStreaming<v1::ListSessionsRequest, v1::Session>(
        [fail](const RequestContext& ctx,
               const v1::ListSessionsRequest& r) -> absl::StatusOr<ResponseStream<v1::Session>> {
          EXPECT_FALSE(ctx.is_system());
          EXPECT_FALSE(ctx.caller.user_name.empty());
          auto sent = std::make_shared<int>(0);
          return ResponseStream<v1::Session>(
              [sent, fail, n = r.page_size()]() -> absl::StatusOr<std::optional<v1::Session>> {
                if (*sent == n) {
                  if (fail) return absl::InternalError("database: no such table: sessions");
                  return std::nullopt;
                }
                v1::Session session;
                session.set_local_date(absl::StrCat("2026-03-0", ++*sent));
                return session;
              });
        });
  }

  DescriptorPool pool_{DescriptorPool::generated_pool()};
  std::unique_ptr<MethodRegistry> registry_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> test_server_;
  std::shared_ptr<grpc::Channel> test_channel_;
};

TEST_F(StreamingTest, AServerStreamingMethodSendsEachResponseOfItsUseCase) {
  Serve({{"CountInline", true, Rules(v1::ACCESS_ANYONE, v1::EXECUTION_INLINE)}}, {Counting(false)});
  std::vector<v1::Session> sessions;
  std::string id;
  grpc::Status status = Read("CountInline", token_, sessions, &id);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_EQ(sessions[2].local_date(), "2026-03-03");
  EXPECT_EQ(id.size(), 12u);
  // Authenticated like every call.
  sessions.clear();
  EXPECT_EQ(Read("CountInline", "", sessions).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(sessions.empty());
}

TEST_F(StreamingTest, OnThePoolAndEndingInAStoreFailure) {
  Serve({{"CountOnPool", true, Rules(v1::ACCESS_ANYONE, v1::EXECUTION_WRITE_POOL)}},
        {Counting(true)});
  std::vector<v1::Session> sessions;
  std::string id;
  ::testing::internal::CaptureStderr();
  grpc::Status status = Read("CountOnPool", token_, sessions, &id);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_FALSE(absl::StrContains(status.error_message(), "sessions")) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), id)) << status.error_message();
  EXPECT_TRUE(absl::StrContains(log, id) && absl::StrContains(log, "no such table")) << log;
}

TEST_F(StreamingTest, AMethodWithoutABindingStopsTheStart) {
  const auto* file =
      BuildTestFile(pool_, {{"Unbound", true, Rules(v1::ACCESS_ANYONE, v1::EXECUTION_INLINE)}});
  ASSERT_NE(file, nullptr);
  auto registry = MethodRegistry::Load({file});
  ASSERT_TRUE(registry.ok());
  auto services = MakeServices(
      **registry, {}, ServeDeps{server_->core(), server_->write_pool(), server_->write_pool()});
  EXPECT_FALSE(services.ok());
}

// One write thread, so that a test can hold it and queue writes behind it.
class QueuedWriteTest : public ServerTest {
 protected:
  void Configure(ServerOptions& options) override { options.worker_threads = 1; }

  // Holds the write pool's only thread until ReleaseAndDrain(); returns once it is held, so
  // that what is queued next waits.
  void HoldThePool() {
    ASSERT_TRUE(server_->write_pool().Submit([this] {
      held_.Notify();
      release_.WaitForNotification();
    }));
    held_.WaitForNotification();
    ASSERT_EQ(server_->write_pool().queued(), 0u);
  }
  // Lets the held thread go and waits until every write queued before now has run.
  void ReleaseAndDrain() {
    release_.Notify();
    absl::Notification drained;
    ASSERT_TRUE(server_->write_pool().Submit([&drained] { drained.Notify(); }));
    drained.WaitForNotification();
  }
  void WaitUntilQueued(size_t n) {
    for (int i = 0; i < 1000 && server_->write_pool().queued() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(server_->write_pool().queued(), n);
  }
  int StoredSessions(const v1::Program& program) {
    v1::ListSessionsRequest request;
    request.set_program(program.name());
    v1::ListSessionsResponse response;
    EXPECT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListSessions, request, &response).ok());
    return response.sessions_size();
  }

  absl::Notification held_;
  absl::Notification release_;
};

TEST_F(QueuedWriteTest, AWriteWhoseDeadlinePassesInTheQueueIsNotRun) {
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest report = ReportAll(Today(program), 1, 1, "late-1");
  HoldThePool();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::ReportSessionResponse response;
  const grpc::Status status = sessions_->ReportSession(&context, report, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's view of the deadline comes from the grpc-timeout it received, a little
  // after the client's: let it pass there too before the write leaves the queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ReleaseAndDrain();
  EXPECT_EQ(StoredSessions(program), 0);
}

TEST_F(QueuedWriteTest, AWriteCancelledInTheQueueIsNotRun) {
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest report = ReportAll(Today(program), 1, 1, "gone-1");
  HoldThePool();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::ReportSessionResponse response;
  std::promise<grpc::Status> done;
  sessions_->async()->ReportSession(&context, &report, &response,
                                    [&done](grpc::Status s) { done.set_value(std::move(s)); });
  WaitUntilQueued(1);
  context.TryCancel();
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::CANCELLED);
  // The server learns of the cancellation from the transport; give it time to.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ReleaseAndDrain();
  EXPECT_EQ(StoredSessions(program), 0);
  // The pool is free again: the same report, sent anew, is stored.
  const v1::ReportSessionRequest again = ReportAll(Today(program), 1, 1, "gone-2");
  EXPECT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession, again, &response).ok());
  EXPECT_EQ(StoredSessions(program), 1);
}

// Runs `sql` on the server's database from another connection: the PostgreSQL database
// `store` names, or else the SQLite file `db`.
void Execute(const std::string& store, const std::filesystem::path& db, const char* sql) {
  if (!store.empty()) {
    PGconn* conn = PQconnectdb(store.c_str());
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PGresult* result = PQexec(conn, absl::StrCat(sql, " CASCADE").c_str());
    EXPECT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(conn);
    PQclear(result);
    PQfinish(conn);
    return;
  }
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  sqlite3_busy_timeout(handle, 5000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(handle, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(handle);
}

TEST_F(ServerTest, AStoreFailureReachesTheClientAsAPlainMessageWithTheRequestId) {
  const v1::Program program = MakeProgram(MakePatient());
  Execute(store_spec_, dir_ / "kneecoach.db", "DROP TABLE sessions");
  v1::ListSessionsRequest request;
  request.set_program(program.name());
  v1::ListSessionsResponse response;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  ::testing::internal::CaptureStderr();
  const grpc::Status status = sessions_->ListSessions(&context, request, &response);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
  const std::string id = Trailer(context, "x-request-id");
  ASSERT_EQ(id.size(), 12u);
  for (const char* internal :
       {"sessions", "table", "relation", "SELECT", "database", "sqlite", "postgres", ".db"}) {
    EXPECT_FALSE(absl::StrContains(status.error_message(), internal))
        << internal << " in: " << status.error_message();
  }
  EXPECT_TRUE(absl::StrContains(status.error_message(), absl::StrCat("(request id ", id, ")")))
      << status.error_message();
  // The detail is in the server's log, on one line, under the same id.
  bool logged = false;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, id) &&
        absl::StrContains(line, store_spec_.empty() ? "no such table: sessions"
                                                    : "relation \"sessions\" does not exist")) {
      logged = true;
    }
  }
  EXPECT_TRUE(logged) << log;
}

TEST_F(ServerTest, AStoreFailureWhileAuthorizingIsNotPermissionDenied) {
  // A physiotherapist's assignment to the patient is read on every call.
  v1::CreateUserRequest create_user;
  create_user.mutable_user()->set_display_name("Pat Physio");
  create_user.mutable_user()->set_role(v1::ROLE_PHYSIOTHERAPIST);
  v1::CreateUserResponse physio;
  ASSERT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateUser, create_user, &physio).ok());
  v1::CreateTokenRequest create_token;
  create_token.set_user(physio.user().name());
  v1::CreateTokenResponse token;
  ASSERT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateToken, create_token, &token).ok());
  v1::CreatePatientRequest create_patient;
  create_patient.mutable_patient()->set_display_name("Sam Runner");
  create_patient.mutable_patient()->set_clinic("clinics/north");
  create_patient.mutable_patient()->set_time_zone("Europe/London");
  create_patient.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
  v1::CreatePatientResponse patient;
  ASSERT_TRUE(CallAs(token.secret(), *patients_, &v1::PatientService::Stub::CreatePatient,
                     create_patient, &patient)
                  .ok());
  v1::GetPatientRequest get;
  get.set_name(patient.patient().name());
  v1::GetPatientResponse got;
  const grpc::Status before =
      CallAs(token.secret(), *patients_, &v1::PatientService::Stub::GetPatient, get, &got);
  ASSERT_TRUE(before.ok()) << before.error_code() << ": " << before.error_message();
  Execute(store_spec_, dir_ / "kneecoach.db", "DROP TABLE assignments");
  ::testing::internal::CaptureStderr();
  const grpc::Status status =
      CallAs(token.secret(), *patients_, &v1::PatientService::Stub::GetPatient, get, &got);
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::INTERNAL ||
              status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << status.error_code() << ": " << status.error_message();
  EXPECT_FALSE(absl::StrContains(status.error_message(), "assignments"));
}

}  // namespace
}  // namespace kneecoach::testing
