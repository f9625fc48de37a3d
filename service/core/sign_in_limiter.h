// Failed sign-ins (an unknown, revoked or expired bearer token; an enrollment code that is
// unknown, used or expired) counted per peer and over the whole server, as token buckets: a
// peer or the server that has failed too often is refused for a while. Enrollment codes
// have 40 bits, so guessing them is the attack this bounds (issue 16, finding 7).
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kneecoach {

class SignInLimiter {
 public:
  struct Options {
    // Failures one peer (an IP address) may have in a burst, and how fast it is forgiven.
    int peer_burst = 10;
    absl::Duration peer_refill = absl::Seconds(6);  // one failure forgiven every 6 s
    // Failures over all peers: the same for the whole server (enrollment only: a guess
    // spread over many addresses still meets it).
    int global_burst = 100;
    absl::Duration global_refill = absl::Milliseconds(600);
    // Peers tracked at most; beyond, forgiven peers are forgotten first.
    size_t max_peers = 100000;
  };

  SignInLimiter() : SignInLimiter(Options()) {}
  explicit SignInLimiter(Options options) : options_(options) {}

  // How long `peer` must wait before its next sign-in is even tried (zero: go ahead).
  // `enrollment`: the server-wide budget applies too.
  absl::Duration Wait(const std::string& peer, bool enrollment, absl::Time now);

  // Counts a failed attempt of `peer`. Returns whether the server-wide budget had room for
  // it (false: an attack is under way; the caller may stop auditing each one).
  bool Failed(const std::string& peer, absl::Time now);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated = absl::InfinitePast();
  };
  // Refills `b` up to `burst` at one token per `refill` since its last update.
  static void Refill(Bucket& b, int burst, absl::Duration refill, absl::Time now);
  static absl::Duration WaitFor(const Bucket& b, absl::Duration refill);

  const Options options_;
  absl::Mutex mu_;
  // Whether peers_ is empty: the usual case, answered without the lock.
  std::atomic<bool> no_peers_{true};
  absl::flat_hash_map<std::string, Bucket> peers_ ABSL_GUARDED_BY(mu_);
  Bucket global_ ABSL_GUARDED_BY(mu_);
};

// The address part of a gRPC peer ("ipv4:10.0.0.1:5000" -> "ipv4:10.0.0.1").
std::string PeerAddress(const std::string& peer);

}  // namespace kneecoach
