// Runs blocking client calls off the UI thread and hands each result back to the UI thread
// as a queued call: the UI never waits on the network.
//
// Thread safety: Run is called from the owner's (UI) thread; `work` runs on a pool thread
// and must touch nothing of the UI; `done` runs on the owner's thread. The destructor waits
// for the work still running, so destroy an Async before what its work uses.
#pragma once

#include <memory>
#include <utility>

#include <QMetaObject>
#include <QObject>
#include <QThreadPool>

namespace kneecoach::desktop {

class Async {
 public:
  explicit Async(QObject* owner) : owner_(owner) { pool_.setMaxThreadCount(2); }
  ~Async() { pool_.waitForDone(); }
  Async(const Async&) = delete;
  Async& operator=(const Async&) = delete;

  // Calls `work()` on a pool thread, then `done(result)` on the owner's thread, unless the
  // owner is gone by then (Qt drops calls queued for a deleted object).
  template <typename Work, typename Done>
  void Run(Work work, Done done) {
    QObject* owner = owner_;
    pool_.start([owner, work = std::move(work), done = std::move(done)]() {
      auto result = std::make_shared<decltype(work())>(work());
      QMetaObject::invokeMethod(
          owner, [done, result]() { done(*result); }, Qt::QueuedConnection);
    });
  }

  // Work queued or running.
  int active() const { return pool_.activeThreadCount(); }

 private:
  QObject* owner_;
  QThreadPool pool_;
};

}  // namespace kneecoach::desktop
