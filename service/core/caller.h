// The caller of an RPC: who they are (from their credential) and what authorization resolved
// the request's target to. It travels in the call's RequestContext (request_context.h);
// there is no ambient caller.
#pragma once

#include <string>

#include "kneecoach/v1/access.pb.h"

namespace kneecoach {

struct Caller {
  // "users/{id}" of the authenticated user; empty for an enrollment code and the system.
  std::string user_name;
  v1::User user;
  // Id of the token the caller presented ("" for the system and enrollment codes).
  std::string token_id;
  // The enrollment code presented instead of a token (EnrollDevice only).
  std::string enrollment_code;
  // What the request acts on, as authorization resolved it.
  std::string resource;
  std::string clinic;
  std::string patient_id;
};

}  // namespace kneecoach
