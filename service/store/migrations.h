// The schema, as an ordered list of migrations. Migration N brings user_version from N-1
// to N. Never edit a released migration; append a new one.
#pragma once

#include <vector>

namespace kneecoach {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& Migrations();

}  // namespace kneecoach
