#include "service/store/migrations.h"

namespace kneecoach {

// Every table keeps the record as a serialized protobuf in `data`, plus the columns that
// queries filter or order on. `seq` is insertion order, the key of keyset pagination.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE patients (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  clinic TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX patients_by_clinic ON patients(clinic, seq);

CREATE TABLE protocols (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL
);

CREATE TABLE programs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  patient_id TEXT NOT NULL REFERENCES patients(id),
  data BLOB NOT NULL
);
CREATE INDEX programs_by_patient ON programs(patient_id, seq);

CREATE TABLE sessions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  program_id TEXT NOT NULL REFERENCES programs(id),
  local_date TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX sessions_by_program ON sessions(program_id, seq);
CREATE INDEX sessions_by_program_date ON sessions(program_id, local_date, seq);

CREATE TABLE check_ins (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  program_id TEXT NOT NULL REFERENCES programs(id),
  local_date TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX check_ins_by_program ON check_ins(program_id, seq);
CREATE INDEX check_ins_by_program_date ON check_ins(program_id, local_date, seq);

CREATE TABLE decisions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  program_id TEXT NOT NULL REFERENCES programs(id),
  state INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX decisions_by_program ON decisions(program_id, seq);
CREATE INDEX decisions_by_program_state ON decisions(program_id, state, seq);

CREATE TABLE alerts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  program_id TEXT NOT NULL REFERENCES programs(id),
  clinic TEXT NOT NULL,
  acknowledged INTEGER NOT NULL DEFAULT 0,
  data BLOB NOT NULL
);
CREATE INDEX alerts_by_program ON alerts(program_id, seq);
CREATE INDEX alerts_by_clinic ON alerts(clinic, acknowledged, seq);

-- Idempotency keys: the first response to (scope, request_id), replayed on retry.
CREATE TABLE requests (
  scope TEXT NOT NULL,
  request_id TEXT NOT NULL,
  response BLOB NOT NULL,
  PRIMARY KEY (scope, request_id)
) WITHOUT ROWID;
)sql"},
      {2, R"sql(
-- Access: tenants, users, credentials (hashes only), enrollment codes, assignments, audit.
CREATE TABLE clinics (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL
);

CREATE TABLE users (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  clinic TEXT NOT NULL,
  patient_id TEXT,
  data BLOB NOT NULL
);
CREATE INDEX users_by_clinic ON users(clinic, seq);
CREATE INDEX users_by_patient ON users(patient_id);

CREATE TABLE tokens (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  secret_hash TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL
);
CREATE INDEX tokens_by_user ON tokens(user_id, seq);

CREATE TABLE enrollment_codes (
  code_hash TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  expire_unix INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE assignments (
  patient_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (patient_id, user_id)
) WITHOUT ROWID;
CREATE INDEX assignments_by_user ON assignments(user_id, patient_id);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  clinic TEXT NOT NULL,
  patient_id TEXT NOT NULL DEFAULT '',
  data BLOB NOT NULL
);
CREATE INDEX audit_by_clinic ON audit(clinic, seq);
CREATE INDEX audit_by_patient ON audit(patient_id);

ALTER TABLE alerts ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';
UPDATE alerts SET patient_id = (SELECT patient_id FROM programs WHERE programs.id = alerts.program_id);
CREATE INDEX alerts_by_patient ON alerts(patient_id, seq);
)sql"},
      {3, R"sql(
-- Every report inserted into both session indexes of its program, each at a random place
-- of a large B-tree (docs/performance.md, "What a report writes, by B-tree"). A program's
-- list pages come as well from the index that starts with program_id and has the date
-- next (SEARCH, then a sort of that one program's rows by seq), so the index on
-- (program_id, seq) only cost writes. The same holds for check-ins and decisions.
DROP INDEX sessions_by_program;
DROP INDEX check_ins_by_program;
DROP INDEX decisions_by_program;
)sql"},
      {4, R"sql(
-- Outcome measures (AKPS, 30 s step-down count, global rating of change): a few per
-- program, listed by program and optionally by kind, newest first.
CREATE TABLE outcomes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  program_id TEXT NOT NULL REFERENCES programs(id),
  kind INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX outcomes_by_program ON outcomes(program_id, kind, seq);
)sql"},
      {5, R"sql(
-- Idempotency keys are scoped by clinic and caller ("{clinic}|{user}|{scope}", InWrite) and
-- keep the digest of the request they answered: a request_id reused for another request is
-- refused, not replayed (AIP-155). Rows of the old fixed scopes ("CreatePatient", ...) could
-- replay one clinic's record to another and are dropped; rows scoped by a resource name
-- ("ReportSession:programs/...") stay replayable for the retries of phones already in the
-- field, whose access authorization checks.
ALTER TABLE requests ADD COLUMN digest TEXT NOT NULL DEFAULT '';
DELETE FROM requests WHERE instr(scope, ':') = 0;
)sql"},
      {6, R"sql(
-- A token made with another token (a patient's or integrator's CreateToken for themselves)
-- names it: revoking a token revokes what was made with it.
ALTER TABLE tokens ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_by_parent ON tokens(parent_id) WHERE parent_id != '';
)sql"},
      {7, R"sql(
-- Secrets shared by every process using the database (Txn::GetOrPutSecret: the key that
-- seals page tokens, so that a token survives a restart and works on another replica).
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
-- Facts about the stored data, known once at open. unscoped_requests: whether idempotency
-- records stored before migration 5 ("ReportSession:programs/...") remain; the write path
-- looks a request up under its old scope only while they may (Store::MayHoldUnscopedRequests).
-- New records are always scoped, so the fact never turns true again.
CREATE TABLE facts (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO facts(name, value)
  SELECT 'unscoped_requests', EXISTS (SELECT 1 FROM requests WHERE instr(scope, '|') = 0);
)sql"},
  };
  return kMigrations;
}

}  // namespace kneecoach
