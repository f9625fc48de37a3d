// Runs fn(0) ... fn(count - 1) on at most `limit` threads at once and returns when all
// have returned. Used to load a caseload's patients in parallel without opening one
// connection-worth of calls per patient at the same moment.
//
// Thread safety: `fn` is called concurrently from several threads with distinct indices;
// it must only write state owned by its index (e.g. results[i]).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace kneecoach::desktop {

template <typename Fn>
void ForEachConcurrently(size_t count, int limit, Fn fn) {
  const size_t threads = std::min(count, static_cast<size_t>(std::max(1, limit)));
  if (threads <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();  // this thread is one of the `limit`
  for (std::thread& t : pool) t.join();
}

}  // namespace kneecoach::desktop
