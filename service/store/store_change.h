// What a committed write may have changed, as far as the caches of the processes sharing a
// store care (Txn::AnnounceChange, Store::WatchChanges).
#pragma once

#include <string>

namespace kneecoach {

struct StoreChange {
  enum class Kind {
    kProgram,     // one program: its record, sessions, decisions, its patient's zone
    kAccess,      // credentials, users, assignments, an erasure: the access cache
    kEverything,  // anything (the library, protocols; or changes may have been missed)
  };
  Kind kind = Kind::kEverything;
  std::string program_id;  // kProgram only

  friend bool operator==(const StoreChange&, const StoreChange&) = default;
};

}  // namespace kneecoach
