// The Store conformance suite: what service/store/store.h promises, checked against any
// backend. A backend instantiates it with one line, from a factory that returns a new,
// empty, migrated store each time it is called:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
//                            ::testing::Values(StoreBackend{"postgres", [] { ... }}),
//                            StoreBackendName);
//
// and links tests/store/store_conformance.cc into its test executable (CMake:
// add it to the executable's sources; a static library would drop the tests).
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "service/store/store.h"

namespace kneecoach::testing {

// A new, empty store (every test gets its own). Never null: a factory that cannot open
// one fails the test (ADD_FAILURE) and aborts.
using StoreFactory = std::function<std::unique_ptr<Store>()>;

struct StoreBackend {
  std::string name;  // for test names: letters, digits and _ only
  StoreFactory make;
};

// How gtest prints a backend (in test lists and ctest's names): its name, not its bytes.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { store_ = GetParam().make(); }
  void TearDown() override { store_.reset(); }

  std::unique_ptr<Store> store_;
};

// A database path in a directory of this process that is removed when the tests end
// (for file-backed backends' factories).
std::string TempStorePath(const std::string& suffix = ".db");

}  // namespace kneecoach::testing
