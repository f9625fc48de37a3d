#include "service/domain/schedule.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "service/domain/dates.h"
#include "service/domain/program_factory.h"

namespace kneecoach {
namespace {

constexpr size_t kMaxCardsPerDay = 2;

bool IsDueByFrequency(const v1::FrequencyRule& rule, const std::vector<absl::CivilDay>* dates,
                      absl::CivilDay day) {
  if (dates == nullptr) return true;
  int in_last_week = 0;
  bool too_recent = false;
  for (absl::CivilDay d : *dates) {
    if (d >= day) continue;
    const int days_ago = static_cast<int>(day - d);
    if (days_ago < rule.min_days_between()) too_recent = true;
    if (days_ago <= 6) ++in_last_week;
  }
  if (too_recent) return false;
  return rule.max_per_week() <= 0 || in_last_week < rule.max_per_week();
}

bool IsResting(const v1::Prescription& p, absl::CivilDay day) {
  if (p.progress().rest_until_date().empty()) return false;
  auto until = ParseLocalDate(p.progress().rest_until_date());
  return until.ok() && day < *until;
}

}  // namespace

v1::FrequencyRule FrequencyFor(const v1::Prescription& prescription, const v1::Exercise& exercise,
                               const v1::ProtocolRules& rules) {
  v1::FrequencyRule rule;
  rule.set_frequency_class(exercise.frequency_class());
  rule.set_min_days_between(1);
  for (const auto& r : rules.frequency_rules()) {
    if (r.frequency_class() == exercise.frequency_class()) rule = r;
  }
  if (prescription.min_days_between() > 0) {
    rule.set_min_days_between(prescription.min_days_between());
  }
  if (prescription.max_per_week() > 0) rule.set_max_per_week(prescription.max_per_week());
  return rule;
}

int ShortestGapDays(const v1::Program& program, const Library& library) {
  int gap = 0;
  for (const auto& p : program.prescriptions()) {
    if (p.suspended()) continue;
    const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(p.exercise()));
    if (exercise == nullptr) continue;
    const int days = std::max(1, FrequencyFor(p, *exercise, program.rules()).min_days_between());
    gap = gap == 0 ? days : std::min(gap, days);
  }
  return gap;
}

std::vector<const v1::Prescription*> DuePrescriptions(const v1::Program& program,
                                                      const Library& library, const DoneDates& done,
                                                      absl::CivilDay day) {
  std::vector<const v1::Prescription*> due;
  if (program.state() != v1::PROGRAM_STATE_ACTIVE) return due;
  for (const auto& p : program.prescriptions()) {
    if (p.suspended()) continue;
    const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(p.exercise()));
    if (exercise == nullptr) continue;
    auto it = done.find(p.name());
    const auto* dates = it == done.end() ? nullptr : &it->second;
    if (!IsDueByFrequency(FrequencyFor(p, *exercise, program.rules()), dates, day)) continue;
    if (exercise->frequency_class() == v1::FREQUENCY_CLASS_RUNNING && IsResting(p, day)) {
      continue;
    }
    due.push_back(&p);
  }
  return due;
}

int ProgramDay(const v1::Program& program, absl::CivilDay day) {
  auto start = ParseLocalDate(program.start_date());
  if (!start.ok()) return 1;
  return static_cast<int>(day - *start) + 1;
}

