// A fresh database per test in the throwaway cluster that tests/pg/pg_cluster.sh started
// (KNEECOACH_TEST_PG_DSN). Without that variable the test fails: PostgreSQL tests never skip.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/pg/pg.h"
#include "service/store/postgres_store.h"

namespace kneecoach::testing {

// The cluster's DSN; "" (and a test failure) when the test was not run through
// pg_cluster.sh.
inline std::string ClusterDsn() {
  const char* dsn = std::getenv("KNEECOACH_TEST_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    ADD_FAILURE() << "KNEECOACH_TEST_PG_DSN is not set: run this test through "
                     "tests/pg/pg_cluster.sh (ctest does), which needs the Debian package "
                     "postgresql-15";
    return "";
  }
  return dsn;
}

// `dsn` with its database replaced by `database` (a postgresql:///db?params URI).
inline std::string WithDatabase(const std::string& dsn, const std::string& database) {
  const size_t scheme = dsn.find("://");
  const size_t path = dsn.find('/', scheme + 3);
  const size_t query = dsn.find('?');
  const std::string params = query == std::string::npos ? "" : dsn.substr(query);
  return absl::StrCat(dsn.substr(0, path), "/", database, params);
}

// Creates an empty database and returns its DSN ("" on failure, with a test failure).
// `migrated`: a copy of a database PostgresStore has already migrated (faster than
// migrating each: the suites open hundreds).
inline std::string FreshDatabase(bool migrated = false) {
  static std::atomic<int> counter{0};
  const std::string dsn = ClusterDsn();
  if (dsn.empty()) return "";
  auto admin = pg::Connection::Open(dsn);
  if (!admin.ok()) {
    ADD_FAILURE() << "cannot connect to the test cluster: " << admin.status();
    return "";
  }
  static std::once_flag once;
  static std::string template_name;
  if (migrated) {
    std::call_once(once, [&] {
      const std::string name = absl::StrCat("template_", ::getpid());
      if (!(*admin)->Exec(absl::StrCat("CREATE DATABASE ", name)).ok()) return;
      // Migrated, then closed: a template must have no connections while it is copied.
      if (PostgresStore::Open({.conninfo = WithDatabase(dsn, name), .connections = 1}).ok()) {
        template_name = name;
      }
    });
    if (template_name.empty()) {
      ADD_FAILURE() << "cannot make the migrated template database";
      return "";
    }
  }
  const std::string name = absl::StrCat("t", ::getpid(), "_", counter.fetch_add(1));
  absl::Status created = (*admin)->Exec(absl::StrCat("CREATE DATABASE ", name,
                                                     migrated ? " TEMPLATE " + template_name : "",
                                                     " STRATEGY FILE_COPY"));
  if (!created.ok()) {
    ADD_FAILURE() << "CREATE DATABASE: " << created;
    return "";
  }
  return WithDatabase(dsn, name);
}

// A patient record of `clinic` ("clinics/{id}") named patients/{id}.
inline v1::Patient Patient(const std::string& id, const std::string& clinic) {
  v1::Patient p;
  p.set_name("patients/" + id);
  p.set_display_name(id);
  p.set_clinic(clinic);
  return p;
}

}  // namespace kneecoach::testing
