// What the use-case classes of every service share (one set per server, owned by Core):
// the library, the store, the clock and ids, the options, and the caches. Each service's
// class (patient_service.h, session_service.h, ...) derives from internal::UseCases to reach
// them under the same names.
//
// Thread safety: the caches and the limiter are thread-safe; the rest is read-only.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "service/core/access_cache.h"
#include "service/core/plan_cache.h"
#include "service/core/plan_codec.h"
#include "service/core/plan_texts.h"
#include "service/core/request_context.h"
#include "service/core/sign_in_limiter.h"
#include "service/domain/clock.h"
#include "service/domain/ids.h"
#include "service/domain/library.h"
#include "service/domain/simulate.h"
#include "service/domain/status_macros.h"
#include "service/store/store.h"

namespace kneecoach {

// A response already in protobuf wire format, for the server to send as it is.
template <typename Message>
struct Encoded {
  std::string bytes;
};

struct CoreOptions {
  // page_size 0 means this many.
  int default_page_size = 50;
  // A larger page_size is INVALID_ARGUMENT.
  int max_page_size = 200;
  // How far in the past an offline report may be dated, days.
  int max_report_age_days = 60;
  // How far ahead of the server clock a client's perform_time may be (clock skew).
  absl::Duration max_clock_skew = absl::Minutes(5);
  // Lifetime of an enrollment code.
  absl::Duration enrollment_code_ttl = absl::Hours(48);
  // Lifetime of a phone's token after enrollment, and the default for CreateToken.
  int device_token_ttl_days = 365;
  int default_token_ttl_days = 90;
  // The protocol CreateProgram uses when none is named.
  std::string default_protocol = "protocols/default";
  // Memory for today's plans kept between GetTodaySession calls (PlanCache); 0 keeps none.
  size_t plan_cache_bytes = PlanCache::Options{}.max_bytes;
  // Credentials and owners of patients and programs kept in memory (AccessCache), each.
  size_t access_cache_entries = AccessCache::kDefaultMaxEntries;
  // Live tokens a patient or integrator may hold for CreateToken to make them another with
  // their own token (each lives no longer than the token that made it).
  int max_tokens_per_user = 5;
  // SimulateProgram's bounds: events per request, and prescriptions of the starting program.
  int max_simulated_events = SimulationLimits{}.max_events;
  int max_simulated_prescriptions = SimulationLimits{}.max_prescriptions;
};

namespace internal {

// What a write transaction needs besides the request: the store, and the clock and ids
// for its audit entry, and the caches a write invalidates.
struct WriteDeps {
  Store& store;
  const Clock& clock;
  IdGenerator& ids;
  AccessCache& access_cache;
  PlanCache& plan_cache;
};

// The state every service's use cases share. All references must outlive it.
struct CoreState {
  CoreState(const Library& library, Store& store, const Clock& clock, IdGenerator& ids,
            CoreOptions options)
      : library(library),
        store(store),
        clock(clock),
        ids(ids),
        options(std::move(options)),
        access_cache(this->options.access_cache_entries),
        plan_cache(PlanCache::Options{.max_bytes = this->options.plan_cache_bytes}) {}

  const Library& library;
  Store& store;
  const Clock& clock;
  IdGenerator& ids;
  const CoreOptions options;
  AccessCache access_cache;
  SignInLimiter sign_ins;
  PlanCache plan_cache;
  const PlanCodec plan_codec{library};
  const PlanTexts plan_texts{library};
  const WriteDeps writes{store, clock, ids, access_cache, plan_cache};
};

// The base of each service's use-case class: the shared state under the names the use
// cases use.
class UseCases {
 protected:
  explicit UseCases(CoreState& state)
      : library_(state.library),
        store_(state.store),
        clock_(state.clock),
        ids_(state.ids),
        options_(state.options),
        access_cache_(state.access_cache),
        plan_cache_(state.plan_cache),
        plan_codec_(state.plan_codec),
        plan_texts_(state.plan_texts),
        writes_(state.writes) {}

  const Library& library_;
  Store& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  const CoreOptions& options_;
  AccessCache& access_cache_;
  PlanCache& plan_cache_;
  const PlanCodec& plan_codec_;
  const PlanTexts& plan_texts_;
  const WriteDeps& writes_;
};

}  // namespace internal
}  // namespace kneecoach
