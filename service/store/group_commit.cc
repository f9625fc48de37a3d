#include "service/store/group_commit.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kneecoach {

DurabilityBarrier::DurabilityBarrier(int fd) : fd_(fd) {}

DurabilityBarrier::~DurabilityBarrier() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t DurabilityBarrier::Committed(uint64_t txns) {
  absl::MutexLock lock(&mu_);
  ++committed_;
  txns_ += txns;
  if (fd_ < 0) durable_ = committed_;
  return committed_;
}

uint64_t DurabilityBarrier::last_committed() {
  absl::MutexLock lock(&mu_);
  return committed_;
}

absl::Status DurabilityBarrier::WaitDurable(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (!failed_.ok()) return failed_;
    if (durable_ >= ticket) return absl::OkStatus();
    if (!syncing_) break;
    synced_cv_.Wait(&mu_);
  }
  // Leader: every commit counted so far has written its WAL frames; one sync covers them.
  syncing_ = true;
  const uint64_t target = committed_;
  mu_.Unlock();
  const int rc = ::fdatasync(fd_);
  const int error = errno;
  mu_.Lock();
  syncing_ = false;
  ++syncs_;
  if (rc != 0) {
    failed_ = absl::InternalError(absl::StrCat("database: fdatasync of the WAL failed (",
                                               std::strerror(error),
                                               "); writes are refused until the server restarts"));
  } else {
    durable_ = std::max(durable_, target);
  }
  synced_cv_.SignalAll();
  if (!failed_.ok()) return failed_;
  return absl::OkStatus();  // target >= ticket: the ticket was counted before we synced
}

DurabilityBarrier::Stats DurabilityBarrier::stats() {
  absl::MutexLock lock(&mu_);
  return {.commits = txns_, .batches = committed_, .syncs = syncs_};
}

}  // namespace kneecoach
