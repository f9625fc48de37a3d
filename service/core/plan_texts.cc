#include "service/core/plan_texts.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;

// Field numbers this file depends on, checked against the generated code.
constexpr int kResponseSession = v1::GetTodaySessionResponse::kSessionFieldNumber;
constexpr int kSessionItems = v1::Session::kItemsFieldNumber;
constexpr int kSessionCards = v1::Session::kEducationCardsFieldNumber;
constexpr int kItemExercise = v1::SessionItem::kExerciseFieldNumber;
constexpr int kCardName = v1::EducationCard::kNameFieldNumber;

uint32_t LengthTag(int field) {
  return WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}

void AppendVarint(uint32_t value, std::string& out) {
  uint8_t buffer[5];
  const uint8_t* end = CodedOutputStream::WriteVarint32ToArray(value, buffer);
  out.append(reinterpret_cast<const char*>(buffer), end - buffer);
}

// Appends field `field` (length-delimited) holding `first` followed by `second`.
void AppendLengthDelimited(int field, absl::string_view first, absl::string_view second,
                           std::string& out) {
  AppendVarint(LengthTag(field), out);
  AppendVarint(static_cast<uint32_t>(first.size() + second.size()), out);
  out.append(first.data(), first.size());
  out.append(second.data(), second.size());
}

struct Field {
  uint32_t tag = 0;
  absl::string_view whole;    // tag, length and value as encoded
  absl::string_view payload;  // the value of a length-delimited field
};

// Reads the next field of `in` (over `data`); false at the end, or on malformed input
// (then `*ok` is false).
bool NextField(CodedInputStream& in, absl::string_view data, Field& field, bool* ok) {
  const int start = in.CurrentPosition();
  if (start == static_cast<int>(data.size())) return false;  // the end
  field.tag = in.ReadTag();
  if (field.tag == 0) return *ok = false;
  if (WireFormatLite::GetTagWireType(field.tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return *ok = false;
    const int at = in.CurrentPosition();
    if (!in.Skip(static_cast<int>(length))) return *ok = false;
    field.payload = data.substr(at, length);
  } else if (!WireFormatLite::SkipField(&in, field.tag)) {
    return *ok = false;
  }
  field.whole = data.substr(start, in.CurrentPosition() - start);
  return true;
}

// Calls fn(field) for each field of an encoded message, in order; false if it is malformed.
template <typename Fn>
bool ForEachField(absl::string_view message, Fn&& fn) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                      static_cast<int>(message.size()));
  Field field;
  bool ok = true;
  while (NextField(in, message, field, &ok)) fn(field);
  return ok;
}

// The string in length-delimited field `number` of an encoded message (empty if absent).
absl::string_view StringField(absl::string_view message, int number) {
  absl::string_view value;
  ForEachField(message, [&](const Field& field) {
    if (field.tag == LengthTag(number)) value = field.payload;
  });
  return value;
}

}  // namespace

PlanTexts::PlanTexts(const Library& library) {
  for (const v1::Exercise* exercise : library.ListExercises({})) {
    v1::SessionItem texts;
    texts.set_display_name(exercise->display_name());
    texts.set_summary(exercise->summary());
    *texts.mutable_cues() = exercise->cues();
    item_texts_[exercise->name()] = texts.SerializeAsString();
  }
  for (const v1::EducationCard& card : library.education_cards()) {
    cards_[card.name()] = card.SerializeAsString();
  }
}

absl::StatusOr<std::string> PlanTexts::FullSession(absl::string_view session) const {
  std::string out;
  out.reserve(session.size() * 5);
  const bool ok = ForEachField(session, [&](const Field& field) {
    if (field.tag == LengthTag(kSessionItems)) {
      auto texts = item_texts_.find(StringField(field.payload, kItemExercise));
      AppendLengthDelimited(kSessionItems, field.payload,
                            texts == item_texts_.end() ? "" : texts->second, out);
      return;
    }
    if (field.tag == LengthTag(kSessionCards)) {
      if (auto card = cards_.find(StringField(field.payload, kCardName)); card != cards_.end()) {
        AppendLengthDelimited(kSessionCards, card->second, "", out);
        return;
      }
    }
    out.append(field.whole.data(), field.whole.size());
  });
  if (!ok) return absl::InternalError("a kept plan does not decode");
  return out;
}

absl::StatusOr<std::string> PlanTexts::FullView(absl::string_view basic) const {
  std::string out;
  absl::Status session_status;
  const bool ok = ForEachField(basic, [&](const Field& field) {
    if (field.tag != LengthTag(kResponseSession)) {
      out.append(field.whole.data(), field.whole.size());
      return;
    }
    auto session = FullSession(field.payload);
    if (!session.ok()) {
      session_status = session.status();
      return;
    }
    AppendLengthDelimited(kResponseSession, *session, "", out);
  });
  if (!session_status.ok()) return session_status;
  if (!ok) return absl::InternalError("a kept plan does not decode");
  return out;
}

}  // namespace kneecoach
