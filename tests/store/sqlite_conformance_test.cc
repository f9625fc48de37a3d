// The Store conformance suite against SqliteStore, in memory and on a file, and against
// FaultyStore with no fault armed (it must be a transparent wrapper).
#include <cstdlib>
#include <memory>

#include "gtest/gtest.h"
#include "service/store/open_store.h"
#include "service/store/sqlite_store.h"
#include "tests/store/faulty_store.h"
#include "tests/store/store_conformance.h"

namespace kneecoach::testing {
namespace {

std::unique_ptr<Store> OpenOrDie(const std::string& spec) {
  auto store = OpenStore(spec);
  if (!store.ok()) {
    ADD_FAILURE() << spec << ": " << store.status();
    std::abort();
  }
  return *std::move(store);
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreConformanceTest,
    ::testing::Values(
        StoreBackend{"memory", [] { return OpenOrDie("sqlite::memory:"); }},
        StoreBackend{"file", [] { return OpenOrDie("sqlite:" + TempStorePath()); }},
        StoreBackend{"faulty_memory",
                     [] { return std::make_unique<FaultyStore>(OpenOrDie(":memory:")); }},
        StoreBackend{
            "faulty_file",
            [] { return std::make_unique<FaultyStore>(OpenOrDie("sqlite:" + TempStorePath())); }}),
    StoreBackendName);

}  // namespace
}  // namespace kneecoach::testing
