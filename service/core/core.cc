#include "service/core/core.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/core_util.h"
#include "service/domain/dates.h"

namespace kneecoach {

using google::protobuf::util::TimeUtil;
using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;

Core::Core(const Library& library, Store& store, const Clock& clock, IdGenerator& ids,
           CoreOptions options)
    : library_(library),
      store_(store),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)),
      access_cache_(options_.access_cache_entries),
      plan_cache_(PlanCache::Options{.max_bytes = options_.plan_cache_bytes}) {
  internal::LoadPageKey(store_);
  // What other replicas sharing the store commit reaches this one's caches (a store only
  // this process uses never calls).
  store_.WatchChanges([this](const StoreChange& change) {
    switch (change.kind) {
      case StoreChange::Kind::kProgram:
        plan_cache_.Invalidate(change.program_id);
        break;
      case StoreChange::Kind::kAccess:
        access_cache_.Invalidate();
        break;
      case StoreChange::Kind::kEverything:
        plan_cache_.InvalidateAll();
        access_cache_.Invalidate();
        break;
    }
  });
}

Core::~Core() { store_.WatchChanges({}); }

namespace {

// Pages through an in-memory list with offset tokens.
template <typename T, typename Out>
absl::Status PageInMemory(const std::vector<T>& all, const PageRequest& page, Out* out,
                          std::string* next_page_token) {
  size_t after = 0;  // the cursor is an offset, sealed by PageToken below
  if (!page.after.empty() && !absl::SimpleAtoi(page.after, &after)) after = all.size();
  const size_t begin = std::min(all.size(), after);
  const size_t end = std::min(all.size(), begin + page.limit);
  for (size_t i = begin; i < end; ++i) *out->Add() = *all[i];
  *next_page_token = end < all.size() ? PageToken(absl::StrCat(end)) : "";
  return absl::OkStatus();
}

template <typename T>
std::vector<const T*> Pointers(const std::vector<T>& v) {
  std::vector<const T*> out;
  for (const T& x : v) out.push_back(&x);
  return out;
}

}  // namespace

// ---- ExerciseLibraryService ----------------------------------------------------------

absl::StatusOr<v1::ListExercisesResponse> Core::ListExercises(const v1::ListExercisesRequest& r) {
  FieldViolations violations;
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  ExerciseFilter filter;
  if (!v1::ExerciseCategory_IsValid(r.category())) {
    violations.Add("category", "unknown category");
  }
  if (!v1::PatellofemoralLoad_IsValid(r.max_patellofemoral_load())) {
    violations.Add("max_patellofemoral_load", "unknown load level");
  }
  if (r.max_knee_flexion_degrees() < 0 || r.max_knee_flexion_degrees() > 180) {
    violations.Add("max_knee_flexion_degrees", "out of range 0..180");
  }
  if (!r.ladder().empty()) {
    auto id = ParseId("ladder", r.ladder(), "ladders");
    if (!id.ok()) return id.status();
    if (library_.FindLadder(*id) == nullptr) return NotFound("ladder", r.ladder());
    filter.ladder_id = *id;
  }
  if (!violations.empty()) return violations.ToStatus();
  filter.category = r.category();
  filter.max_patellofemoral_load = r.max_patellofemoral_load();
  filter.max_knee_flexion_degrees = r.max_knee_flexion_degrees();
  const std::vector<const v1::Exercise*> all = library_.ListExercises(filter);
  v1::ListExercisesResponse response;
  response.set_total_size(static_cast<int>(all.size()));
  PageInMemory(all, *page, response.mutable_exercises(), response.mutable_next_page_token())
      .IgnoreError();
  return response;
}

absl::StatusOr<v1::GetExerciseResponse> Core::GetExercise(const v1::GetExerciseRequest& r) {
  auto slug = ParseId("name", r.name(), "exercises");
  if (!slug.ok()) return slug.status();
  const v1::Exercise* exercise = library_.FindExercise(*slug);
  if (exercise == nullptr) return NotFound("exercise", r.name());
  v1::GetExerciseResponse response;
  *response.mutable_exercise() = *exercise;
  return response;
}

absl::StatusOr<v1::ListLaddersResponse> Core::ListLadders(const v1::ListLaddersRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  v1::ListLaddersResponse response;
  PageInMemory(Pointers(library_.ladders()), *page, response.mutable_ladders(),
               response.mutable_next_page_token())
      .IgnoreError();
  return response;
}

absl::StatusOr<v1::ListEducationCardsResponse> Core::ListEducationCards(
    const v1::ListEducationCardsRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  if (!v1::EducationTopic_IsValid(r.topic())) return InvalidField("topic", "unknown topic");
  std::vector<const v1::EducationCard*> cards;
  for (const auto& c : library_.education_cards()) {
    if (r.topic() == v1::EDUCATION_TOPIC_UNSPECIFIED || c.topic() == r.topic()) {
      cards.push_back(&c);
    }
  }
  v1::ListEducationCardsResponse response;
  PageInMemory(cards, *page, response.mutable_education_cards(), response.mutable_next_page_token())
      .IgnoreError();
  return response;
}

