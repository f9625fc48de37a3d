#include "service/store/pg/schema.h"

namespace kneecoach::pg {

// Sharding by clinic. Every table holding a clinic's records has `clinic_id` (the clinic's
// resource name, "clinics/{id}") leading its primary key, its unique constraints and its
// foreign keys, so that each could become a Citus distributed table
// (create_distributed_table('patients', 'clinic_id'), colocated) without a redesign: Citus
// requires the distribution column in every primary key, unique constraint and foreign key
// between distributed tables. Child rows copy clinic_id from their parent inside the INSERT
// (INSERT ... SELECT p.clinic_id FROM programs p WHERE p.id = $n), never from the caller.
// `requests` takes it from the idempotency key, which begins with the caller's clinic
// ("{clinic}|{user}|{scope}", RequestKey in service/core); keys of the old fixed scopes have
// none and sit under clinic_id ''.
//
// Reference tables (Citus copies them to every node): small, read everywhere, and looked up
// before any clinic is known:
//   clinics           the tenants themselves;
//   protocols         protocol rules, shared by every clinic (rows carry their clinic in the
//                     record, not in the key: a clinic may use another's published protocol);
//   token_secrets     secret hash -> (clinic, token): a bearer token is resolved before its
//                     clinic is known; the token itself lives in `tokens`, by clinic;
//   enrollment_codes  a one-time code is typed on a phone that knows no clinic yet;
//   secrets           the store's own secrets shared by every replica (the page-token key).
//
// Every request's Txn is of its caller's clinic (Store::Begin(write, clinic), store.h
// "Clinics"), and PostgresStore adds `clinic_id = $n` to each of its statements (reads by
// id, lists, updates, the parent lookups of inserts, erasure), so each is a single-shard
// statement once the tables are distributed; tests/pg/clinic_scope_test.cc reads every
// statement such a Txn sends back from pg_stat_statements. Ids are unique within a clinic
// (the primary keys). The secondary indexes on id serve the server's own work in Txns of
// every clinic (plans prepared at start, seeding, kneecoach-admin migrate), which fan out
// to every shard; those Txns also check that no clinic has an inserted id yet.
//
// Records are serialized protobufs in `data` (bytea) plus the columns queries filter or
// order on. `seq` (bigint identity) is insertion order, the key of keyset pagination; a
// page cursor is its decimal value.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE clinics (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  data bytea NOT NULL
);

CREATE TABLE protocols (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  data bytea NOT NULL
);
CREATE INDEX protocols_by_seq ON protocols(seq);

CREATE TABLE patients (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id)
);
CREATE INDEX patients_by_id ON patients(id);
CREATE INDEX patients_by_clinic ON patients(clinic_id, seq);
CREATE INDEX patients_by_seq ON patients(seq);

CREATE TABLE programs (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  patient_id text NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES patients(clinic_id, id)
);
CREATE INDEX programs_by_id ON programs(id);
CREATE INDEX programs_by_patient ON programs(patient_id, seq);
CREATE INDEX programs_by_clinic ON programs(clinic_id, seq);
CREATE INDEX programs_by_seq ON programs(seq);

CREATE TABLE sessions (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  program_id text NOT NULL,
  local_date text NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, program_id) REFERENCES programs(clinic_id, id)
);
CREATE INDEX sessions_by_id ON sessions(id);
CREATE INDEX sessions_by_program ON sessions(program_id, seq);
CREATE INDEX sessions_by_program_date ON sessions(program_id, local_date, seq);

CREATE TABLE check_ins (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  program_id text NOT NULL,
  local_date text NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, program_id) REFERENCES programs(clinic_id, id)
);
CREATE INDEX check_ins_by_id ON check_ins(id);
CREATE INDEX check_ins_by_program ON check_ins(program_id, seq);
CREATE INDEX check_ins_by_program_date ON check_ins(program_id, local_date, seq);

CREATE TABLE outcomes (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  program_id text NOT NULL,
  kind bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, program_id) REFERENCES programs(clinic_id, id)
);
CREATE INDEX outcomes_by_id ON outcomes(id);
CREATE INDEX outcomes_by_program ON outcomes(program_id, kind, seq);

CREATE TABLE decisions (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  program_id text NOT NULL,
  state bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, program_id) REFERENCES programs(clinic_id, id)
);
CREATE INDEX decisions_by_id ON decisions(id);
CREATE INDEX decisions_by_program ON decisions(program_id, seq);
CREATE INDEX decisions_by_program_state ON decisions(program_id, state, seq);

