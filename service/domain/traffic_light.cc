#include "service/domain/traffic_light.h"

#include <algorithm>

namespace kneecoach {
namespace {

int Severity(v1::TrafficLight light) {
  switch (light) {
    case v1::TRAFFIC_LIGHT_GREEN:
      return 1;
    case v1::TRAFFIC_LIGHT_AMBER:
      return 2;
    case v1::TRAFFIC_LIGHT_RED:
      return 3;
    default:
      return 0;
  }
}

}  // namespace

v1::TrafficLight Worst(v1::TrafficLight a, v1::TrafficLight b) {
  return Severity(a) >= Severity(b) ? a : b;
}

v1::TrafficLight PainDuringLight(int pain_during, const v1::TrafficLightRules& rules) {
  if (pain_during <= rules.green_max_pain_during()) return v1::TRAFFIC_LIGHT_GREEN;
  if (pain_during <= rules.amber_max_pain_during()) return v1::TRAFFIC_LIGHT_AMBER;
  return v1::TRAFFIC_LIGHT_RED;
}

v1::TrafficLight PainAfterLight(std::optional<int> pain_after_1h, double baseline,
                                const v1::TrafficLightRules& rules) {
  if (!pain_after_1h.has_value()) return v1::TRAFFIC_LIGHT_UNSPECIFIED;
  return *pain_after_1h <= baseline + rules.settled_max_over_baseline() ? v1::TRAFFIC_LIGHT_GREEN
                                                                        : v1::TRAFFIC_LIGHT_AMBER;
}

v1::TrafficLight ReportLight(const v1::ExerciseReport& report, double baseline,
                             const v1::TrafficLightRules& rules) {
  const std::optional<int> after =
      report.has_pain_after_1h() ? std::optional<int>(report.pain_after_1h()) : std::nullopt;
  return Worst(PainDuringLight(report.pain_during(), rules),
               PainAfterLight(after, baseline, rules));
}

v1::TrafficLight MorningLight(double morning_pain, double baseline,
                              const v1::TrafficLightRules& rules) {
  const double over = morning_pain - baseline;
  if (over >= rules.red_morning_over_baseline()) return v1::TRAFFIC_LIGHT_RED;
  if (over >= rules.amber_morning_over_baseline()) return v1::TRAFFIC_LIGHT_AMBER;
  return v1::TRAFFIC_LIGHT_GREEN;
}

v1::TrafficLight CheckInLight(const v1::MorningCheckIn& check_in, double baseline,
                              const v1::TrafficLightRules& rules) {
  if (check_in.swelling()) return v1::TRAFFIC_LIGHT_RED;
  return MorningLight(check_in.morning_pain(), baseline, rules);
}

v1::TrafficLight SessionLight(const v1::Session& session) {
  v1::TrafficLight light = v1::TRAFFIC_LIGHT_UNSPECIFIED;
  for (const auto& report : session.reports()) light = Worst(light, report.traffic_light());
  return light;
}

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  if (values.size() % 2 == 1) return values[mid];
  return (values[mid - 1] + values[mid]) / 2;
}

}  // namespace kneecoach
