#include "service/core/plan_texts.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/session.pb.h"
#include "service/core/plan_codec.h"
#include "service/domain/dates.h"
#include "service/domain/schedule.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using testing::TestLibrary;

v1::Program ProgramWith(const std::vector<std::string>& slugs) {
  v1::Program program;
  program.set_name("programs/p123");
  program.set_state(v1::PROGRAM_STATE_ACTIVE);
  program.set_start_date("2026-03-02");
  for (size_t i = 0; i < slugs.size(); ++i) {
    auto* p = program.add_prescriptions();
    p->set_name(absl::StrCat("programs/p123/prescriptions/", i + 1));
    p->set_exercise("exercises/" + slugs[i]);
    p->mutable_dose()->set_sets(3);
    p->mutable_dose()->set_reps(10 + static_cast<int>(i));
  }
  return program;
}

std::string Encode(const v1::Session& session) {
  v1::GetTodaySessionResponse response;
  *response.mutable_session() = session;
  return response.SerializeAsString();
}

// The server keeps basic plans deflated and builds the full view from the bytes: both must
// give back exactly what PlanSession makes, on days with and without cards and texts.
TEST(PlanTextsTest, FullViewOfAKeptBasicPlanIsTheFullPlan) {
  const PlanCodec codec(TestLibrary());
  const PlanTexts texts(TestLibrary());
  const v1::Program program =
      ProgramWith({"quad-set", "bridge", "wall-sit-60", "no-such-exercise", "side-plank-knees"});
  int cards = 0;
  for (int day = 1; day <= 10; ++day) {
    for (v1::TrafficLight light : {v1::TRAFFIC_LIGHT_GREEN, v1::TRAFFIC_LIGHT_RED}) {
      const absl::CivilDay date(2026, 3, day);
      const std::string basic =
          Encode(PlanSession(program, TestLibrary(), {}, date, light, PlanDetail::kBasic));
      const std::string packed = codec.Compress(basic);
      EXPECT_LT(packed.size(), basic.size() / 2) << "day " << day;
      auto unpacked = codec.Decompress(packed);
      ASSERT_TRUE(unpacked.ok()) << unpacked.status();
      EXPECT_EQ(*unpacked, basic);

      auto full_bytes = texts.FullView(*unpacked);
      ASSERT_TRUE(full_bytes.ok()) << full_bytes.status();
      v1::GetTodaySessionResponse full;
      ASSERT_TRUE(full.ParseFromString(*full_bytes));
      v1::GetTodaySessionResponse expected;
      *expected.mutable_session() =
          PlanSession(program, TestLibrary(), {}, date, light, PlanDetail::kFull);
      std::string diff;
      google::protobuf::util::MessageDifferencer differ;
      differ.ReportDifferencesToString(&diff);
      EXPECT_TRUE(differ.Compare(expected, full)) << "day " << day << ": " << diff;
      ASSERT_GT(full.session().items_size(), 0);
      EXPECT_FALSE(full.session().items(0).cues().empty());
      cards += full.session().education_cards_size();
      for (const auto& card : full.session().education_cards()) {
        EXPECT_FALSE(card.paragraphs().empty()) << card.name();
      }
    }
  }
  EXPECT_GT(cards, 0);  // the days covered cards
}

TEST(PlanTextsTest, DamagedBytesAreAnErrorNotACrash) {
  const PlanCodec codec(TestLibrary());
  const PlanTexts texts(TestLibrary());
  const std::string basic =
      Encode(PlanSession(ProgramWith({"quad-set"}), TestLibrary(), {}, absl::CivilDay(2026, 3, 2),
                         v1::TRAFFIC_LIGHT_GREEN, PlanDetail::kBasic));
  for (size_t cut = 1; cut < basic.size(); cut += 7) {
    EXPECT_FALSE(texts.FullView(basic.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(texts.FullView("\xff\xff\xff\xff\xff\xff").ok());
  std::string packed = codec.Compress(basic);
  EXPECT_FALSE(codec.Decompress(packed.substr(0, packed.size() / 2)).ok());
  EXPECT_FALSE(codec.Decompress("not deflate at all").ok());
  // The thread's inflate stream is reused: a damaged plan leaves nothing behind for the next.
  auto whole = codec.Decompress(packed);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, basic);
  // And one plan's dictionary state does not leak into another codec's.
  const PlanCodec other(TestLibrary());
  auto again = other.Decompress(other.Compress(basic));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, basic);
}

}  // namespace
}  // namespace kneecoach
