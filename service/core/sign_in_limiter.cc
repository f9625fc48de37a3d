#include "service/core/sign_in_limiter.h"

#include <algorithm>

namespace kneecoach {

void SignInLimiter::Refill(Bucket& b, int burst, absl::Duration refill, absl::Time now) {
  if (b.updated == absl::InfinitePast()) {
    b.tokens = burst;
  } else if (now > b.updated) {
    b.tokens = std::min<double>(burst, b.tokens + (now - b.updated) / refill);
  }
  b.updated = std::max(b.updated, now);
}

absl::Duration SignInLimiter::WaitFor(const Bucket& b, absl::Duration refill) {
  return b.tokens >= 1 ? absl::ZeroDuration() : (1 - b.tokens) * refill;
}

absl::Duration SignInLimiter::Wait(const std::string& peer, bool enrollment, absl::Time now) {
  if (!enrollment && no_peers_.load(std::memory_order_relaxed)) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  absl::Duration wait = absl::ZeroDuration();
  if (auto it = peers_.find(peer); it != peers_.end()) {
    Refill(it->second, options_.peer_burst, options_.peer_refill, now);
    wait = WaitFor(it->second, options_.peer_refill);
    if (it->second.tokens >= options_.peer_burst) {  // forgiven: forgotten
      peers_.erase(it);
      if (peers_.empty()) no_peers_.store(true, std::memory_order_relaxed);
    }
  }
  if (enrollment) {
    Refill(global_, options_.global_burst, options_.global_refill, now);
    wait = std::max(wait, WaitFor(global_, options_.global_refill));
  }
  return wait;
}

bool SignInLimiter::Failed(const std::string& peer, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (peers_.size() >= options_.max_peers && !peers_.contains(peer)) {
    // Forget the peers that have been forgiven everything; if none, start over.
    absl::erase_if(peers_, [&](auto& entry) {
      Refill(entry.second, options_.peer_burst, options_.peer_refill, now);
      return entry.second.tokens >= options_.peer_burst;
    });
    if (peers_.size() >= options_.max_peers) peers_.clear();
  }
  Bucket& b = peers_[peer];
  no_peers_.store(false, std::memory_order_relaxed);
  Refill(b, options_.peer_burst, options_.peer_refill, now);
  b.tokens = std::max(0.0, b.tokens - 1);
  Refill(global_, options_.global_burst, options_.global_refill, now);
  const bool room = global_.tokens >= 1;
  global_.tokens = std::max(0.0, global_.tokens - 1);
  return room;
}

std::string PeerAddress(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  const size_t scheme = peer.find(':');
  if (colon == std::string::npos || colon == scheme) return peer;  // "unix:/path"
  return peer.substr(0, colon);
}

}  // namespace kneecoach
