#include "service/domain/dose.h"

#include "gtest/gtest.h"

namespace kneecoach {
namespace {

v1::Dose Sample() {
  v1::Dose d;
  d.set_sets(3);
  d.set_reps(10);
  d.set_hold_seconds(5);
  d.set_rest_seconds(60);
  d.set_load_kg(2.5);
  return d;
}

TEST(SameDose, EqualDosesAreTheSame) {
  EXPECT_TRUE(SameDose(Sample(), Sample()));
  EXPECT_TRUE(SameDose(v1::Dose(), v1::Dose()));
}

// Walks Dose's descriptor, so that a field added to the message and forgotten in SameDose
// fails here.
TEST(SameDose, EveryFieldCounts) {
  const auto* descriptor = v1::Dose::descriptor();
  const auto* reflection = v1::Dose::GetReflection();
  ASSERT_GT(descriptor->field_count(), 0);
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    SCOPED_TRACE(field->name());
    v1::Dose changed = Sample();
    using Type = google::protobuf::FieldDescriptor::CppType;
    switch (field->cpp_type()) {
      case Type::CPPTYPE_INT32:
        reflection->SetInt32(&changed, field, reflection->GetInt32(changed, field) + 1);
        break;
      case Type::CPPTYPE_DOUBLE:
        reflection->SetDouble(&changed, field, reflection->GetDouble(changed, field) + 0.5);
        break;
      case Type::CPPTYPE_BOOL:
        reflection->SetBool(&changed, field, !reflection->GetBool(changed, field));
        break;
      default:
        FAIL() << "a field of a type this test cannot change: extend it and SameDose";
    }
    EXPECT_FALSE(SameDose(Sample(), changed));
    EXPECT_FALSE(SameDose(changed, Sample()));
  }
}

}  // namespace
}  // namespace kneecoach
