// The server answers like a well-behaved gRPC service: health, reflection, the library.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <set>

#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

TEST_F(ServerTest, HealthReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Lists services through server reflection, authenticating with `token`.
grpc::Status ReflectedServices(grpc::Channel& channel, const std::string& token,
                               std::set<std::string>& names) {
  namespace rpb = ::grpc::reflection::v1alpha;
  auto stub = rpb::ServerReflection::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  auto stream = stub->ServerReflectionInfo(&context);
  rpb::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  request.set_file_containing_symbol("kneecoach.v1.SessionService");
  stream->Write(request);
  stream->WritesDone();
  rpb::ServerReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& s : response.list_services_response().service()) names.insert(s.name());
    if (response.has_file_descriptor_response()) {
      names.insert(
          absl::StrCat("files:", response.file_descriptor_response().file_descriptor_proto_size()));
    }
  }
  return stream->Finish();
}

// Every service of every kneecoach.v1 proto file, from the generated descriptor pool: the
// files are found by listing proto/kneecoach/v1/, so a service added in a new file counts.
std::set<std::string> ServicesInTheProtos() {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(KNEECOACH_TEST_PROTO_DIR)) {
    if (entry.path().extension() != ".proto") continue;
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
        "kneecoach/v1/" + entry.path().filename().string());
    EXPECT_NE(file, nullptr) << entry.path() << " is not compiled into the server";
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) names.insert(file->service(i)->full_name());
  }
  return names;
}

TEST_F(ServerTest, ReflectionListsEveryServiceOfTheProtos) {
  std::set<std::string> expected = ServicesInTheProtos();
  ASSERT_GE(expected.size(), 8u);  // the directory was read
  expected.insert("grpc.health.v1.Health");
  expected.insert("grpc.reflection.v1alpha.ServerReflection");
  std::set<std::string> names;
  ASSERT_TRUE(ReflectedServices(*channel_, token_, names).ok());
  // session.proto arrives with its imports (timestamp, decision, exercise, report ...).
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) {
    return absl::StartsWith(n, "files:") && n != "files:1" && n != "files:0";
  }));
  std::erase_if(names, [](const std::string& n) { return absl::StartsWith(n, "files:"); });
  EXPECT_EQ(names, expected);
}

// What reflection lists is really served: each method of each listed kneecoach service
// answers (an empty request is refused for what it lacks, never UNIMPLEMENTED).
TEST_F(ServerTest, EveryReflectedMethodIsServed) {
  std::set<std::string> names;
  ASSERT_TRUE(ReflectedServices(*channel_, token_, names).ok());
  grpc::GenericStub stub(channel_);
  int methods = 0;
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, "kneecoach.")) continue;
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (method->client_streaming() || method->server_streaming()) continue;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token_);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      grpc::Slice empty("");
      grpc::ByteBuffer request(&empty, 1);
      grpc::ByteBuffer response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, absl::StrCat("/", name, "/", method->name()), grpc::StubOptions(),
                     &request, &response,
                     [&done](grpc::Status status) { done.set_value(std::move(status)); });
      const grpc::Status status = done.get_future().get();
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
          << method->full_name() << ": " << status.error_message();
      ++methods;
    }
  }
  EXPECT_GE(methods, 40);
}

TEST_F(ServerTest, ReflectionNeedsAToken) {
  std::set<std::string> names;
  EXPECT_EQ(ReflectedServices(*channel_, "", names).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(names.empty());
}

TEST_F(ServerTest, ListExercisesPagesThroughTheWholeLibrary) {
  std::set<std::string> slugs;
  std::set<int> categories;
  v1::ListExercisesRequest request;
  request.set_page_size(7);
  int pages = 0;
  do {
    v1::ListExercisesResponse response;
    ASSERT_TRUE(
        Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response).ok());
    EXPECT_LE(response.exercises_size(), 7);
    for (const auto& e : response.exercises()) {
      EXPECT_TRUE(slugs.insert(e.slug()).second) << "seen twice: " << e.slug();
      categories.insert(e.category());
    }
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 100);
  EXPECT_GE(slugs.size(), 50u);
  EXPECT_EQ(categories.size(), 8u);
}

TEST_F(ServerTest, ListExercisesFilters) {
  v1::ListExercisesRequest request;
  request.set_category(v1::EXERCISE_CATEGORY_ISOMETRIC);
  request.set_page_size(200);
  v1::ListExercisesResponse response;
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response).ok());
  ASSERT_GT(response.exercises_size(), 0);
  for (const auto& e : response.exercises())
    EXPECT_EQ(e.category(), v1::EXERCISE_CATEGORY_ISOMETRIC);

  request.Clear();
  request.set_ladder("ladders/squat");
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response).ok());
  ASSERT_EQ(response.exercises_size(), 5);
  EXPECT_EQ(response.exercises(0).slug(), "sit-to-stand-high");
  EXPECT_EQ(response.exercises(4).slug(), "single-leg-squat-60");

  request.Clear();
  request.set_max_knee_flexion_degrees(45);
  request.set_max_patellofemoral_load(v1::PATELLOFEMORAL_LOAD_LOW);
  request.set_page_size(200);
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response).ok());
  ASSERT_GT(response.exercises_size(), 0);
  for (const auto& e : response.exercises()) {
    EXPECT_LE(e.knee_flexion().max_degrees(), 45) << e.slug();
    EXPECT_EQ(e.patellofemoral_load(), v1::PATELLOFEMORAL_LOAD_LOW) << e.slug();
  }
}

TEST_F(ServerTest, GetExerciseCarriesLadderNeighbours) {
  v1::GetExerciseRequest request;
  request.set_name("exercises/box-squat-60");
  v1::GetExerciseResponse response;
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::GetExercise, request, &response).ok());
  ASSERT_FALSE(response.exercise().ladder_positions().empty());
  const auto& pos = response.exercise().ladder_positions(0);
  EXPECT_EQ(pos.ladder(), "ladders/squat");
  EXPECT_EQ(pos.previous_exercise(), "exercises/partial-squat-45");
  EXPECT_EQ(pos.next_exercise(), "exercises/goblet-squat-90");
  EXPECT_FALSE(response.exercise().instructions().empty());
}

TEST_F(ServerTest, EducationCardsAreServed) {
  v1::ListEducationCardsRequest request;
  v1::ListEducationCardsResponse response;
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListEducationCards, request, &response)
          .ok());
  std::set<int> topics;
  for (const auto& c : response.education_cards()) topics.insert(c.topic());
  EXPECT_TRUE(topics.count(v1::EDUCATION_TOPIC_LOAD_MANAGEMENT));
  EXPECT_TRUE(topics.count(v1::EDUCATION_TOPIC_WHEN_TO_SEE_A_CLINICIAN));
}

TEST_F(ServerTest, DefaultProtocolIsSeeded) {
  v1::GetProtocolRequest request;
  request.set_name("protocols/default");
  v1::GetProtocolResponse response;
  ASSERT_TRUE(Call(*protocols_, &v1::ProtocolService::Stub::GetProtocol, request, &response).ok());
  EXPECT_EQ(response.protocol().rules().exercise_traffic_light().green_max_pain_during(), 3);
  EXPECT_EQ(response.protocol().rules().running_traffic_light().green_max_pain_during(), 2);
}

}  // namespace
}  // namespace kneecoach::testing
