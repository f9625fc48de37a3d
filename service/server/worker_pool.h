// A fixed set of threads running queued closures in arrival order. The callback services
// hand it the calls that may block for long (writes wait for their commit to be durable),
// so gRPC's own threads never wait on a disk.
//
// Thread safety: Submit may be called from any thread. The destructor runs what is queued
// and joins the threads.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace kneecoach {

class WorkerPool {
 public:
  // `max_queued`: Submit refuses work while this many closures wait (load shedding: the
  // caller answers UNAVAILABLE instead of queueing without bound).
  explicit WorkerPool(int threads, size_t max_queued = 10000);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `work`; false (and `work` dropped unrun) when max_queued closures already wait.
  [[nodiscard]] bool Submit(std::function<void()> work);

  // Closures waiting for a thread now.
  size_t queued() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace kneecoach