CREATE TABLE alerts (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  program_id text NOT NULL,
  patient_id text NOT NULL,
  clinic text NOT NULL,
  acknowledged boolean NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, program_id) REFERENCES programs(clinic_id, id)
);
CREATE INDEX alerts_by_id ON alerts(id);
CREATE INDEX alerts_by_program ON alerts(program_id, seq);
CREATE INDEX alerts_by_clinic ON alerts(clinic, acknowledged, seq);
CREATE INDEX alerts_by_patient ON alerts(patient_id, seq);
CREATE INDEX alerts_by_seq ON alerts(seq);

-- Idempotency keys: the first response to (scope, request_id), replayed on retry, with the
-- digest of the request it answered. Claimed by INSERT ... ON CONFLICT DO NOTHING in the
-- request's own transaction.
CREATE TABLE requests (
  clinic_id text NOT NULL,
  scope text NOT NULL,
  request_id text NOT NULL,
  response bytea NOT NULL,
  digest text NOT NULL DEFAULT '',
  PRIMARY KEY (clinic_id, scope, request_id)
);

CREATE TABLE users (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  patient_id text,
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id)
);
CREATE INDEX users_by_id ON users(id);
CREATE INDEX users_by_clinic ON users(clinic_id, seq);
CREATE INDEX users_by_patient ON users(patient_id);

CREATE TABLE tokens (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  user_id text NOT NULL,
  parent_id text NOT NULL DEFAULT '',
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES users(clinic_id, id)
);
CREATE INDEX tokens_by_id ON tokens(id);
CREATE INDEX tokens_by_user ON tokens(user_id, seq);
CREATE INDEX tokens_by_parent ON tokens(parent_id) WHERE parent_id <> '';

CREATE TABLE token_secrets (
  secret_hash text PRIMARY KEY,
  clinic_id text NOT NULL,
  token_id text NOT NULL
);
CREATE INDEX token_secrets_by_token ON token_secrets(token_id);

CREATE TABLE enrollment_codes (
  code_hash text PRIMARY KEY,
  clinic_id text NOT NULL,
  patient_id text NOT NULL,
  expire_unix bigint NOT NULL,
  used boolean NOT NULL DEFAULT false
);
CREATE INDEX enrollment_codes_by_patient ON enrollment_codes(patient_id);

CREATE TABLE assignments (
  clinic_id text NOT NULL,
  patient_id text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (clinic_id, patient_id, user_id)
);
CREATE INDEX assignments_by_patient ON assignments(patient_id, user_id);
CREATE INDEX assignments_by_user ON assignments(user_id, patient_id);

CREATE TABLE audit (
  clinic_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  patient_id text NOT NULL DEFAULT '',
  data bytea NOT NULL,
  PRIMARY KEY (clinic_id, id)
);
CREATE INDEX audit_by_id ON audit(id);
CREATE INDEX audit_by_clinic ON audit(clinic_id, seq);
CREATE INDEX audit_by_patient ON audit(patient_id);

CREATE TABLE secrets (
  name text PRIMARY KEY,
  value bytea NOT NULL
);
)sql"},
      {2, R"sql(
-- Fails the statement that calls it with unique_violation (23505): an INSERT ... ON CONFLICT
-- DO UPDATE SET col = kneecoach_duplicate('what') claims a key and, when the key is already
-- stored, fails instead of doing nothing, so that a write sent together with COMMIT (in one
-- round trip) cannot be skipped silently while the rest commits.
CREATE FUNCTION kneecoach_duplicate(what text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RAISE unique_violation USING MESSAGE = what || ' already exists';
END
$$;
)sql"},
      {3, R"sql(
-- A program's records are read by (program_id, clinic_id): the indexes that serve those
-- reads name both. With program_id alone, a table that was empty when last analyzed (a new
-- database) could get a cached plan that walks the primary key's clinic_id range instead:
-- every alert of the clinic per report. clinic_id stays second, so that the server's own
-- Txns of every clinic, which filter by program_id alone, still use them.
DROP INDEX sessions_by_program, sessions_by_program_date, check_ins_by_program,
  check_ins_by_program_date, outcomes_by_program, decisions_by_program,
  decisions_by_program_state, alerts_by_program;
CREATE INDEX sessions_by_program ON sessions(program_id, clinic_id, seq);
CREATE INDEX sessions_by_program_date ON sessions(program_id, clinic_id, local_date, seq);
CREATE INDEX check_ins_by_program ON check_ins(program_id, clinic_id, seq);
CREATE INDEX check_ins_by_program_date ON check_ins(program_id, clinic_id, local_date, seq);
CREATE INDEX outcomes_by_program ON outcomes(program_id, clinic_id, kind, seq);
CREATE INDEX decisions_by_program ON decisions(program_id, clinic_id, seq);
CREATE INDEX decisions_by_program_state ON decisions(program_id, clinic_id, state, seq);
CREATE INDEX alerts_by_program ON alerts(program_id, clinic_id, seq);
)sql"},
  };
  return kMigrations;
}

}  // namespace kneecoach::pg
