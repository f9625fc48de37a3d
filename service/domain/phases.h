// Internal to the engine: moving through the protocol's phases (settle -> strengthen ->
// return to run -> maintenance) when the current phase's exit criteria all hold:
//   - at least min_days since the phase started;
//   - the latest usual pain reported is at most max_usual_pain (-1: not checked; never
//     reported: not met);
//   - a GREEN check-in on each of the last stable_morning_days days (a skipped check-in
//     restarts the count: stability has to be seen);
//   - each exit test passed since the phase started, on at least min_sessions sessions: a
//     report of one of its exercises with pain during at most max_pain, reps/sets/duration
//     as done (or as prescribed when not reported) and hold as prescribed at least the
//     minimums, and, with no_next_day_flare, a GREEN check-in the next morning.
// The next phase is the protocol's next template in phase order. The change is a
// CHANGE_PHASE decision whose inputs list every criterion; it adds the new template's
// prescriptions (see StartPhase) or is proposed in approval mode.
#pragma once

#include "service/domain/evaluation.h"

namespace kneecoach {

void MaybeChangePhase(Evaluation& ev);

}  // namespace kneecoach
