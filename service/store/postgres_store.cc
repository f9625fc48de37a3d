#include "service/store/postgres_store.h"

#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "service/domain/errors.h"
#include "service/domain/status_macros.h"
#include "service/store/pg/change_feed.h"
#include "service/store/pg/pg.h"
#include "service/store/pg/schema.h"

namespace kneecoach {

using pg::Param;
using pg::Result;
using pg::Statement;

struct PostgresStore::Slot {
  std::unique_ptr<pg::Connection> conn;
};

namespace {

// Settings of every session, after each (re)connect.
constexpr const char* kSessionSetup =
    "SET synchronous_commit TO on; SET client_min_messages TO warning; "
    "SET application_name TO 'kneecoach'";

// The statement that sets the bounds on waits of `options` where the session's own are off.
std::string BoundsStatement(const PostgresStoreOptions& options) {
  const std::pair<const char*, absl::Duration> bounds[] = {
      {"lock_timeout", options.lock_timeout},
      {"statement_timeout", options.statement_timeout},
      {"idle_in_transaction_session_timeout", options.idle_in_transaction_timeout}};
  std::string values;
  for (const auto& [name, bound] : bounds) {
    absl::StrAppend(&values, values.empty() ? "" : ", ", "('", name, "', '",
                    absl::ToInt64Milliseconds(bound), "')");
  }
  return absl::StrCat("SELECT set_config(name, bound, false) FROM (VALUES ", values,
                      ") AS b(name, bound) WHERE current_setting(name) = '0'");
}

// The clinic an idempotency key belongs to: the key starts with "{clinic}|" (RequestKey);
// keys of the old fixed scopes have none.
std::string ClinicOfScope(absl::string_view scope) {
  const size_t bar = scope.find('|');
  return bar == absl::string_view::npos ? std::string() : std::string(scope.substr(0, bar));
}

// Page positions are `seq` values; the cursor callers see is opaque (its decimal digits).
// INVALID_ARGUMENT for a cursor this store never returned or a limit below 1.
absl::StatusOr<int64_t> AfterSeq(const PageRequest& page) {
  if (page.limit < 1) return absl::InvalidArgumentError("database: page limit below 1");
  const std::string& cursor = page.after;
  if (cursor.empty()) return 0;
  int64_t seq = 0;
  if (!absl::SimpleAtoi(cursor, &seq) || seq <= 0 || absl::StrCat(seq) != cursor) {
    return absl::InvalidArgumentError("database: not a page cursor of this store");
  }
  return seq;
}
std::string NextCursor(int64_t seq) { return absl::StrCat(seq); }

template <typename T>
absl::StatusOr<T> ParseRecord(const std::string& bytes, absl::string_view table) {
  T message;
  if (!message.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("corrupt record in ", table));
  }
  return message;
}

// A conjunction of SQL conditions with their parameters ($1, $2... in order).
struct Where {
  std::string sql;
  std::vector<Param> params;
  // `clause` with each '?' replaced by the next of `ps`.
  void Add(absl::string_view clause, std::initializer_list<Param> ps) {
    std::string text(clause);
    for (const Param& p : ps) {
      params.push_back(p);
      text.replace(text.find('?'), 1, absl::StrCat("$", params.size()));
    }
    absl::StrAppend(&sql, sql.empty() ? "" : " AND ", text);
  }
  void Add(absl::string_view clause, Param p) { Add(clause, {std::move(p)}); }
};

// Ids are unique within a clinic (primary keys lead with clinic_id). A Txn of every clinic
// also refuses an id another clinic has, as SqliteStore does (store.h, "Clinics"): its
// inserts check, in their own statement, that no row of any clinic has the id. A Txn of one
// clinic does not: that check would reach every shard once the tables are distributed.
std::string UniqueId(absl::string_view table, absl::string_view id_param) {
  return absl::StrCat("WHERE NOT EXISTS (SELECT 1 FROM ", table, " WHERE id = ", id_param, ")");
}

absl::Status MissingParent(absl::string_view kind, absl::string_view id) {
  return absl::FailedPreconditionError(absl::StrCat("database: no ", kind, " ", id));
}

absl::Status Duplicate(absl::string_view kind, absl::string_view id) {
  return absl::AlreadyExistsError(absl::StrCat("database: ", kind, " ", id, " already exists"));
}

}  // namespace

class PostgresTxn final : public Txn {
 public:
  PostgresTxn(PostgresStore& store, PostgresStore::Slot* slot, bool write, std::string clinic)
      : store_(store),
        slot_(slot),
        write_(write),
        narrows_(clinic == kClinicOfItsSecret),
        clinic_(narrows_ ? "" : std::move(clinic)) {}

  ~PostgresTxn() override {
    if (open_ && !begin_pending_) {
      // Rolls back; a dead connection is replaced when the pool next hands it out.
      slot_->conn->Exec("ROLLBACK").IgnoreError();
    }
    store_.Release(slot_);
  }