namespace {

bool IsRestDay(const std::vector<const v1::Prescription*>& due, const Library& library) {
  for (const v1::Prescription* p : due) {
    const v1::Exercise* e = library.FindExercise(ExerciseSlug(p->exercise()));
    if (e != nullptr && (e->frequency_class() == v1::FREQUENCY_CLASS_LOADED_STRENGTH ||
                         e->frequency_class() == v1::FREQUENCY_CLASS_RUNNING)) {
      return false;
    }
  }
  return true;
}

// Cards in priority order: scheduled program days, phase starts, after a flare, rest days.
std::vector<const v1::EducationCard*> CardsFor(const v1::Program& program, const Library& library,
                                               absl::CivilDay day, bool rest_day,
                                               v1::TrafficLight last_light) {
  const int program_day = ProgramDay(program, day);
  const bool phase_start = program.phase_start_date() == FormatLocalDate(day);
  const bool after_flare =
      last_light == v1::TRAFFIC_LIGHT_AMBER || last_light == v1::TRAFFIC_LIGHT_RED;
  auto by_day = [&](const v1::EducationCard& c) {
    return std::find(c.program_days().begin(), c.program_days().end(), program_day) !=
           c.program_days().end();
  };
  auto by_phase = [&](const v1::EducationCard& c) {
    return phase_start && std::find(c.phase_starts().begin(), c.phase_starts().end(),
                                    program.phase()) != c.phase_starts().end();
  };
  auto by_flare = [&](const v1::EducationCard& c) { return after_flare && c.after_flare(); };
  auto by_rest = [&](const v1::EducationCard& c) { return rest_day && c.rest_days(); };

  std::vector<const v1::EducationCard*> cards;
  for (const auto& matches : {std::function<bool(const v1::EducationCard&)>(by_day),
                              std::function<bool(const v1::EducationCard&)>(by_phase),
                              std::function<bool(const v1::EducationCard&)>(by_flare),
                              std::function<bool(const v1::EducationCard&)>(by_rest)}) {
    for (const auto& card : library.education_cards()) {
      if (cards.size() >= kMaxCardsPerDay) return cards;
      if (matches(card) && std::find(cards.begin(), cards.end(), &card) == cards.end()) {
        cards.push_back(&card);
      }
    }
  }
  return cards;
}

void FillItem(const v1::Prescription& p, const v1::Exercise* exercise, bool done,
              v1::SessionItem& item) {
  item.set_prescription(p.name());
  item.set_exercise(p.exercise());
  item.set_done(done);
  *item.mutable_dose() = p.dose();
  if (exercise == nullptr) return;
  item.set_category(exercise->category());
  item.set_optional(exercise->optional());
}

}  // namespace

v1::Session PlanSession(const v1::Program& program, const Library& library, const DoneDates& done,
                        absl::CivilDay day, v1::TrafficLight last_light, PlanDetail detail) {
  v1::Session session;
  session.set_program(program.name());
  session.set_local_date(FormatLocalDate(day));
  session.set_state(v1::SESSION_STATE_PLANNED);
  session.set_program_day(ProgramDay(program, day));

  auto done_on_day = [&](const v1::Prescription& p) {
    auto it = done.find(p.name());
    return it != done.end() &&
           std::find(it->second.begin(), it->second.end(), day) != it->second.end();
  };
  const std::vector<const v1::Prescription*> due = DuePrescriptions(program, library, done, day);
  // A paused program hands out nothing, not even what was done earlier today.
  const bool paused = program.state() == v1::PROGRAM_STATE_PAUSED;
  for (const auto& p : program.prescriptions()) {
    if (paused) break;
    const bool is_due = std::find(due.begin(), due.end(), &p) != due.end();
    const bool is_done = done_on_day(p);
    if (!is_due && !is_done) continue;
    FillItem(p, library.FindExercise(ExerciseSlug(p.exercise())), is_done, *session.add_items());
  }
  if (paused) {
    session.set_program_paused(true);
    session.set_message(absl::StrCat(
        "Your program is paused", program.pause_reason().empty() ? "" : ": ",
        program.pause_reason(),
        ". No exercises until your physiotherapist resumes it; contact them if unsure."));
  } else if (program.state() == v1::PROGRAM_STATE_COMPLETED) {
    // A phone still holding a replaced program must not read "rest day" into it.
    session.set_message(
        "This program is completed: your physiotherapist replaced it with a new one. Open "
        "your current program for today's exercises.");
    if (detail == PlanDetail::kFull) AddLibraryTexts(library, session);
    return session;
  } else if (session.items_size() == 0) {
    session.set_message("Rest day: nothing is due today. Easy walking is fine.");
  }
  for (const v1::EducationCard* card :
       CardsFor(program, library, day, IsRestDay(due, library), last_light)) {
    session.add_education_cards()->set_name(card->name());
  }
  if (detail == PlanDetail::kFull) AddLibraryTexts(library, session);
  return session;
}

void AddLibraryTexts(const Library& library, v1::Session& plan) {
  for (v1::SessionItem& item : *plan.mutable_items()) {
    const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(item.exercise()));
    if (exercise == nullptr) continue;
    item.set_display_name(exercise->display_name());
    item.set_summary(exercise->summary());
    *item.mutable_cues() = exercise->cues();
  }
  for (v1::EducationCard& card : *plan.mutable_education_cards()) {
    absl::string_view slug = card.name();
    absl::ConsumePrefix(&slug, "educationCards/");
    if (const v1::EducationCard* whole = library.FindEducationCard(slug); whole != nullptr) {
      card = *whole;
    }
  }
}

}  // namespace kneecoach
