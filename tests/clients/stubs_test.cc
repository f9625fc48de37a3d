// The clients' stub bundle (clients/common/stubs.h) against the protos: one stub for every
// service of every kneecoach.v1 proto file, found in the generated descriptor pool by listing
// proto/kneecoach/v1/, so a service added to any file, old or new, fails here until Stubs has
// a stub for it.
#include "clients/common/stubs.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace kneecoach::clients {
namespace {

// Whether the proto source at `path` declares a service (a line starting "service ").
bool DeclaresService(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "service ")) return true;
  }
  return false;
}

// Every service of every proto/kneecoach/v1 file, from the descriptor pool of this binary.
// A file missing from the pool is reported when it declares a service: a service file's
// generated code reaches this binary (a static link) through its stub in Stubs, so a file
// that is not here has no stub there.
std::set<std::string> ServicesInTheProtos() {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(KNEECOACH_TEST_PROTO_DIR)) {
    if (entry.path().extension() != ".proto") continue;
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
        "kneecoach/v1/" + entry.path().filename().string());
    if (file == nullptr) {
      EXPECT_FALSE(DeclaresService(entry.path()))
          << entry.path() << " declares a service that clients::Stubs has no stub for";
      continue;
    }
    for (int i = 0; i < file->service_count(); ++i) names.insert(file->service(i)->full_name());
  }
  return names;
}

std::shared_ptr<grpc::Channel> UnusedChannel() {
  // Channels connect lazily: nothing listens here and nothing is called.
  return grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
}

TEST(StubsTest, HasOneStubForEveryServiceOfTheProtos) {
  const std::set<std::string> expected = ServicesInTheProtos();
  ASSERT_GE(expected.size(), 8u);  // the directory was read
  const Stubs stubs(UnusedChannel());
  const std::vector<std::string> names = stubs.ServiceNames();
  const std::set<std::string> distinct(names.begin(), names.end());
  EXPECT_EQ(distinct.size(), names.size()) << "a service has two stubs";
  EXPECT_EQ(distinct, expected);
}

TEST(PrepareCallTest, SetsTheDeadlineFromNow) {
  grpc::ClientContext context;
  const auto before = std::chrono::system_clock::now();
  PrepareCall(&context, "token", absl::Seconds(10));
  const auto after = std::chrono::system_clock::now();
  EXPECT_GE(context.deadline(), before + std::chrono::seconds(10));
  EXPECT_LE(context.deadline(), after + std::chrono::seconds(10));
}

}  // namespace
}  // namespace kneecoach::clients
