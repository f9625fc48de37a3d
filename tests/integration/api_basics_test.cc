// The server answers like a well-behaved gRPC service: health, reflection, the library.
#include <set>

#include "google/protobuf/unknown_field_set.h"
#include "grpc/health/v1/health.grpc.pb.h"
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

// Lists services through server reflection. The reflection messages are read as unknown
// fields (ListServiceResponse = field 6, ServiceResponse.name = field 1), since gRPC's
// reflection library already owns the generated types.
std::set<std::string> ReflectedServices(grpc::Channel& channel) {
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  void* tag;
  bool ok;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  const std::string list_services("\x3a\x00", 2);  // field 7 (list_services) = ""
  grpc::Slice slice(list_services);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  std::set<std::string> names;
  std::vector<grpc::Slice> slices;
  if (ok && reply.Dump(&slices).ok()) {
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    google::protobuf::UnknownFieldSet response;
    response.ParseFromString(bytes);
    for (int i = 0; i < response.field_count(); ++i) {
      if (response.field(i).number() != 6) continue;
      google::protobuf::UnknownFieldSet list;
      list.ParseFromString(response.field(i).length_delimited());
      for (int j = 0; j < list.field_count(); ++j) {
        google::protobuf::UnknownFieldSet service;
        service.ParseFromString(list.field(j).length_delimited());
        if (service.field_count() > 0) names.insert(service.field(0).length_delimited());
      }
    }
  }
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(5)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return names;
}

TEST_F(ServerTest, ReflectionListsTheServices) {
  const std::set<std::string> names = ReflectedServices(*channel_);
  for (const char* expected :
       {"kneecoach.v1.ExerciseLibraryService", "kneecoach.v1.PatientService",
        "kneecoach.v1.ProgramService", "kneecoach.v1.SessionService",
        "kneecoach.v1.AlertService", "kneecoach.v1.ProtocolService"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
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
        Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response)
            .ok());
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
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response)
          .ok());
  ASSERT_GT(response.exercises_size(), 0);
  for (const auto& e : response.exercises()) EXPECT_EQ(e.category(), v1::EXERCISE_CATEGORY_ISOMETRIC);

  request.Clear();
  request.set_ladder("ladders/squat");
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response)
          .ok());
  ASSERT_EQ(response.exercises_size(), 5);
  EXPECT_EQ(response.exercises(0).slug(), "sit-to-stand-high");
  EXPECT_EQ(response.exercises(4).slug(), "single-leg-squat-60");

  request.Clear();
  request.set_max_knee_flexion_degrees(45);
  request.set_max_patellofemoral_load(v1::PATELLOFEMORAL_LOAD_LOW);
  request.set_page_size(200);
  ASSERT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response)
          .ok());
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
  ASSERT_TRUE(Call(*library_, &v1::ExerciseLibraryService::Stub::ListEducationCards, request,
                   &response)
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
  ASSERT_TRUE(
      Call(*protocols_, &v1::ProtocolService::Stub::GetProtocol, request, &response).ok());
  EXPECT_EQ(response.protocol().rules().exercise_traffic_light().green_max_pain_during(), 3);
  EXPECT_EQ(response.protocol().rules().running_traffic_light().green_max_pain_during(), 2);
}

}  // namespace
}  // namespace kneecoach::testing