  absl::StatusOr<std::optional<std::string>> GetRequestResult(
      absl::string_view scope, absl::string_view request_id) override {
    auto stored = GetStoredRequest(scope, request_id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return std::optional<std::string>();
    return std::optional<std::string>(std::move((*stored)->response));
  }

  absl::StatusOr<std::optional<StoredRequest>> GetStoredRequest(
      absl::string_view scope, absl::string_view request_id) override {
    if (const StoredRequest* own = DeferredRequest(scope, request_id)) {  // not sent yet
      return std::optional<StoredRequest>(*own);
    }
    auto r =
        Run("SELECT response, digest FROM requests WHERE clinic_id = $1 AND scope = $2 "
            "AND request_id = $3",
            {ClinicOfScope(scope), Param::Text(scope), Param::Text(request_id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::optional<StoredRequest>();
    return std::optional<StoredRequest>(StoredRequest{r->String(0, 0), r->String(0, 1)});
  }

  absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                const std::string& response, absl::string_view digest) override {
    // Sent later (Defer). A key stored by a Txn this one cannot see (a concurrent
    // replica's) is a serialization failure (40001, ABORTED); one it can see takes the
    // DO UPDATE branch, whose kneecoach_duplicate() fails the statement (23505,
    // ALREADY_EXISTS) and with it the COMMIT.
    if (DeferredRequest(scope, request_id) != nullptr) return Duplicate("request", request_id);
    if (write_) {
      deferred_requests_.push_back({std::string(scope), std::string(request_id),
                                    StoredRequest{response, std::string(digest)}});
    }
    return Defer(
        {"INSERT INTO requests(clinic_id, scope, request_id, response, digest) "
         "VALUES($1, $2, $3, $4, $5) ON CONFLICT (clinic_id, scope, request_id) "
         "DO UPDATE SET digest = kneecoach_duplicate('request')",
         {ClinicOfScope(scope), Param::Text(scope), Param::Text(request_id), Param::Bytes(response),
          Param::Text(digest)}});
  }

  // The value stored under `name`; in a write Txn, stores `value` first if there is none
  // (a concurrent Txn storing one too: ABORTED, and the retry reads the winner's).
  absl::StatusOr<std::string> GetOrPutSecret(const std::string& name,
                                             const std::string& value) override {
    auto r = write_
                 ? Run("WITH ins AS (INSERT INTO secrets(name, value) VALUES($1, $2) "
                       "ON CONFLICT DO NOTHING RETURNING value) "
                       "SELECT value FROM ins UNION ALL SELECT value FROM secrets WHERE name = $1",
                       {name, Param::Bytes(value)})
                 : Run("SELECT value FROM secrets WHERE name = $1", {name});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return NotFound("secret", name);
    return r->String(0, 0);
  }

  absl::Status InsertPatient(const std::string& id, const v1::Patient& p) override {
    return InsertTop("patients", "patient", p.clinic(), id, p);
  }
  absl::Status UpdatePatient(const std::string& id, const v1::Patient& p) override {
    if (patient_with_program_ && patient_with_program_->first == id) patient_with_program_.reset();
    return Update("patients", "patient", id, p);
  }
  absl::StatusOr<v1::Patient> GetPatient(const std::string& id) override {
    if (patient_with_program_ && patient_with_program_->first == id) {  // read with its program
      return ParseRecord<v1::Patient>(patient_with_program_->second, "patients");
    }
    return Get<v1::Patient>("patients", "patient", id);
  }
  absl::StatusOr<Page<v1::Patient>> ListPatients(const std::string& clinic,
                                                 const std::string& physiotherapist_id,
                                                 PageRequest page) override {
    Where where;
    if (!clinic.empty()) where.Add("clinic_id = ?", clinic);
    if (!physiotherapist_id.empty()) {
      AssignedTo(where, "id", physiotherapist_id);
    }
    return List<v1::Patient>("patients", std::move(where), false, page);
  }

  absl::Status InsertProgram(const std::string& id, const std::string& patient_id,
                             const v1::Program& p) override {
    return InsertChild("programs", "program", "patients", "patient", patient_id, id, "patient_id",
                       {}, p);
  }
  absl::Status UpdateProgram(const std::string& id, const v1::Program& p) override {
    return Update("programs", "program", id, p);
  }
  absl::StatusOr<v1::Program> GetProgram(const std::string& id) override {
    // A program is nearly always read with its patient (LoadProgram): both in one statement,
    // the patient's record kept for GetPatient. A read Txn joins them; a write Txn of one
    // clinic claims both (see Get); a write Txn of every clinic reads the program alone.
    if (write_ && !scoped()) return Get<v1::Program>("programs", "program", id);
    const bool claim = write_;
    std::vector<Param> params = {Param::Text(id)};
    const std::string clinic = AndClinic(params, "p.clinic_id");
    auto r = Run(
        absl::StrCat("SELECT p.data, pt.id, pt.data FROM programs p ", claim ? "JOIN" : "LEFT JOIN",
                     " patients pt ON pt.clinic_id = p.clinic_id AND pt.id = "
                     "p.patient_id WHERE p.id = $1",
                     clinic, claim ? " FOR NO KEY UPDATE" : " LIMIT 1"),
        params);
    if (!r.ok()) return r.status();
    if (r->rows() == 0) {
      // A claim found no program, or (against the foreign key) no patient: the program alone.
      return claim ? Get<v1::Program>("programs", "program", id) : NotFound("program", id);
    }
    if (!r->IsNull(0, 1)) {
      std::string patient_id = r->String(0, 1);
      if (claim) {
        Claim("programs", clinic_, id);
        Claim("patients", clinic_, patient_id);
      }
      patient_with_program_.emplace(std::move(patient_id), r->String(0, 2));
    }
    return ParseRecord<v1::Program>(r->String(0, 0), "programs");
  }
  absl::StatusOr<Page<v1::Program>> ListPrograms(const std::string& patient_id,
                                                 PageRequest page) override {
    Where where;
    if (!patient_id.empty()) where.Add("patient_id = ?", patient_id);
    return List<v1::Program>("programs", std::move(where), true, page);
  }
  absl::StatusOr<Page<v1::Program>> ListClinicPrograms(const std::string& clinic,
                                                       const std::string& physiotherapist_id,
                                                       PageRequest page) override {
    Where where;
    where.Add("clinic_id = ?", clinic);
    if (!physiotherapist_id.empty()) {
      AssignedTo(where, "patient_id", physiotherapist_id);
    }
    return List<v1::Program>("programs", std::move(where), true, page);
  }
  absl::StatusOr<Page<std::string>> ListProgramIds(PageRequest page) override {
    auto after = AfterSeq(page);
    if (!after.ok()) return after.status();
    std::vector<Param> params = {*after, int64_t{page.limit} + 1};
    const std::string clinic = AndClinic(params);
    auto r = Run(absl::StrCat("SELECT seq, id FROM programs WHERE seq > $1", clinic,
                              " ORDER BY seq LIMIT $2"),
                 params);
    if (!r.ok()) return r.status();
    return ReadPage<std::string>(
        *r, page.limit, [&](int row) -> absl::StatusOr<std::string> { return r->String(row, 1); });
  }

  absl::Status InsertSession(const std::string& id, const std::string& program_id,
                             const v1::Session& s) override {
    return InsertChild("sessions", "session", "programs", "program", program_id, id, "program_id",
                       {{"local_date", s.local_date()}}, s);
  }
  absl::StatusOr<Page<v1::Session>> ListSessions(const std::string& program_id,
                                                 PageRequest page) override {
    Where where;
    where.Add("program_id = ?", program_id);
    return List<v1::Session>("sessions", std::move(where), true, page);
  }
  absl::StatusOr<std::vector<v1::Session>> SessionsSince(const std::string& program_id,
                                                         const std::string& from) override {
    return Since<v1::Session>("sessions", program_id, from);
  }

  absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                             const v1::MorningCheckIn& c) override {
    return InsertChild("check_ins", "check-in", "programs", "program", program_id, id, "program_id",
                       {{"local_date", c.local_date()}}, c);
  }
  absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                        PageRequest page) override {
    Where where;
    where.Add("program_id = ?", program_id);
    return List<v1::MorningCheckIn>("check_ins", std::move(where), true, page);
  }
  absl::StatusOr<std::vector<v1::MorningCheckIn>> CheckInsSince(const std::string& program_id,
                                                                const std::string& from) override {
    return Since<v1::MorningCheckIn>("check_ins", program_id, from);
  }

  absl::Status InsertOutcome(const std::string& id, const std::string& program_id,
                             const v1::Outcome& o) override {
    return InsertChild("outcomes", "outcome", "programs", "program", program_id, id, "program_id",
                       {{"kind", int64_t{o.kind()}}}, o);
  }
  absl::StatusOr<Page<v1::Outcome>> ListOutcomes(const std::string& program_id,
                                                 v1::OutcomeKind kind, PageRequest page) override {
    Where where;
    where.Add("program_id = ?", program_id);
    if (kind != v1::OUTCOME_KIND_UNSPECIFIED) where.Add("kind = ?", int64_t{kind});
    return List<v1::Outcome>("outcomes", std::move(where), true, page);
  }

  absl::Status InsertDecision(const std::string& id, const std::string& program_id,
                              const v1::Decision& d) override {
    return InsertChild("decisions", "decision", "programs", "program", program_id, id, "program_id",
                       {{"state", int64_t{d.state()}}}, d);
  }
  absl::Status UpdateDecision(const std::string& id, const v1::Decision& d) override {
    return Update("decisions", "decision", id, d, {{"state", int64_t{d.state()}}});
  }
  absl::StatusOr<v1::Decision> GetDecision(const std::string& id) override {
    return Get<v1::Decision>("decisions", "decision", id);
  }
  absl::StatusOr<Page<v1::Decision>> ListDecisions(const std::string& program_id,
                                                   v1::DecisionState state,
                                                   PageRequest page) override {
    Where where;
    where.Add("program_id = ?", program_id);
    if (state != v1::DECISION_STATE_UNSPECIFIED) where.Add("state = ?", int64_t{state});
    return List<v1::Decision>("decisions", std::move(where), true, page);
  }

  absl::Status InsertAlert(const std::string& id, const std::string& program_id,
                           const std::string& patient_id, const std::string& clinic,
                           const v1::Alert& a) override {
    return InsertChild("alerts", "alert", "programs", "program", program_id, id, "program_id",
                       {{"patient_id", patient_id},
                        {"clinic", clinic},
                        {"acknowledged", Param::Bool(a.acknowledged())}},
                       a);
  }
  absl::Status UpdateAlert(const std::string& id, const v1::Alert& a) override {
    return Update("alerts", "alert", id, a, {{"acknowledged", Param::Bool(a.acknowledged())}});
  }
  absl::StatusOr<v1::Alert> GetAlert(const std::string& id) override {
    return Get<v1::Alert>("alerts", "alert", id);
  }
  absl::StatusOr<Page<v1::Alert>> ListAlerts(const AlertFilter& f, PageRequest page) override {
    Where where;
    if (!f.program_id.empty()) where.Add("program_id = ?", f.program_id);
    if (!f.clinic.empty()) where.Add("clinic = ?", f.clinic);
    if (!f.physiotherapist_id.empty()) {
      AssignedTo(where, "patient_id", f.physiotherapist_id);
    }
    if (f.unacknowledged_only) where.Add("acknowledged = ?", Param::Bool(false));
    return List<v1::Alert>("alerts", std::move(where), true, page);
  }

  absl::Status PutProtocol(const std::string& id, const v1::Protocol& p) override {
    auto r =
        Run("INSERT INTO protocols(id, data) VALUES($1, $2) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            {id, Param::Bytes(p.SerializeAsString())});
    return r.status();
  }
  absl::StatusOr<v1::Protocol> GetProtocol(const std::string& id) override {
    return Get<v1::Protocol>("protocols", "protocol", id);
  }
  absl::StatusOr<Page<v1::Protocol>> ListProtocols(PageRequest page) override {
    return List<v1::Protocol>("protocols", Where(), false, page);
  }

  absl::StatusOr<ProgramHistory> ReadProgramHistory(const HistoryQuery& q) override {
    // The statements of GetProtocol, SessionsSince, CheckInsSince, ListAlerts and
    // ListOutcomes, in one round trip.
    std::vector<Statement> statements;
    if (!q.protocol_id.empty()) {
      statements.push_back({"SELECT data FROM protocols WHERE id = $1 LIMIT 1", {q.protocol_id}});
    }
    statements.push_back(SinceStatement("sessions", q.program_id, q.since));
    statements.push_back(SinceStatement("check_ins", q.program_id, q.since));
    const PageRequest alerts_page{.limit = q.alert_limit, .after = ""};
    const PageRequest outcomes_page{.limit = q.outcome_limit, .after = ""};
    if (q.alert_limit > 0) {
      Where where;
      where.Add("program_id = ?", q.program_id);
      auto alerts = ListStatement("alerts", std::move(where), true, alerts_page);
      if (!alerts.ok()) return alerts.status();
      statements.push_back(*std::move(alerts));
    }
    if (q.outcome_limit > 0) {
      Where where;
      where.Add("program_id = ?", q.program_id);
      if (q.outcome_kind != v1::OUTCOME_KIND_UNSPECIFIED) {
        where.Add("kind = ?", int64_t{q.outcome_kind});
      }
      auto outcomes = ListStatement("outcomes", std::move(where), true, outcomes_page);
      if (!outcomes.ok()) return outcomes.status();
      statements.push_back(*std::move(outcomes));
    }
    auto r = RunMany(std::move(statements));
    if (!r.ok()) return r.status();
    ProgramHistory history;
    size_t next = 0;
    if (!q.protocol_id.empty()) {
      const Result& protocol = (*r)[next++];
      if (protocol.rows() == 0) return NotFound("protocol", q.protocol_id);
      ASSIGN_OR_RETURN(history.protocol,
                       ParseRecord<v1::Protocol>(protocol.String(0, 0), "protocols"));
    }
    ASSIGN_OR_RETURN(history.sessions, ReadRecords<v1::Session>((*r)[next++], "sessions"));
    ASSIGN_OR_RETURN(history.check_ins, ReadRecords<v1::MorningCheckIn>((*r)[next++], "check_ins"));
    if (q.alert_limit > 0) {
      ASSIGN_OR_RETURN(auto alerts,
                       ReadListPage<v1::Alert>((*r)[next++], "alerts", alerts_page.limit));
      history.alerts = std::move(alerts.items);
    }
    if (q.outcome_limit > 0) {
      ASSIGN_OR_RETURN(auto outcomes,
                       ReadListPage<v1::Outcome>((*r)[next++], "outcomes", outcomes_page.limit));
      history.outcomes = std::move(outcomes.items);
    }
    return history;
  }

  absl::Status InsertClinic(const std::string& id, const v1::Clinic& c) override {
    auto r = Run("INSERT INTO clinics(id, data) VALUES($1, $2) ON CONFLICT DO NOTHING",
                 {id, Param::Bytes(c.SerializeAsString())});
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Duplicate("clinic", id) : absl::OkStatus();
  }
  absl::StatusOr<v1::Clinic> GetClinic(const std::string& id) override {
    return Get<v1::Clinic>("clinics", "clinic", id);
  }
  absl::Status InsertUser(const std::string& id, const std::string& patient_id,
                          const v1::User& u) override {
    RETURN_IF_ERROR(CheckClinic(u.clinic(), "user", id));
    auto r = Run(absl::StrCat("INSERT INTO users(clinic_id, id, patient_id, data) "
                              "SELECT $1, $2, $3, $4 ",
                              UniqueIdOfEvery("users", "$2"), " ON CONFLICT DO NOTHING"),
                 {u.clinic(), id, patient_id, Param::Bytes(u.SerializeAsString())});
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Duplicate("user", id) : absl::OkStatus();
  }
  absl::Status UpdateUser(const std::string& id, const v1::User& u) override {
    return Update("users", "user", id, u);
  }
  absl::StatusOr<v1::User> GetUser(const std::string& id) override {
    return Get<v1::User>("users", "user", id);
  }
  absl::StatusOr<Page<v1::User>> ListUsers(const std::string& clinic, PageRequest page) override {
    Where where;
    where.Add("clinic_id = ?", clinic);
    return List<v1::User>("users", std::move(where), false, page);
  }
  absl::StatusOr<std::optional<v1::User>> FindPatientUser(const std::string& patient_id) override {
    std::vector<Param> params = {patient_id};
    const std::string clinic = AndClinic(params);
    auto r = Run(absl::StrCat("SELECT data FROM users WHERE patient_id = $1", clinic,
                              " ORDER BY seq LIMIT 1"),
                 params);
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::optional<v1::User>();
    auto user = ParseRecord<v1::User>(r->String(0, 0), "users");
    if (!user.ok()) return user.status();
    return std::optional<v1::User>(*std::move(user));
  }
  absl::Status InsertToken(const std::string& id, const std::string& user_id,
                           const std::string& secret_hash, const v1::Token& t,
                           const std::string& parent_id) override {
    // The secret's row (reference table) and the token's (by clinic) in one statement: the
    // token only if its secret was new, both only if the user exists.
    std::vector<Param> params = {id, user_id, secret_hash, parent_id,
                                 Param::Bytes(t.SerializeAsString())};
    const std::string clinic = AndClinic(params);  // the same $n twice
    auto r =
        Run(absl::StrCat(
                "WITH u AS (SELECT clinic_id FROM users WHERE id = $2", clinic,
                " LIMIT 1), dup AS (SELECT 1 FROM tokens WHERE id = $1", clinic, "), ",
                "s AS (INSERT INTO token_secrets(secret_hash, clinic_id, token_id) "
                "  SELECT $3, u.clinic_id, $1 FROM u WHERE NOT EXISTS (SELECT 1 FROM dup) "
                "  ON CONFLICT DO NOTHING RETURNING clinic_id), "
                "t AS (INSERT INTO tokens(clinic_id, id, user_id, parent_id, data) "
                "  SELECT s.clinic_id, $1, $2, $4, $5 FROM s ON CONFLICT DO NOTHING RETURNING 1) "
                "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM t)"),
            params);
    if (!r.ok()) return r.status();
    if (r->Int(0, 0) == 0) return MissingParent("user", user_id);
    if (r->Int(0, 1) == 0) return Duplicate("token", id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<TokenRecord>> ListChildTokens(const std::string& parent_id) override {
    return FindTokens("parent_id = $1", parent_id, " ORDER BY seq");
  }
  absl::Status UpdateToken(const std::string& id, const v1::Token& t) override {
    return Update("tokens", "token", id, t);
  }
  absl::StatusOr<TokenRecord> GetToken(const std::string& id) override {
    auto found = FindTokens("id = $1", id, " LIMIT 1");
    if (!found.ok()) return found.status();
    if (found->empty()) return NotFound("token", id);
    return std::move(found->front());
  }
  absl::StatusOr<std::optional<TokenRecord>> FindTokenBySecretHash(
      const std::string& secret_hash) override {
    // The reference table names the clinic; the token is read from that clinic's rows.
    std::string clinic;
    auto found = FindTokens(
        "(clinic_id, id) = (SELECT clinic_id, token_id FROM token_secrets WHERE secret_hash = $1)",
        secret_hash, "", &clinic);
    if (!found.ok()) return found.status();
    if (found->empty()) return std::optional<TokenRecord>();
    if (narrows_ && !scoped()) clinic_ = clinic;  // the rest is the token's clinic's (store.h)
    return std::optional<TokenRecord>(std::move(found->front()));
  }
  absl::StatusOr<Page<v1::Token>> ListTokens(const std::string& user_id,
                                             PageRequest page) override {
    Where where;
    where.Add("user_id = ?", user_id);
    return List<v1::Token>("tokens", std::move(where), true, page);
  }
  absl::Status InsertEnrollmentCode(const std::string& code_hash, const std::string& patient_id,
                                    int64_t expire_unix_seconds) override {
    std::vector<Param> params = {code_hash, patient_id, expire_unix_seconds};
    const std::string clinic = AndClinic(params);
    auto r = Run(absl::StrCat("INSERT INTO enrollment_codes(code_hash, clinic_id, patient_id, "
                              "expire_unix) SELECT $1, COALESCE((SELECT clinic_id FROM patients "
                              "WHERE id = $2",
                              clinic, " LIMIT 1), ''), $2, $3 ON CONFLICT DO NOTHING"),
                 params);
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Duplicate("enrollment code", "") : absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> ConsumeEnrollmentCode(
      const std::string& code_hash, int64_t now_unix_seconds) override {
    std::vector<Param> params = {code_hash, now_unix_seconds};
    const std::string clinic = AndClinic(params);
    auto r = Run(absl::StrCat("UPDATE enrollment_codes SET used = true WHERE code_hash = $1 "
                              "AND NOT used AND expire_unix > $2",
                              clinic, " RETURNING patient_id, clinic_id"),
                 params);
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::optional<std::string>();
    if (narrows_ && !scoped()) clinic_ = r->String(0, 1);  // the rest is the code's clinic's
    return std::optional<std::string>(r->String(0, 0));
  }
  absl::Status SetAssignments(const std::string& patient_id,
                              const std::vector<std::string>& user_ids) override {
    std::vector<Param> del = {patient_id};
    const std::string del_clinic = AndClinic(del);
    if (auto r =
            Run(absl::StrCat("DELETE FROM assignments WHERE patient_id = $1", del_clinic), del);
        !r.ok()) {
      return r.status();
    }
    for (const std::string& user_id : user_ids) {
      // The Txn's clinic; in a Txn of every clinic, the patient's (who may be inserted later
      // in the Txn: CreatePatient assigns first).
      std::vector<Param> params = {patient_id, user_id};
      if (scoped()) params.push_back(Param::Text(clinic_));
      auto r = Run(scoped() ? "INSERT INTO assignments(clinic_id, patient_id, user_id) "
                              "VALUES($3, $1, $2) ON CONFLICT DO NOTHING"
                            : "INSERT INTO assignments(clinic_id, patient_id, user_id) "
                              "SELECT COALESCE((SELECT clinic_id FROM patients WHERE id = $1 "
                              "LIMIT 1), ''), $1, $2 ON CONFLICT DO NOTHING",
                   params);
      if (!r.ok()) return r.status();
    }
    return absl::OkStatus();
  }
  absl::StatusOr<bool> IsAssigned(const std::string& patient_id,
                                  const std::string& user_id) override {
    std::vector<Param> params = {patient_id, user_id};
    const std::string clinic = AndClinic(params);
    auto r = Run(absl::StrCat("SELECT 1 FROM assignments WHERE patient_id = $1 AND user_id = $2",
                              clinic, " LIMIT 1"),
                 params);
    if (!r.ok()) return r.status();
    return r->rows() > 0;
  }
  absl::Status InsertAudit(const std::string& id, const std::string& clinic,
                           const std::string& patient_id, const v1::AuditEntry& e) override {
    // Sent later (Defer): an id the clinic already has fails it (23505, ALREADY_EXISTS).
    RETURN_IF_ERROR(CheckClinic(clinic, "audit entry", id));
    return Defer({"INSERT INTO audit(clinic_id, id, patient_id, data) VALUES($1, $2, $3, $4)",
                  {clinic, id, patient_id, Param::Bytes(e.SerializeAsString())}});
  }
  absl::StatusOr<Page<v1::AuditEntry>> ListAudit(const std::string& clinic,
                                                 PageRequest page) override {
    Where where;
    where.Add("clinic_id = ?", clinic);
    return List<v1::AuditEntry>("audit", std::move(where), true, page);
  }
  absl::Status ErasePatient(const std::string& patient_id) override {
    erased_ = true;  // what this Txn claimed may be gone: later writes check at once
    patient_with_program_.reset();
    // As SqliteStore::ErasePatient, in the same order. bytea columns are searched for the
    // UTF-8 bytes of a resource name.
    // In a Txn of one clinic every statement is that clinic's ($2): {C} and {Cp}/{Cu} (the
    // aliased tables) stand for its filter, {R} for requests' (those stored before their keys
    // named a clinic are under clinic_id '').
    static constexpr const char* kStatements[] = {
        // Stored responses of earlier requests mention the patient or their programs.
        ("DELETE FROM requests WHERE position(convert_to('patients/' || $1, 'UTF8') "
         "IN response) > 0{R}"),
        ("DELETE FROM requests WHERE EXISTS (SELECT 1 FROM programs p WHERE p.patient_id = $1{Cp} "
         "AND position(convert_to('programs/' || p.id, 'UTF8') IN requests.response) > 0){R}"),
        // And the patient's own user: responses naming it or its tokens (a device's label),
        // and the requests it made (its name is in their key).
        ("DELETE FROM requests WHERE EXISTS (SELECT 1 FROM users u WHERE u.patient_id = $1{Cu} "
         "AND (position(convert_to('users/' || u.id, 'UTF8') IN requests.response) > 0 "
         "OR position('users/' || u.id IN requests.scope) > 0)){R}"),
        // Audit entries of what the patient's user did or had done to it (its tokens).
        ("DELETE FROM audit WHERE EXISTS (SELECT 1 FROM users u WHERE u.patient_id = $1{Cu} "
         "AND position(convert_to('users/' || u.id, 'UTF8') IN audit.data) > 0){C}"),
        "DELETE FROM sessions WHERE program_id IN (SELECT id FROM programs WHERE patient_id = "
        "$1{C}){C}",
        "DELETE FROM check_ins WHERE program_id IN (SELECT id FROM programs WHERE patient_id = "
        "$1{C}){C}",
        "DELETE FROM outcomes WHERE program_id IN (SELECT id FROM programs WHERE patient_id = "
        "$1{C}){C}",
        "DELETE FROM decisions WHERE program_id IN (SELECT id FROM programs WHERE patient_id = "
        "$1{C}){C}",
        "DELETE FROM alerts WHERE program_id IN (SELECT id FROM programs WHERE patient_id = "
        "$1{C}){C}",
        "DELETE FROM programs WHERE patient_id = $1{C}",
        "DELETE FROM assignments WHERE patient_id = $1{C}",
        "DELETE FROM enrollment_codes WHERE patient_id = $1{C}",
        ("DELETE FROM token_secrets WHERE token_id IN (SELECT t.id FROM tokens t JOIN users u "
         "ON u.clinic_id = t.clinic_id AND u.id = t.user_id WHERE u.patient_id = $1{Cu}){C}"),
        "DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE patient_id = $1{C}){C}",
        "DELETE FROM users WHERE patient_id = $1{C}",
        "DELETE FROM audit WHERE patient_id = $1{C}",
        "DELETE FROM patients WHERE id = $1{C}",
    };
    const bool one = scoped();
    for (const char* statement : kStatements) {
      const std::string sql =
          absl::StrReplaceAll(statement, {{"{C}", one ? " AND clinic_id = $2" : ""},
                                          {"{Cp}", one ? " AND p.clinic_id = $2" : ""},
                                          {"{Cu}", one ? " AND u.clinic_id = $2" : ""},
                                          {"{R}", one ? " AND clinic_id IN ($2, '')" : ""}});
      std::vector<Param> params = {patient_id};
      if (one) params.push_back(Param::Text(clinic_));
      if (auto r = Run(sql, params); !r.ok()) return r.status();
    }
    return absl::OkStatus();
  }

  absl::Status Commit() override {
    if (!open_) {
      return failed_.ok() ? absl::FailedPreconditionError("database: Txn used after Commit()")
                          : failed_;
    }
    if (!failed_.ok()) {
      // PostgreSQL's transaction is aborted: COMMIT would only roll it back.
      open_ = false;
      if (!begin_pending_) slot_->conn->Exec("ROLLBACK").IgnoreError();
      return failed_;
    }
    // The deferred writes, the notifications (told to the other replicas by PostgreSQL when,
    // and only if, the COMMIT succeeds) and the COMMIT, in one round trip; a failed one
    // skips the rest, the COMMIT included.
    std::vector<Statement> tail = std::move(deferred_);
    AddTouches(tail);
    for (const std::string& payload : announced_) {
      tail.push_back({"SELECT pg_notify($1, $2)", {std::string(kChangeChannel), payload}});
    }
    if (begin_pending_ && tail.empty()) {  // nothing was read or written: nothing to end
      open_ = false;
      return absl::OkStatus();
    }
    tail.push_back({"COMMIT", {}});
    absl::StatusOr<std::vector<Result>> r =
        begin_pending_ ? RunFirst(std::move(tail)) : slot_->conn->RunAll(tail);
    open_ = false;
    if (!r.ok()) {
      // A connection lost during COMMIT leaves the outcome unknown: UNAVAILABLE, and the
      // write path's retry replays the request if it did commit (idempotency keys).
      failed_ = r.status();
      if (slot_->conn->ok() && slot_->conn->InTransaction()) {
        slot_->conn->Exec("ROLLBACK").IgnoreError();
      }
      return failed_;
    }
    return absl::OkStatus();
  }

  absl::Status AnnounceChange(const StoreChange& change) override {
    if (!write_) return absl::FailedPreconditionError("database: a read Txn changes nothing");
    std::string payload = ChangePayload(store_.origin_, change);
    for (const std::string& p : announced_) {
      if (p == payload) return absl::OkStatus();
    }
    announced_.push_back(std::move(payload));
    return absl::OkStatus();
  }

 private:
  // Runs a statement of this Txn. After a failure the transaction is aborted on the server:
  // this and every later call return that failure.
  // failed_ once a statement failed; FAILED_PRECONDITION after Commit().
  absl::Status Usable() const {
    if (!failed_.ok()) return failed_;
    if (!open_) return absl::FailedPreconditionError("database: Txn used after Commit()");
    return absl::OkStatus();
  }

  absl::StatusOr<Result> Run(const std::string& sql, const std::vector<Param>& params) {
    RETURN_IF_ERROR(Usable());
    if (begin_pending_ || !deferred_.empty()) {
      auto r = RunMany({{sql, params}});
      if (!r.ok()) return r.status();
      return std::move(r->back());
    }
    auto r = slot_->conn->Run(sql, params);
    if (!r.ok()) failed_ = r.status();
    return r;
  }

  // Runs `statements` in one round trip, after BEGIN if it is pending and the deferred
  // writes if any; the results of `statements`, or the first failure (the rest not run).
  absl::StatusOr<std::vector<Result>> RunMany(std::vector<Statement> statements) {
    RETURN_IF_ERROR(Usable());
    const size_t flushed = deferred_.size();
    if (flushed > 0) {
      statements.insert(statements.begin(), std::make_move_iterator(deferred_.begin()),
                        std::make_move_iterator(deferred_.end()));
      deferred_.clear();
    }
    absl::StatusOr<std::vector<Result>> r;
    if (begin_pending_) {
      r = RunFirst(std::move(statements));
    } else {
      r = slot_->conn->RunAll(statements);
      if (!r.ok()) failed_ = r.status();
    }
    if (r.ok()) r->erase(r->begin(), r->begin() + static_cast<std::ptrdiff_t>(flushed));
    return r;
  }

  // Runs BEGIN and then `statements` in one round trip; their results. A connection found
  // dead there (the server restarted, the backend was terminated) is reconnected and the
  // whole tried once more, since nothing of the Txn had run.
  absl::StatusOr<std::vector<Result>> RunFirst(std::vector<Statement> statements) {
    statements.insert(statements.begin(),
                      Statement{write_ ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                                       : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                {}});
    for (int attempt = 0;; ++attempt) {
      auto r = slot_->conn->RunAll(statements);
      if (r.ok()) {
        begin_pending_ = false;
        r->erase(r->begin());
        return r;
      }
      if (attempt == 0 && r.status().code() == absl::StatusCode::kUnavailable &&
          !slot_->conn->ok() && store_.Reconnect(slot_).ok()) {
        continue;
      }
      begin_pending_ = !slot_->conn->ok() || !slot_->conn->InTransaction();
      failed_ = r.status();
      return failed_;
    }
  }

  // A write whose only outcome is success or failure, sent with the Txn's next statement
  // or COMMIT, in the same round trip: its error comes from that later call (store.h, "Writes
  // sent later"). A read Txn runs it at once (the server refuses it).
  absl::Status Defer(Statement statement) {
    RETURN_IF_ERROR(Usable());
    if (!write_) return Run(statement.sql, statement.params).status();
    deferred_.push_back(std::move(statement));
    return absl::OkStatus();
  }

  bool scoped() const { return !clinic_.empty(); }
  // This Txn's own request record for (scope, request_id), not sent yet; null if none.
  const StoredRequest* DeferredRequest(absl::string_view scope,
                                       absl::string_view request_id) const {
    for (const DeferredRecord& d : deferred_requests_) {
      if (d.scope == scope && d.request_id == request_id) return &d.stored;
    }
    return nullptr;
  }
  // Rows whose `column` is a patient assigned to `user_id`.
  void AssignedTo(Where& where, absl::string_view column, const std::string& user_id) const {
    if (scoped()) {
      where.Add(absl::StrCat(column,
                             " IN (SELECT patient_id FROM assignments WHERE clinic_id = ? "
                             "AND user_id = ?)"),
                {Param::Text(clinic_), Param::Text(user_id)});
    } else {
      where.Add(absl::StrCat(column, " IN (SELECT patient_id FROM assignments WHERE user_id = ?)"),
                Param::Text(user_id));
    }
  }
  // For a Txn of one clinic: " AND {column} = $n", the clinic appended to `params` as $n;
  // for every clinic "".
  std::string AndClinic(std::vector<Param>& params, absl::string_view column = "clinic_id") const {
    if (!scoped()) return "";
    params.push_back(Param::Text(clinic_));
    return absl::StrCat(" AND ", column, " = $", params.size());
  }
  void InClinic(Where& where) const {
    if (scoped()) where.Add("clinic_id = ?", Param::Text(clinic_));
  }
  // A record of `clinic` written in a Txn of another clinic.
  absl::Status CheckClinic(absl::string_view clinic, absl::string_view kind,
                           absl::string_view id) const {
    if (!scoped() || clinic == clinic_) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("database: ", kind, " ", id, " is not of this request's clinic"));
  }
  // The check that no clinic has the id yet, in a Txn of every clinic (UniqueId).
  std::string UniqueIdOfEvery(absl::string_view table, absl::string_view id_param) const {
    return scoped() ? "" : UniqueId(table, id_param);
  }
  static bool IsReference(absl::string_view table) {
    return table == "protocols" || table == "clinics";
  }

  // Steps rows (seq in column 0; limit + 1 asked for, the last only telling that a next page
  // exists) into a page of items made by `read(row)`.
  template <typename T, typename Read>
  static absl::StatusOr<Page<T>> ReadPage(const Result& r, int limit, Read&& read) {
    Page<T> page;
    for (int row = 0; row < r.rows(); ++row) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next = NextCursor(r.Int(row - 1, 0));
        break;
      }
      absl::StatusOr<T> item = read(row);
      if (!item.ok()) return item.status();
      page.items.push_back(*std::move(item));
    }
    return page;
  }

  // The statement of List (below).
  absl::StatusOr<Statement> ListStatement(const char* table, Where where, bool newest_first,
                                          const PageRequest& page) const {
    auto after = AfterSeq(page);
    if (!after.ok()) return after.status();
    if (!IsReference(table)) InClinic(where);
    if (*after > 0) where.Add(newest_first ? "seq < ?" : "seq > ?", *after);
    where.params.push_back(Param::Int(int64_t{page.limit} + 1));
    return Statement{absl::StrCat("SELECT seq, data FROM ", table,
                                  where.sql.empty() ? "" : " WHERE ", where.sql, " ORDER BY seq ",
                                  newest_first ? "DESC" : "ASC", " LIMIT $", where.params.size()),
                     std::move(where.params)};
  }
  template <typename T>
  static absl::StatusOr<Page<T>> ReadListPage(const Result& r, const char* table, int limit) {
    return ReadPage<T>(r, limit, [&](int row) { return ParseRecord<T>(r.String(row, 1), table); });
  }

  template <typename T>
  absl::StatusOr<Page<T>> List(const char* table, Where where, bool newest_first,
                               PageRequest page) {
    auto statement = ListStatement(table, std::move(where), newest_first, page);
    if (!statement.ok()) return statement.status();
    auto r = Run(statement->sql, statement->params);
    if (!r.ok()) return r.status();
    return ReadListPage<T>(*r, table, page.limit);
  }

  // The statement of Since (below): the rows' records in column 0.
  Statement SinceStatement(const char* table, const std::string& program_id,
                           const std::string& from_date) const {
    std::vector<Param> params = {program_id, from_date};
    const std::string clinic = AndClinic(params);
    return {absl::StrCat("SELECT data FROM ", table, " WHERE program_id = $1 AND local_date >= $2",
                         clinic, " ORDER BY local_date, seq"),
            std::move(params)};
  }
  template <typename T>
  static absl::StatusOr<std::vector<T>> ReadRecords(const Result& r, const char* table) {
    std::vector<T> out;
    out.reserve(r.rows());
    for (int row = 0; row < r.rows(); ++row) {
      auto record = ParseRecord<T>(r.String(row, 0), table);
      if (!record.ok()) return record.status();
      out.push_back(*std::move(record));
    }
    return out;
  }

  template <typename T>
  absl::StatusOr<std::vector<T>> Since(const char* table, const std::string& program_id,
                                       const std::string& from_date) {
    const Statement statement = SinceStatement(table, program_id, from_date);
    auto r = Run(statement.sql, statement.params);
    if (!r.ok()) return r.status();
    return ReadRecords<T>(*r, table);
  }

  template <typename T>
  absl::StatusOr<T> Get(const char* table, const char* kind, const std::string& id) {
    // A write Txn claims the clinic record it reads (postgres_store.h, "Isolation"): it
    // locks the row now (a concurrent write Txn that reads it too waits, then fails with
    // 40001: ABORTED, retried by InWrite with a fresh snapshot), and makes a new version of
    // it by COMMIT at the latest (Claim).
    const bool reference = IsReference(table);
    const bool claim = write_ && !reference;
    std::vector<Param> params = {Param::Text(id)};
    const std::string where = absl::StrCat(" WHERE id = $1", reference ? "" : AndClinic(params));
    auto r = Run(absl::StrCat("SELECT data", reference ? "" : ", clinic_id", " FROM ", table, where,
                              " LIMIT 1", claim ? " FOR NO KEY UPDATE" : ""),
                 params);
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return NotFound(kind, id);
    if (claim) Claim(table, r->String(0, 1), id);
    return ParseRecord<T>(r->String(0, 0), table);
  }

  // A record this write Txn has claimed (Claim); claimed_ holds each once.
  struct ClaimedRow {
    const char* table;
    std::string clinic;
    std::string id;
    bool changed;  // updated by this Txn: no touch at COMMIT
  };

  // Records the claim of a row this Txn has locked. The row gets a new version by COMMIT:
  // its update if the Txn changes it, else a no-op UPDATE sent with COMMIT, so that a write
  // Txn that read it and began before this one commits fails (40001), as if it had been
  // changed. (A row only locked would let that Txn go on with what it read.)
  void Claim(const char* table, std::string clinic, absl::string_view id) {
    if (Claimed(table, id)) return;
    claimed_.push_back({table, std::move(clinic), std::string(id), false});
  }
  // Notes that `id` of `table` gets its new version from this Txn's update.
  void MarkChanged(const char* table, absl::string_view id) {
    if (ClaimedRow* row = FindClaim(table, id)) row->changed = true;
  }
  // The no-op UPDATEs of the claimed rows this Txn did not change.
  void AddTouches(std::vector<Statement>& tail) const {
    for (const ClaimedRow& row : claimed_) {
      if (row.changed) continue;
      tail.push_back(
          {absl::StrCat("UPDATE ", row.table, " SET data = data WHERE clinic_id = $1 AND id = $2"),
           {Param::Text(row.clinic), Param::Text(row.id)}});
    }
  }

  // Whether this Txn has claimed the record (so that it exists until the Txn ends, unless
  // the Txn erases it).
  bool Claimed(const char* table, absl::string_view id) { return FindClaim(table, id) != nullptr; }
  ClaimedRow* FindClaim(const char* table, absl::string_view id) {
    for (ClaimedRow& row : claimed_) {
      if (row.id == id && absl::string_view(row.table) == table) return &row;
    }
    return nullptr;
  }
  // Whether a write under or to this claimed record may be held back (Defer): in a Txn of
  // one clinic that has erased no patient (an erased record is not there any more).
  bool HoldsBack(const char* table, absl::string_view id) {
    return write_ && scoped() && !erased_ && Claimed(table, id);
  }

  absl::Status Update(const char* table, const char* kind, const std::string& id,
                      const google::protobuf::Message& record,
                      const std::vector<std::pair<const char*, Param>>& columns = {}) {
    std::vector<Param> params = {Param::Bytes(record.SerializeAsString()), Param::Text(id)};
    std::string sets = "data = $1";
    for (const auto& [name, value] : columns) {
      params.push_back(value);
      absl::StrAppend(&sets, ", ", name, " = $", params.size());
    }
    const std::string clinic = AndClinic(params);
    std::string sql = absl::StrCat("UPDATE ", table, " SET ", sets, " WHERE id = $2", clinic);
    // A record this Txn claimed is there (never NOT_FOUND): the update goes later.
    if (HoldsBack(table, id)) {
      MarkChanged(table, id);
      return Defer({std::move(sql), std::move(params)});
    }
    auto r = Run(sql, params);
    if (!r.ok()) return r.status();
    if (r->affected() == 0) return NotFound(kind, id);
    MarkChanged(table, id);
    return absl::OkStatus();
  }

  // A row of a table whose clinic the caller names.
  absl::Status InsertTop(const char* table, const char* kind, const std::string& clinic_id,
                         const std::string& id, const google::protobuf::Message& record) {
    RETURN_IF_ERROR(CheckClinic(clinic_id, kind, id));
    auto r = Run(absl::StrCat("INSERT INTO ", table, "(clinic_id, id, data) SELECT $1, $2, $3 ",
                              UniqueIdOfEvery(table, "$2"), " ON CONFLICT DO NOTHING"),
                 {clinic_id, id, Param::Bytes(record.SerializeAsString())});
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Duplicate(kind, id) : absl::OkStatus();
  }

  // A row hanging from `parent_id` in `parent_table`: its clinic_id copied from the parent
  // in the same statement. No parent: FAILED_PRECONDITION (SQLite's foreign key failure);
  // the id taken: ALREADY_EXISTS. Neither aborts the transaction.
  absl::Status InsertChild(const char* table, const char* kind, const char* parent_table,
                           const char* parent_kind, const std::string& parent_id,
                           const std::string& id, const char* parent_column,
                           const std::vector<std::pair<const char*, Param>>& columns,
                           const google::protobuf::Message& record) {
    std::vector<Param> params = {Param::Text(parent_id), Param::Text(id),
                                 Param::Bytes(record.SerializeAsString())};
    if (HoldsBack(parent_table, parent_id)) {
      // The parent is there: only a taken id can fail the insert (23505, ALREADY_EXISTS), so
      // it goes later, a plain INSERT whose foreign key would still catch a missing parent.
      params.push_back(Param::Text(clinic_));
      std::string names = absl::StrCat("clinic_id, id, ", parent_column, ", data");
      std::string values = absl::StrCat("$", params.size(), ", $2, $1, $3");
      for (const auto& [name, value] : columns) {
        params.push_back(value);
        absl::StrAppend(&names, ", ", name);
        absl::StrAppend(&values, ", $", params.size());
      }
      return Defer(
          {absl::StrCat("INSERT INTO ", table, "(", names, ") VALUES(", values, ")"), params});
    }
    std::string names = absl::StrCat("clinic_id, id, ", parent_column, ", data");
    std::string values = "p.clinic_id, $2, $1, $3";
    for (const auto& [name, value] : columns) {
      params.push_back(value);
      absl::StrAppend(&names, ", ", name);
      absl::StrAppend(&values, ", $", params.size());
    }
    const std::string clinic = AndClinic(params);
    const std::string sql = absl::StrCat(
        "WITH p AS (SELECT clinic_id FROM ", parent_table, " WHERE id = $1", clinic, " LIMIT 1), ",
        "ins AS (INSERT INTO ", table, "(", names, ") SELECT ", values, " FROM p ",
        UniqueIdOfEvery(table, "$2"), " ON CONFLICT DO NOTHING RETURNING 1) ",
        "SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM ins)");
    auto r = Run(sql, params);
    if (!r.ok()) return r.status();
    if (r->Int(0, 0) == 0) return MissingParent(parent_kind, parent_id);
    if (r->Int(0, 1) == 0) return Duplicate(kind, id);
    return absl::OkStatus();
  }

  // Tokens WHERE `where` ($1 = `value`) in this Txn's clinic, then `suffix`; `clinic` (if
  // given) set to the first one's clinic.
  absl::StatusOr<std::vector<TokenRecord>> FindTokens(const char* where, const std::string& value,
                                                      const char* suffix,
                                                      std::string* clinic = nullptr) {
    std::vector<Param> params = {value};
    const std::string in_clinic = AndClinic(params);
    auto r = Run(absl::StrCat("SELECT id, user_id, data, parent_id, clinic_id FROM tokens WHERE ",
                              where, in_clinic, suffix),
                 params);
    if (!r.ok()) return r.status();
    if (clinic != nullptr && r->rows() > 0) *clinic = r->String(0, 4);
    std::vector<TokenRecord> tokens;
    for (int row = 0; row < r->rows(); ++row) {
      auto token = ParseRecord<v1::Token>(r->String(row, 2), "tokens");
      if (!token.ok()) return token.status();
      tokens.push_back(
          TokenRecord{r->String(row, 0), r->String(row, 1), *std::move(token), r->String(row, 3)});
    }
    return tokens;
  }

  PostgresStore& store_;
  PostgresStore::Slot* slot_;
  const bool write_;
  const bool narrows_;  // begun with kClinicOfItsSecret: a secret's lookup sets clinic_
  // The Txn's clinic ("clinics/{id}"), every statement filtered by it; "" for every clinic
  // (until a secret's lookup narrows it: FindTokenBySecretHash, ConsumeEnrollmentCode).
  std::string clinic_;
  bool open_ = true;  // neither COMMIT nor ROLLBACK has run
  // BEGIN not sent yet: it goes with the Txn's first statement, in the same round trip
  // (RunFirst).
  bool begin_pending_ = true;
  std::vector<Statement> deferred_;  // writes sent with the next statement or COMMIT
  std::vector<ClaimedRow> claimed_;  // the records this write Txn has claimed, each once
  bool erased_ = false;              // ErasePatient ran: no write is held back
  // The patient read (claimed) with the last program (GetProgram): id and record, until
  // changed.
  std::optional<std::pair<std::string, std::string>> patient_with_program_;
  // The request records among them, for this Txn's own reads.
  struct DeferredRecord {
    std::string scope;
    std::string request_id;
    StoredRequest stored;
  };
  std::vector<DeferredRecord> deferred_requests_;
  absl::Status failed_;  // the first failed statement: the server aborted the transaction
  std::vector<std::string> announced_;  // change payloads, notified at Commit()
};

namespace {

absl::Status Migrate(pg::Connection& conn, int& version) {
  while (true) {
    if (absl::Status s = conn.Exec("BEGIN"); !s.ok()) return s;
    auto step = [&]() -> absl::StatusOr<bool> {
      // Replicas starting together: the second waits here, then finds the work done.
      if (auto r = conn.Run("SELECT pg_advisory_xact_lock($1)", {int64_t{pg::kMigrationLockKey}});
          !r.ok()) {
        return r.status();
      }
      if (absl::Status s =
              conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, "
                        "applied_at timestamptz NOT NULL DEFAULT now())");
          !s.ok()) {
        return s;
      }
      auto r = conn.Run("SELECT COALESCE(max(version), 0) FROM schema_migrations");
      if (!r.ok()) return r.status();
      version = static_cast<int>(r->Int(0, 0));
      for (const pg::Migration& m : pg::Migrations()) {
        if (m.version <= version) continue;
        if (absl::Status s = conn.Exec(m.sql); !s.ok()) return s;
        if (auto ins =
                conn.Run("INSERT INTO schema_migrations(version) VALUES($1)", {int64_t{m.version}});
            !ins.ok()) {
          return ins.status();
        }
        version = m.version;
        return true;  // one version per transaction
      }
      return false;
    };
    absl::StatusOr<bool> applied = step();
    if (!applied.ok()) {
      conn.Exec("ROLLBACK").IgnoreError();
      return applied.status();
    }
    if (absl::Status s = conn.Exec("COMMIT"); !s.ok()) return s;
    if (!*applied) return absl::OkStatus();
  }
}

}  // namespace

PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const PostgresStoreOptions& options) {
  if (options.connections < 1) {
    return absl::InvalidArgumentError("postgres: the pool needs at least one connection");
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore());
  store->conninfo_ = options.conninfo;
  store->setup_ = absl::StrCat(kSessionSetup, "; ", BoundsStatement(options));
  // This process's origin in change notifications: its own are not heard back.
  store->origin_ = absl::StrCat("r", ::getpid(), "-", absl::ToUnixNanos(absl::Now()) % 1000000007);
  for (int i = 0; i < options.connections; ++i) {
    auto conn = pg::Connection::Open(options.conninfo);
    if (!conn.ok()) return conn.status();
    if (i == 0) {  // before the bounds: building an index of a large table takes a while
      if (absl::Status s = (*conn)->Exec(kSessionSetup); !s.ok()) return s;
      if (absl::Status s = Migrate(**conn, store->schema_version_); !s.ok()) return s;
    }
    if (absl::Status s = (*conn)->Exec(store->setup_); !s.ok()) return s;
    auto slot = std::make_unique<Slot>();
    slot->conn = *std::move(conn);
    store->slots_.push_back(std::move(slot));
  }
  absl::MutexLock lock(&store->mu_);
  for (auto& slot : store->slots_) store->free_.push_back(slot.get());
  return store;
}

