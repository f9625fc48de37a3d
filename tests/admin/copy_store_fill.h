// A SQLite database with a row in every table, for the tests of kneecoach-admin migrate
// (service/admin/copy_store.h): tests/admin/copy_store_test.cc copies it into another
// SQLite store, tests/pg/migrate_test.cc into PostgreSQL.
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/sqlite_store.h"

namespace kneecoach::testing {

// Fills the SQLite file at `path` (created) with `patients` patients of one clinic, each
// with a program, `sessions` sessions and as many check-ins, an outcome, a decision, an
// alert (every other one acknowledged), an assignment, a patient user with a token, an
// enrollment code (every other one used), audit entries and idempotency records.
inline void FillEveryTable(const std::string& path, int patients, int sessions) {
  auto store = SqliteStore::Open({.path = path});
  ASSERT_TRUE(store.ok()) << store.status();
  auto txn = (*store)->Begin(true);
  ASSERT_TRUE(txn.ok());
  Txn& t = **txn;
  v1::Clinic clinic;
  clinic.set_name("clinics/c1");
  clinic.set_display_name("Clinic One");
  ASSERT_TRUE(t.InsertClinic("c1", clinic).ok());
  v1::Protocol protocol;
  protocol.set_name("protocols/c1--p");
  ASSERT_TRUE(t.PutProtocol("c1--p", protocol).ok());
  v1::User physio;
  physio.set_name("users/physio");
  physio.set_display_name("Pat Physio");
  physio.set_clinic("clinics/c1");
  physio.set_role(v1::ROLE_PHYSIOTHERAPIST);
  ASSERT_TRUE(t.InsertUser("physio", "", physio).ok());
  v1::Token physio_token;
  physio_token.set_name("users/physio/tokens/t0");
  ASSERT_TRUE(t.InsertToken("t0", "physio", "hash-physio", physio_token).ok());
  for (int i = 0; i < patients; ++i) {
    const std::string p = absl::StrCat("p", i), g = absl::StrCat("g", i);
    v1::Patient patient;
    patient.set_name("patients/" + p);
    patient.set_display_name(absl::StrCat("Patient ", i));
    patient.set_clinic("clinics/c1");
    ASSERT_TRUE(t.InsertPatient(p, patient).ok());
    v1::Program program;
    program.set_name("programs/" + g);
    program.set_patient("patients/" + p);
    ASSERT_TRUE(t.InsertProgram(g, p, program).ok());
    for (int s = 0; s < sessions; ++s) {
      v1::Session session;
      session.set_name(absl::StrCat("programs/", g, "/sessions/s", s));
      session.set_local_date(absl::StrCat("2026-11-", 10 + s));
      ASSERT_TRUE(t.InsertSession(absl::StrCat(g, "s", s), g, session).ok());
      v1::MorningCheckIn check_in;
      check_in.set_name(absl::StrCat("programs/", g, "/checkIns/c", s));
      check_in.set_local_date(absl::StrCat("2026-11-", 11 + s));
      check_in.set_morning_pain(s % 4);
      ASSERT_TRUE(t.InsertCheckIn(absl::StrCat(g, "c", s), g, check_in).ok());
      ASSERT_TRUE(t.PutRequestResult(absl::StrCat("c1|", p, "|ReportSession:programs/", g),
                                     absl::StrCat("r", s), absl::StrCat("response ", s),
                                     absl::StrCat("digest ", s))
                      .ok());
      v1::AuditEntry audit;
      audit.set_name(absl::StrCat("audit/", g, "-", s));
      ASSERT_TRUE(t.InsertAudit(absl::StrCat(g, "-a", s), "clinics/c1", p, audit).ok());
    }
    v1::Outcome outcome;
    outcome.set_name(absl::StrCat("programs/", g, "/outcomes/o"));
    outcome.set_kind(v1::OUTCOME_KIND_AKPS);
    ASSERT_TRUE(t.InsertOutcome(g + "o", g, outcome).ok());
    v1::Decision decision;
    decision.set_name(absl::StrCat("programs/", g, "/decisions/d"));
    decision.set_state(i % 2 == 0 ? v1::DECISION_STATE_PROPOSED : v1::DECISION_STATE_APPLIED);
    ASSERT_TRUE(t.InsertDecision(g + "d", g, decision).ok());
    v1::Alert alert;
    alert.set_name(absl::StrCat("programs/", g, "/alerts/a"));
    alert.set_acknowledged(i % 2 == 1);
    ASSERT_TRUE(t.InsertAlert(g + "a", g, p, "clinics/c1", alert).ok());
    ASSERT_TRUE(t.SetAssignments(p, {"physio"}).ok());
    v1::User user;
    user.set_name("users/u" + p);
    user.set_clinic("clinics/c1");
    user.set_role(v1::ROLE_PATIENT);
    user.set_patient("patients/" + p);
    ASSERT_TRUE(t.InsertUser("u" + p, p, user).ok());
    v1::Token token;
    token.set_name(absl::StrCat("users/u", p, "/tokens/t", i));
    ASSERT_TRUE(
        t.InsertToken(absl::StrCat("t", p), "u" + p, absl::StrCat("hash-", p), token, "t0").ok());
    ASSERT_TRUE(t.InsertEnrollmentCode(absl::StrCat("code-", p), p, 4000000000 + i).ok());
    if (i % 2 == 1) {
      auto used = t.ConsumeEnrollmentCode(absl::StrCat("code-", p), 1);
      ASSERT_TRUE(used.ok() && used->has_value());
    }
  }
  v1::AuditEntry failed_sign_in;
  failed_sign_in.set_name("audit/unauthenticated");
  ASSERT_TRUE(t.InsertAudit("failed-1", "", "", failed_sign_in).ok());
  ASSERT_TRUE(t.Commit().ok());
}

}  // namespace kneecoach::testing
