#include "service/domain/safety.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "service/domain/dates.h"
#include "service/domain/outcomes.h"
#include "service/domain/program_factory.h"
#include "service/domain/schedule.h"

namespace kneecoach {
namespace {

constexpr int kHoursPerDay = 24;
constexpr int kDaysPerWeek = 7;
constexpr char kSameDayCare[] =
    "Seek same-day care (your GP, an urgent care centre or the emergency department). Your "
    "program is paused until your physiotherapist reviews it.";
constexpr char kUrgentReview[] =
    "Your program is paused. Contact your physiotherapist for a review within the next few "
    "days, sooner if it gets worse.";

bool IsImmediate(v1::RedFlag flag) {
  switch (flag) {
    case v1::RED_FLAG_HOT_SWOLLEN_KNEE_WITH_FEVER:
    case v1::RED_FLAG_CANNOT_BEAR_WEIGHT_AFTER_TRAUMA:
    case v1::RED_FLAG_CANNOT_STRAIGHT_LEG_RAISE_AFTER_TRAUMA:
    case v1::RED_FLAG_KNEECAP_DISLOCATION:
    case v1::RED_FLAG_CALF_SWELLING_NUMBNESS_OR_COLD_FOOT:
      return true;
    default:
      return false;
  }
}

// "RED_FLAG_NEW_SWELLING" -> "new swelling".
std::string Readable(v1::RedFlag flag) {
  absl::string_view name = v1::RedFlag_Name(flag);
  absl::ConsumePrefix(&name, "RED_FLAG_");
  return absl::AsciiStrToLower(absl::StrReplaceAll(name, {{"_", " "}}));
}

// The check-in's red flags plus those its yes/no questions imply, without duplicates.
std::vector<v1::RedFlag> FlagsOf(const v1::MorningCheckIn& check_in) {
  std::set<v1::RedFlag> flags;
  for (int f : check_in.red_flags()) {
    if (f != v1::RED_FLAG_UNSPECIFIED) flags.insert(static_cast<v1::RedFlag>(f));
  }
  if (check_in.swelling()) flags.insert(v1::RED_FLAG_NEW_SWELLING);
  if (check_in.locking()) flags.insert(v1::RED_FLAG_TRUE_LOCKING);
  if (check_in.giving_way()) flags.insert(v1::RED_FLAG_GIVING_WAY);
  return {flags.begin(), flags.end()};
}

v1::Decision SafetyDecision(absl::string_view rule, v1::TrafficLight light,
                            std::string patient_reason, std::string clinician_reason) {
  v1::Decision d;
  d.set_rule(std::string(rule));
  d.set_traffic_light(light);
  d.set_patient_reason(std::move(patient_reason));
  d.set_clinician_reason(std::move(clinician_reason));
  return d;
}

v1::Alert NewAlert(v1::AlertKind kind, std::string message, bool paused) {
  v1::Alert alert;
  alert.set_kind(kind);
  alert.set_message(std::move(message));
  alert.set_paused_program(paused);
  return alert;
}

void PutAlertInput(v1::Alert& alert, absl::string_view key, absl::string_view value) {
  (*alert.mutable_inputs())[std::string(key)] = std::string(value);
}

void PutAlertInput(v1::Alert& alert, absl::string_view key, double value) {
  PutAlertInput(alert, key, absl::StrCat(value));
}

// An urgent review detected from the pain reported: the red flag it stands for, and the
// advice a ticked urgent-review red flag gets.
v1::Alert UrgentPainAlert(v1::AlertKind kind, std::string message) {
  v1::Alert alert = NewAlert(kind, std::move(message), false);
  alert.add_red_flags(v1::RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN);
  alert.set_patient_advice(kUrgentReview);
  return alert;
}

// Pauses (unless already paused) with `decision` and raises `alert` saying so.
void PauseAndAlert(Evaluation& ev, absl::string_view reason, v1::Decision decision,
                   v1::Alert alert) {
  const bool pausing = !ev.paused();
  if (pausing) {
    for (const auto& [key, value] : alert.inputs()) PutInput(decision, key, value);
    ev.Pause(reason, std::move(decision));
  }
  alert.set_paused_program(pausing);
  ev.Raise(std::move(alert));
}

int SessionRedRun(const Evaluation& ev) {
  int n = 0;
  const auto& sessions = ev.timeline().sessions();
  for (auto it = sessions.rbegin(); it != sessions.rend(); ++it, ++n) {
    if (ev.timeline().EffectiveSessionLight(*it) != v1::TRAFFIC_LIGHT_RED) break;
  }
  return n;
}

// Days with a report, to whether any report that day was RED.
std::map<absl::CivilDay, bool> RedByDay(const Evaluation& ev) {
  std::map<absl::CivilDay, bool> red;
  for (const auto& s : ev.timeline().sessions()) {
    red[s.day] |= ev.timeline().EffectiveSessionLight(s) == v1::TRAFFIC_LIGHT_RED;
  }
  for (const auto& c : ev.timeline().check_ins()) {
    red[c.day] |= c.check_in->traffic_light() == v1::TRAFFIC_LIGHT_RED;
  }
  return red;
}

// The pain a check-in reports for the knee as a whole: morning pain (daily, on the fixed
// test) or, when given, the week's usual pain, whichever is higher. Not worst pain (a
// peak, not a level) nor exercise pain (provoked by the load; the RED rules judge it).
int CheckInPain(const v1::MorningCheckIn& c) {
  return c.has_usual_pain() ? std::max(c.morning_pain(), c.usual_pain()) : c.morning_pain();
}

constexpr char kPainHighUntil[] = "pain_high_until";

// The last day an earlier PAIN_SUSTAINED_HIGH alert counted, if any.
std::optional<absl::CivilDay> LastPainHighDay(const Evaluation& ev) {
  std::optional<absl::CivilDay> last;
  for (const v1::Alert& a : ev.history().alerts) {
    if (a.kind() != v1::ALERT_KIND_PAIN_SUSTAINED_HIGH) continue;
    auto it = a.inputs().find(kPainHighUntil);
    if (it == a.inputs().end()) continue;
    auto day = ParseLocalDate(it->second);
    if (day.ok() && (!last.has_value() || *day > *last)) last = *day;
  }
  return last;
}

std::optional<absl::CivilDay> StartDay(const Evaluation& ev) {
  auto start = ParseLocalDate(ev.program().start_date());
  if (!start.ok()) return std::nullopt;
  return *start;
}

}  // namespace

void CheckRedFlags(Evaluation& ev, const v1::MorningCheckIn& check_in) {
  const std::vector<v1::RedFlag> flags = FlagsOf(check_in);
  if (flags.empty()) return;
  const bool immediate = std::any_of(flags.begin(), flags.end(), IsImmediate);
  std::vector<std::string> names;
  for (v1::RedFlag f : flags) names.push_back(Readable(f));
  const std::string list = absl::StrJoin(names, ", ");
  v1::Alert alert = NewAlert(
      immediate ? v1::ALERT_KIND_RED_FLAG_IMMEDIATE : v1::ALERT_KIND_RED_FLAG_URGENT,
      absl::StrCat(
          immediate ? "Red flag needing same-day care: " : "Red flag needing urgent review: ", list,
          "."),
      false);
  for (v1::RedFlag f : flags) alert.add_red_flags(f);
  alert.set_patient_advice(immediate ? kSameDayCare : kUrgentReview);
  v1::Decision d = SafetyDecision(
      "safety.red_flag", check_in.traffic_light(), immediate ? kSameDayCare : kUrgentReview,
      absl::StrCat("Red flag at the morning check-in (", list, "): program paused at once (",
                   immediate ? "immediate: same-day care" : "urgent review", ")."));
  PutInput(d, "red_flags", list);
  PauseAndAlert(ev, absl::StrCat("Red flag: ", list), std::move(d), std::move(alert));
}

void CheckRedInARow(Evaluation& ev, bool event_red,
                    const std::vector<std::string>& red_prescriptions) {
  if (!event_red || ev.paused()) return;
  const int needed = ev.rules().alerts().red_sessions_in_a_row();
  int longest = SessionRedRun(ev);
  std::string where = "sessions";
  for (const std::string& name : red_prescriptions) {
    const v1::Prescription* p = ev.FindPrescription(name);
    if (p == nullptr) continue;
    const int run = ev.timeline().StreaksFor(*p).red;
    if (run > longest) {
      longest = run;
      where = DescribePrescription(ev.library(), p->exercise(), p->dose());
    }
  }
  if (longest < needed) return;
  v1::Alert alert =
      NewAlert(v1::ALERT_KIND_RED_SESSIONS_IN_A_ROW,
               absl::StrCat(longest, " RED in a row (", where, "): progression paused."), false);
  PutAlertInput(alert, "red_in_a_row", longest);
  PutAlertInput(alert, "red_sessions_in_a_row", needed);
  v1::Decision d = SafetyDecision(
      "safety.red_in_a_row", v1::TRAFFIC_LIGHT_RED,
      "Several painful sessions in a row: your program is paused until your physiotherapist "
      "reviews it.",
      absl::StrCat(longest, " RED in a row (", where, "; threshold ", needed,
                   "): program paused, clinician alerted."));
  PauseAndAlert(ev, absl::StrCat(longest, " red sessions in a row"), std::move(d),
                std::move(alert));
}

void CheckRedPersisting(Evaluation& ev, bool event_red) {
  if (!event_red || ev.paused()) return;
  const std::map<absl::CivilDay, bool> red = RedByDay(ev);
  absl::CivilDay first = ev.day();
  for (auto it = red.rbegin(); it != red.rend() && it->first <= ev.day() && it->second; ++it) {
    first = it->first;
  }
  const int hours = static_cast<int>(ev.day() - first) * kHoursPerDay;
  const int limit = ev.rules().alerts().red_persisting_hours();
  if (hours < limit) return;
  v1::Alert alert = NewAlert(v1::ALERT_KIND_RED_PERSISTING,
                             absl::StrCat("RED since ", FormatLocalDate(first), " (", hours,
                                          " h, limit ", limit, " h): progression paused."),
                             false);
  PutAlertInput(alert, "red_hours", hours);
  PutAlertInput(alert, "red_persisting_hours", limit);
  v1::Decision d = SafetyDecision(
      "safety.red_persisting", v1::TRAFFIC_LIGHT_RED,
      "The pain has not settled for several days: your program is paused until your "
      "physiotherapist reviews it.",
      absl::StrCat("RED on every reported day since ", FormatLocalDate(first), " (", hours,
                   " h >= ", limit, " h): program paused, clinician alerted."));
  PutInput(d, "red_since", FormatLocalDate(first));
  PauseAndAlert(ev, "Red pain persisting", std::move(d), std::move(alert));
}

void CheckPainSustainedHigh(Evaluation& ev, const v1::MorningCheckIn& check_in) {
  const v1::AlertRules& r = ev.rules().alerts();
  const int needed = r.sustained_pain_days();
  const int above = r.sustained_pain_above();
  if (needed <= 0 || ev.paused() || CheckInPain(check_in) <= above) return;
  // Days an earlier alert counted do not count again: after a clinician resumes the
  // program, it takes a new run to pause it again.
  absl::CivilDay from = ev.day() - kHistoryDays;
  if (std::optional<absl::CivilDay> last = LastPainHighDay(ev); last && *last >= from) {
    from = *last + 1;
  }
  // Days with check-ins, to the highest pain reported that day.
  std::map<absl::CivilDay, int> pain;
  for (const auto& c : ev.timeline().check_ins()) {
    if (c.day < from || c.day > ev.day()) continue;
    int& day_pain = pain.try_emplace(c.day, 0).first->second;
    day_pain = std::max(day_pain, CheckInPain(*c.check_in));
  }
  std::vector<std::pair<absl::CivilDay, int>> run;  // latest first
  for (auto it = pain.rbegin(); it != pain.rend() && it->second > above; ++it) {
    run.push_back(*it);
  }
  const int days = static_cast<int>(run.size());
  if (days < needed) return;
  const std::string since = FormatLocalDate(run.back().first);
  std::vector<std::string> latest;  // the last `needed` days, oldest first
  for (int i = needed - 1; i >= 0; --i) {
    latest.push_back(absl::StrCat(FormatLocalDate(run[i].first), ": ", run[i].second));
  }
  const std::string values = absl::StrJoin(latest, ", ");
  v1::Alert alert =
      UrgentPainAlert(v1::ALERT_KIND_PAIN_SUSTAINED_HIGH,
                      absl::StrCat("Pain above ", above, "/10 on ", days,
                                   " days with check-ins in a row since ", since, " (", values,
                                   "; limit ", needed, " days): urgent review, program paused."));
  PutAlertInput(alert, "pain_high_days", days);
  PutAlertInput(alert, "pain_now", CheckInPain(check_in));
  PutAlertInput(alert, "pain_high_since", since);
  PutAlertInput(alert, kPainHighUntil, FormatLocalDate(ev.day()));
  PutAlertInput(alert, "sustained_pain_above", above);
  PutAlertInput(alert, "sustained_pain_days", needed);
  v1::Decision d = SafetyDecision(
      "safety.pain_sustained_high", check_in.traffic_light(),
      absl::StrCat("Your pain has stayed above ", above, "/10. ", kUrgentReview),
      absl::StrCat("Pain (the highest morning or usual pain of a day) above ", above,
                   "/10 on every day with a check-in since ", since, " (", values, "; ", days,
                   " days >= ", needed, "): urgent review, program paused, clinician alerted."));
  PauseAndAlert(ev, absl::StrCat("Pain above ", above, "/10 on ", days, " days in a row"),
                std::move(d), std::move(alert));
}

void CheckUsualPainRisingFast(Evaluation& ev, const v1::MorningCheckIn& check_in) {
  const v1::AlertRules& r = ev.rules().alerts();
  const int points = r.usual_pain_fast_rise_points();
  const int window = r.usual_pain_fast_window_days();
  if (points <= 0 || ev.paused() || !check_in.has_usual_pain()) return;
  // Against the lowest usual pain of the window: a rise after a dip is a rise too.
  const CheckInEntry* lowest = nullptr;
  for (const auto& c : ev.timeline().check_ins()) {
    if (c.day >= ev.day() - window && c.day < ev.day() && c.check_in->has_usual_pain() &&
        (lowest == nullptr || c.check_in->usual_pain() < lowest->check_in->usual_pain())) {
      lowest = &c;
    }
  }
  if (lowest == nullptr) return;
  const int before = lowest->check_in->usual_pain();
  const int rise = check_in.usual_pain() - before;
  if (rise < points ||
      ev.AlertedWithin(v1::ALERT_KIND_USUAL_PAIN_RISING_FAST, absl::Hours(kHoursPerDay * window))) {
    return;
  }
  const std::string before_date = FormatLocalDate(lowest->day);
  const int days = static_cast<int>(ev.day() - lowest->day);
  v1::Alert alert =
      UrgentPainAlert(v1::ALERT_KIND_USUAL_PAIN_RISING_FAST,
                      absl::StrCat("Usual pain up ", rise, " points in ", days, " days (", before,
                                   " on ", before_date, " -> ", check_in.usual_pain(), " on ",
                                   FormatLocalDate(ev.day()), "; limit ", points, " within ",
                                   window, " days): urgent review, program paused."));
  PutAlertInput(alert, "usual_pain_before", before);
  PutAlertInput(alert, "usual_pain_before_date", before_date);
  PutAlertInput(alert, "usual_pain_now", check_in.usual_pain());
  PutAlertInput(alert, "usual_pain_fast_rise_points", points);
  PutAlertInput(alert, "usual_pain_fast_window_days", window);
  v1::Decision d =
      SafetyDecision("safety.usual_pain_rising_fast", check_in.traffic_light(),
                     absl::StrCat("Your usual pain has risen quickly. ", kUrgentReview),
                     absl::StrCat("Usual pain up ", rise, " points in ", days, " days (", before,
                                  " on ", before_date, " -> ", check_in.usual_pain(), "; ", rise,
                                  " >= ", points, " within ", window,
                                  " days): urgent review, program paused, clinician "
                                  "alerted."));
  PauseAndAlert(ev, absl::StrCat("Usual pain up ", rise, " points in ", days, " days"),
                std::move(d), std::move(alert));
}

void CheckUsualPain(Evaluation& ev, const v1::MorningCheckIn& check_in) {
  if (!check_in.has_usual_pain()) return;
  const v1::AlertRules& r = ev.rules().alerts();
  const v1::MorningCheckIn* earliest = nullptr;
  for (const auto& c : ev.timeline().check_ins()) {
    if (c.day >= ev.day() - r.usual_pain_window_days() && c.day < ev.day() &&
        c.check_in->has_usual_pain() && earliest == nullptr) {
      earliest = c.check_in;
    }
  }
  if (earliest == nullptr) return;
  const int rise = check_in.usual_pain() - earliest->usual_pain();
  // A rising-fast alert in the window already paused the program for this rise.
  const absl::Duration window = absl::Hours(kHoursPerDay * r.usual_pain_window_days());
  if (rise < r.usual_pain_rise_points() ||
      ev.AlertedWithin(v1::ALERT_KIND_USUAL_PAIN_RISING, window) ||
      ev.AlertedWithin(v1::ALERT_KIND_USUAL_PAIN_RISING_FAST, window)) {
    return;
  }
  v1::Alert alert = NewAlert(
      v1::ALERT_KIND_USUAL_PAIN_RISING,
      absl::StrCat("Usual pain up ", rise, " points (", earliest->usual_pain(), " -> ",
                   check_in.usual_pain(), ") within ", r.usual_pain_window_days(), " days."),
      false);
  PutAlertInput(alert, "usual_pain_before", earliest->usual_pain());
  PutAlertInput(alert, "usual_pain_now", check_in.usual_pain());
  PutAlertInput(alert, "usual_pain_rise_points", r.usual_pain_rise_points());
  ev.Raise(std::move(alert));
}

void CheckAdherence(Evaluation& ev) {
  const v1::AlertRules& r = ev.rules().alerts();
  const std::optional<absl::CivilDay> start = StartDay(ev);
  const int window = r.adherence_window_days();
  const int gap = ShortestGapDays(ev.program(), ev.library());
  if (ev.paused() || !start.has_value() || gap == 0 || ev.day() - *start + 1 < window) return;
  std::set<absl::CivilDay> done;
  for (const auto& s : ev.timeline().sessions()) {
    if (s.day > ev.day() - window && s.day <= ev.day()) done.insert(s.day);
  }
  const int planned = (window + gap - 1) / gap;
  const double adherence = static_cast<double>(done.size()) / planned;
  if (adherence >= r.min_adherence() ||
      ev.AlertedWithin(v1::ALERT_KIND_LOW_ADHERENCE, absl::Hours(kHoursPerDay * window))) {
    return;
  }
  v1::Alert alert =
      NewAlert(v1::ALERT_KIND_LOW_ADHERENCE,
               absl::StrCat("Adherence ", std::lround(adherence * 100), "% over ", window,
                            " days (", done.size(), " of ", planned,
                            " planned sessions; alert below ", r.min_adherence() * 100, "%)."),
               false);
  PutAlertInput(alert, "sessions_done", done.size());
  PutAlertInput(alert, "sessions_planned", planned);
  PutAlertInput(alert, "adherence", adherence);
  PutAlertInput(alert, "min_adherence", r.min_adherence());
  ev.Raise(std::move(alert));
}

namespace {

// The first and the latest AKPS score of the program, when both are known and at least
// no_change_after_weeks apart.
struct AkpsChange {
  int first;
  int last;
};

std::optional<AkpsChange> AkpsOverWeeks(const Evaluation& ev, int weeks) {
  // (day, score) of the first and the latest; among scores of one day, the first listed
  // counts as the first and the last listed as the latest.
  std::optional<std::pair<absl::CivilDay, int>> first;
  std::optional<std::pair<absl::CivilDay, int>> last;
  for (const v1::Outcome& o : ev.history().outcomes) {
    if (o.kind() != v1::OUTCOME_KIND_AKPS) continue;
    auto day = ParseLocalDate(o.local_date());
    if (!day.ok() || *day > ev.day()) continue;
    if (!first.has_value() || *day < first->first) first = {{*day, o.value()}};
    if (!last.has_value() || *day >= last->first) last = {{*day, o.value()}};
  }
  if (!first.has_value() || last->first - first->first < kDaysPerWeek * weeks) {
    return std::nullopt;
  }
  return AkpsChange{first->second, last->second};
}

}  // namespace

void CheckNoMeaningfulChange(Evaluation& ev) {
  const v1::AlertRules& r = ev.rules().alerts();
  const std::optional<absl::CivilDay> start = StartDay(ev);
  if (!start.has_value() || ev.day() - *start < kDaysPerWeek * r.no_change_after_weeks() ||
      ev.AlertedWithin(v1::ALERT_KIND_NO_MEANINGFUL_CHANGE, absl::InfiniteDuration())) {
    return;
  }
  // Pain: the median morning pain of the program's first baseline window against the
  // last. A start below the meaningful change leaves no room to see one: not judged.
  const int window = ev.rules().baseline_window_days();
  const std::optional<double> first = ev.timeline().MedianMorningPain(*start, *start + window - 1);
  const std::optional<double> last =
      ev.timeline().MedianMorningPain(ev.day() - window + 1, ev.day());
  const double needed = r.meaningful_pain_change();
  const bool pain_unchanged =
      first.has_value() && last.has_value() && *first >= needed && *first - *last < needed;
  // AKPS: the first score against the latest, when they are far enough apart. A first
  // score within the meaningful change of the maximum leaves no room: not judged.
  std::optional<AkpsChange> akps;
  if (r.meaningful_akps_change() > 0) {
    akps = AkpsOverWeeks(ev, r.no_change_after_weeks());
    if (akps.has_value() &&
        akps->first + r.meaningful_akps_change() > AkpsQuestionnaire().max_score()) {
      akps.reset();
    }
  }
  const bool akps_unchanged =
      akps.has_value() && akps->last - akps->first < r.meaningful_akps_change();
  if (!pain_unchanged && !akps_unchanged) return;
  std::string what;
  if (pain_unchanged) {
    absl::StrAppend(&what, "median morning pain ", *first, " -> ", *last, " (needed -", needed,
                    ")");
  }
  if (akps_unchanged) {
    absl::StrAppend(&what, what.empty() ? "" : "; ", "AKPS ", akps->first, " -> ", akps->last,
                    " (needed +", r.meaningful_akps_change(), ")");
  }
  v1::Alert alert = NewAlert(
      v1::ALERT_KIND_NO_MEANINGFUL_CHANGE,
      absl::StrCat("No meaningful change after ", r.no_change_after_weeks(), " weeks: ", what, "."),
      false);
  if (first.has_value() && last.has_value()) {
    PutAlertInput(alert, "morning_pain_first_week", *first);
    PutAlertInput(alert, "morning_pain_last_week", *last);
  }
  PutAlertInput(alert, "meaningful_pain_change", r.meaningful_pain_change());
  if (akps.has_value()) {
    PutAlertInput(alert, "akps_first", akps->first);
    PutAlertInput(alert, "akps_last", akps->last);
    PutAlertInput(alert, "meaningful_akps_change", r.meaningful_akps_change());
  }
  ev.Raise(std::move(alert));
}

}  // namespace kneecoach