void PostgresStore::WatchChanges(std::function<void(const StoreChange&)> listener) {
  listener_.reset();  // stops the thread of an earlier listener
  if (!listener) return;
  listener_ = std::make_unique<ChangeListener>(ChangeListener::Options{
      .conninfo = conninfo_, .origin = origin_, .on_change = std::move(listener)});
}

bool PostgresStore::ChangesCurrent() const { return listener_ == nullptr || listener_->current(); }

void PostgresStore::Release(Slot* slot) {
  absl::MutexLock lock(&mu_);
  free_.push_back(slot);
}

absl::StatusOr<std::unique_ptr<Txn>> PostgresStore::Begin(bool write, const std::string& clinic,
                                                          absl::Time wait_until) {
  if (!mu_.LockWhenWithDeadline(
          absl::Condition(
              +[](std::vector<Slot*>* free) { return !free->empty(); }, &free_),
          wait_until)) {
    mu_.Unlock();
    return absl::DeadlineExceededError(
        "the call's deadline passed while it waited for a database connection; nothing was "
        "done");
  }
  Slot* slot = free_.back();
  free_.pop_back();
  mu_.Unlock();
  auto txn = std::make_unique<PostgresTxn>(*this, slot, write, clinic);  // gives the slot back
  // A connection known to be down is reconnected now; one the server dropped unnoticed is
  // found, and reconnected, by the Txn's first statement (PostgresTxn::RunFirst).
  if (!slot->conn->ok()) {
    if (absl::Status s = Reconnect(slot); !s.ok()) return s;
  }
  return std::unique_ptr<Txn>(std::move(txn));
}

absl::Status PostgresStore::Reconnect(Slot* slot) {
  {
    absl::MutexLock lock(&mu_);
    ++reconnects_;
  }
  absl::Status s = slot->conn->Reset();
  if (s.ok()) s = slot->conn->Exec(setup_);
  return s;
}

absl::Status PostgresStore::RefreshStatistics() {
  auto conn = pg::Connection::Open(conninfo_);
  if (!conn.ok()) return conn.status();
  auto tables = (*conn)->Run(
      "SELECT coalesce(string_agg(quote_ident(c.relname), ', '), '') FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
      "AND c.relkind = 'r' AND pg_relation_size(c.oid) > 0");
  if (!tables.ok()) return tables.status();
  const std::string list = tables->String(0, 0);
  if (list.empty()) return absl::OkStatus();
  return (*conn)->Exec(absl::StrCat("ANALYZE ", list));
}

std::vector<int> PostgresStore::backend_pids() {
  absl::MutexLock lock(&mu_);
  std::vector<int> pids;
  for (const auto& slot : slots_) pids.push_back(slot->conn->ok() ? slot->conn->backend_pid() : 0);
  return pids;
}

int64_t PostgresStore::reconnects() {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

}  // namespace kneecoach