absl::StatusOr<v1::GetEducationCardResponse> Core::GetEducationCard(
    const v1::GetEducationCardRequest& r) {
  auto slug = ParseId("name", r.name(), "educationCards");
  if (!slug.ok()) return slug.status();
  const v1::EducationCard* card = library_.FindEducationCard(*slug);
  if (card == nullptr) return NotFound("education card", r.name());
  v1::GetEducationCardResponse response;
  *response.mutable_education_card() = *card;
  return response;
}

// ---- PatientService ------------------------------------------------------------------

namespace {

constexpr int kMaxDisplayName = 200;

}  // namespace

namespace internal {
void ValidatePatientFields(const v1::Patient& p, FieldViolations& violations) {
  const absl::string_view name = absl::StripAsciiWhitespace(p.display_name());
  if (name.empty()) {
    violations.Add("patient.display_name", "required");
  } else if (p.display_name().size() > kMaxDisplayName) {
    violations.Add("patient.display_name", absl::StrCat("longer than ", kMaxDisplayName, " bytes"));
  } else if (HasControlCharacters(p.display_name())) {
    violations.Add("patient.display_name",
                   "holds a control, line-break or text-direction character");
  }
  if (!ParseId("patient.clinic", p.clinic(), "clinics").ok()) {
    violations.Add("patient.clinic", "required: \"clinics/{clinic}\" (id: 1-64 of [a-z0-9-])");
  }
  if (absl::StrContains(p.time_zone(), "..") || absl::StartsWith(p.time_zone(), "/") ||
      !LoadZone(p.time_zone()).ok()) {
    violations.Add("patient.time_zone", absl::StrCat("unknown IANA time zone \"", p.time_zone(),
                                                     "\" (e.g. \"Europe/London\")"));
  }
  if (p.affected_sides().empty()) {
    violations.Add("patient.affected_sides", "required: KNEE_SIDE_LEFT and/or KNEE_SIDE_RIGHT");
  }
  std::vector<int> seen;
  for (int i = 0; i < p.affected_sides_size(); ++i) {
    const int side = p.affected_sides(i);
    if (side == v1::KNEE_SIDE_UNSPECIFIED || !v1::KneeSide_IsValid(side)) {
      violations.Add(absl::StrCat("patient.affected_sides[", i, "]"), "unknown side");
    } else if (std::find(seen.begin(), seen.end(), side) != seen.end()) {
      violations.Add(absl::StrCat("patient.affected_sides[", i, "]"), "repeated side");
    }
    seen.push_back(side);
  }
}
}  // namespace internal

absl::StatusOr<v1::CreatePatientResponse> Core::CreatePatient(const v1::CreatePatientRequest& r) {
  FieldViolations violations;
  internal::ValidatePatientFields(r.patient(), violations);
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  if (!violations.empty()) return violations.ToStatus();
  return InWrite<v1::CreatePatientResponse>(
      writes_, "CreatePatient", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreatePatientResponse> {
        const std::string id = ids_.NewId();
        v1::Patient patient = r.patient();
        patient.set_name(absl::StrCat("patients/", id));
        patient.set_display_name(std::string(absl::StripAsciiWhitespace(patient.display_name())));
        patient.clear_active_program();
        patient.clear_physiotherapists();
        // A physiotherapist who creates a patient looks after them.
        const Caller& caller = CurrentCaller();
        if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
          patient.add_physiotherapists(caller.user_name);
          if (absl::Status s = txn.SetAssignments(
                  id, {std::string(absl::StripPrefix(caller.user_name, "users/"))});
              !s.ok()) {
            return s;
          }
        }
        *patient.mutable_create_time() =
            TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_.Now()));
        if (absl::Status s = txn.InsertPatient(id, patient); !s.ok()) return s;
        v1::CreatePatientResponse response;
        *response.mutable_patient() = std::move(patient);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::GetPatientResponse> Core::GetPatient(const v1::GetPatientRequest& r) {
  return internal::GetByName(store_, r.name(), "patients", &Txn::GetPatient,
                             &v1::GetPatientResponse::mutable_patient);
}

absl::StatusOr<v1::ListPatientsResponse> Core::ListPatients(const v1::ListPatientsRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  if (!r.clinic().empty()) {
    if (auto id = ParseId("clinic", r.clinic(), "clinics"); !id.ok()) return id.status();
  }
  std::string physiotherapist_id;
  if (!r.physiotherapist().empty()) {
    auto id = ParseId("physiotherapist", r.physiotherapist(), "users");
    if (!id.ok()) return id.status();
    physiotherapist_id = *id;
  }
  // Callers see their own clinic; a physiotherapist sees their own caseload.
  const Caller& caller = CurrentCaller();
  const std::string clinic = r.clinic().empty() ? caller.user.clinic() : r.clinic();
  if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
    physiotherapist_id = std::string(absl::StripPrefix(caller.user_name, "users/"));
  }
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListPatientsResponse> {
    return internal::ToPageResponse(txn.ListPatients(clinic, physiotherapist_id, *page),
                                    &v1::ListPatientsResponse::mutable_patients);
  });
}

}  // namespace kneecoach
