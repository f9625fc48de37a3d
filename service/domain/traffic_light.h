// The pain-monitoring model's traffic light (clinical.md, "Adaptation"). Pure functions of
// pain scores and the protocol's thresholds (TrafficLightRules); nothing here is a constant.
//
//   GREEN  pain during <= green max, settled within 1 h (pain 1 h after <= baseline +
//          settled max), next morning not above baseline, no swelling.
//   AMBER  pain during up to amber max, or not settled within 1 h, or morning at baseline +
//          amber morning.
//   RED    pain during above amber max, or morning >= baseline + red morning, or swelling.
//
// An exercise report is judged when it arrives (pain during, pain 1 h after); the next
// morning's check-in completes the picture (see EffectiveLight in engine.h's contract).
// Running stages use the stricter running_traffic_light.
//
// Thread safety: free functions; safe from any thread.
#pragma once

#include <optional>
#include <vector>

#include "absl/time/civil_time.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach {

// The worse of two lights (RED > AMBER > GREEN > UNSPECIFIED).
v1::TrafficLight Worst(v1::TrafficLight a, v1::TrafficLight b);

// Pain during an exercise or run alone.
v1::TrafficLight PainDuringLight(int pain_during, const v1::TrafficLightRules& rules);

// Pain about one hour after, against the morning baseline: GREEN when settled (at most
// baseline + settled_max_over_baseline), AMBER otherwise. UNSPECIFIED when not reported.
v1::TrafficLight PainAfterLight(std::optional<int> pain_after_1h, double baseline,
                                const v1::TrafficLightRules& rules);

// One exercise report when it arrives: the worse of pain during and pain 1 h after.
v1::TrafficLight ReportLight(const v1::ExerciseReport& report, double baseline,
                             const v1::TrafficLightRules& rules);

// Morning pain against the baseline: RED at baseline + red_morning_over_baseline or more,
// AMBER at baseline + amber_morning_over_baseline or more, GREEN otherwise (half-point
// medians are compared as they are: baseline 2.5, morning 3 is GREEN).
v1::TrafficLight MorningLight(double morning_pain, double baseline,
                              const v1::TrafficLightRules& rules);

// A check-in: MorningLight of its morning pain against `baseline`, RED with swelling.
v1::TrafficLight CheckInLight(const v1::MorningCheckIn& check_in, double baseline,
                              const v1::TrafficLightRules& rules);

// A session: the worst of its exercise reports' lights.
v1::TrafficLight SessionLight(const v1::Session& session);

// Median of the values (mean of the middle two for an even count); nullopt when empty.
std::optional<double> Median(std::vector<double> values);

}  // namespace kneecoach
