// The Store conformance suite (tests/store/store_conformance.h) against PostgresStore: every
// test on a new, empty database of the throwaway cluster that tests/pg/pg_cluster.sh starts.
#include <cstdlib>

#include "service/store/postgres_store.h"
#include "tests/pg/pg_test_db.h"
#include "tests/store/store_conformance.h"

namespace kneecoach::testing {
namespace {

std::unique_ptr<Store> OpenPostgres() {
  // A pool of 4: the suite's concurrent tests hold several Txns at once.
  auto store =
      PostgresStore::Open({.conninfo = FreshDatabase(/*migrated=*/true), .connections = 4});
  if (!store.ok()) {
    ADD_FAILURE() << "cannot open PostgresStore: " << store.status();
    std::abort();  // the factory never returns null
  }
  return *std::move(store);
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"postgres", OpenPostgres}),
                         StoreBackendName);

}  // namespace
}  // namespace kneecoach::testing
