#include "service/admin/copy_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <type_traits>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/status_macros.h"

namespace kneecoach {
namespace {

// A row in canonical form: its fields, each with its length, so that no two rows encode
// alike; messages deterministically serialized (two stores may write fields in other order).
class Row {
 public:
  Row& Add(absl::string_view field) {
    absl::StrAppend(&bytes_, field.size(), ":", field, ";");
    return *this;
  }
  Row& Add(int64_t n) { return Add(absl::StrCat(n)); }
  Row& Add(const google::protobuf::Message& m) {
    std::string out;
    {
      google::protobuf::io::StringOutputStream stream(&out);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      m.SerializeToCodedStream(&coded);
    }
    return Add(out);
  }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Rows of one table, summarized as count and SHA-256 of the sorted rows.
struct Rows {
  std::string table;
  std::vector<std::string> rows;
  TableSummary Summary() {
    std::sort(rows.begin(), rows.end());
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    for (const std::string& row : rows) EVP_DigestUpdate(ctx.get(), row.data(), row.size());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &size);
    return {table, static_cast<int64_t>(rows.size()),
            absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size))};
  }
};

template <typename M>
absl::StatusOr<M> Parse(const SQLite::Column& column, absl::string_view table) {
  M m;
  if (!m.ParseFromArray(column.getBlob(), column.getBytes())) {
    return absl::DataLossError(absl::StrCat("source: a row of ", table, " does not parse"));
  }
  return m;
}

// Calls fn(item) for every item of every page of `list(page)`.
template <typename List, typename Fn>
absl::Status ForEachItem(List&& list, Fn&& fn) {
  PageRequest page;
  page.limit = 500;
  while (true) {
    auto got = list(page);
    if (!got.ok()) return got.status();
    for (auto& item : got->items) fn(item);
    if (got->next.empty()) return absl::OkStatus();
    page.after = got->next;
  }
}

// The tables, in an order where each row's references come before it.
constexpr const char* kTables[] = {"clinics",     "protocols", "patients",  "users",
                                   "programs",    "sessions",  "check_ins", "outcomes",
                                   "decisions",   "alerts",    "tokens",    "enrollment_codes",
                                   "assignments", "audit",     "requests"};

class Copier {
 public:
  Copier(SQLite::Database& db, Store& target, const std::function<void(const std::string&)>& log)
      : db_(db), target_(target), log_(log) {}

  absl::Status CheckTargetEmpty() {
    ASSIGN_OR_RETURN(std::unique_ptr<Txn> txn, target_.Begin(false));
    PageRequest one;
    one.limit = 1;
    ASSIGN_OR_RETURN(auto patients, txn->ListPatients("", "", one));
    ASSIGN_OR_RETURN(auto programs, txn->ListProgramIds(one));
    if (!patients.items.empty() || !programs.items.empty()) {
      return absl::FailedPreconditionError(
          "the target store already holds patients or programs: migrate only into an empty "
          "database");
    }
    SQLite::Statement clinics(db_, "SELECT id FROM clinics");
    while (clinics.executeStep()) {
      auto clinic = txn->GetClinic(clinics.getColumn(0).getString());
      if (clinic.ok()) {
        return absl::FailedPreconditionError(absl::StrCat("the target store already holds clinic ",
                                                          clinics.getColumn(0).getString(),
                                                          ": migrate only into an empty database"));
      }
      if (!absl::IsNotFound(clinic.status())) return clinic.status();
    }
    return absl::OkStatus();
  }

  // Copies every table in one write transaction; fills source_ with the source's rows.
  absl::Status Copy() {
    ASSIGN_OR_RETURN(std::unique_ptr<Txn> txn, target_.Begin(true));
    for (const char* table : kTables) {
      RETURN_IF_ERROR(CopyTable(*txn, table));
      log_(absl::StrCat("copied ", table, ": ", source_[table].rows.size(), " rows"));
    }
    return txn->Commit();
  }

  // Reads every source row back from the target.
  absl::StatusOr<std::map<std::string, Rows>> ReadBack() {
    ASSIGN_OR_RETURN(std::unique_ptr<Txn> txn, target_.Begin(true));  // rolled back
    std::map<std::string, Rows> target;
    for (const char* table : kTables) {
      Rows& rows = target[table];
      rows.table = table;
      RETURN_IF_ERROR(ReadTable(*txn, table, rows.rows));
    }
    return target;
  }

  std::map<std::string, Rows>& source() { return source_; }

 private:
  absl::Status CopyTable(Txn& txn, const std::string& table) {
    Rows& rows = source_[table];
    rows.table = table;
    auto& out = rows.rows;
    if (table == "clinics" || table == "protocols" || table == "patients") {
      SQLite::Statement q(db_, absl::StrCat("SELECT id, data FROM ", table, " ORDER BY rowid"));
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        if (table == "clinics") {
          ASSIGN_OR_RETURN(auto m, Parse<v1::Clinic>(q.getColumn(1), table));
          RETURN_IF_ERROR(txn.InsertClinic(id, m));
          out.push_back(Row().Add(id).Add(m).Take());
        } else if (table == "protocols") {
          ASSIGN_OR_RETURN(auto m, Parse<v1::Protocol>(q.getColumn(1), table));
          RETURN_IF_ERROR(txn.PutProtocol(id, m));
          out.push_back(Row().Add(id).Add(m).Take());
        } else if (table == "patients") {
          ASSIGN_OR_RETURN(auto m, Parse<v1::Patient>(q.getColumn(1), table));
          RETURN_IF_ERROR(txn.InsertPatient(id, m));
          out.push_back(Row().Add(id).Add(m).Take());
        }
      }
    } else if (table == "decisions") {
      SQLite::Statement q(db_, "SELECT id, program_id, data FROM decisions ORDER BY seq");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::Decision>(q.getColumn(2), table));
        RETURN_IF_ERROR(txn.InsertDecision(id, q.getColumn(1).getString(), m));
        out.push_back(Row().Add(id).Add(m).Take());
      }
    } else if (table == "users") {
      SQLite::Statement q(db_, "SELECT id, coalesce(patient_id, ''), data FROM users ORDER BY seq");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString(), patient = q.getColumn(1).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::User>(q.getColumn(2), table));
        RETURN_IF_ERROR(txn.InsertUser(id, patient, m));
        out.push_back(Row().Add(id).Add(patient).Add(m).Take());
      }
    } else if (table == "programs") {
      SQLite::Statement q(db_, "SELECT id, patient_id, data FROM programs ORDER BY seq");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::Program>(q.getColumn(2), table));
        RETURN_IF_ERROR(txn.InsertProgram(id, q.getColumn(1).getString(), m));
        out.push_back(Row().Add(id).Add(q.getColumn(1).getString()).Add(m).Take());
        programs_.emplace_back(id, q.getColumn(1).getString());
      }
    } else if (table == "sessions" || table == "check_ins" || table == "outcomes") {
      SQLite::Statement q(
          db_, absl::StrCat("SELECT id, program_id, data FROM ", table, " ORDER BY seq"));
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString(), program = q.getColumn(1).getString();
        if (table == "sessions") {
          ASSIGN_OR_RETURN(auto m, Parse<v1::Session>(q.getColumn(2), table));
          RETURN_IF_ERROR(txn.InsertSession(id, program, m));
          out.push_back(Row().Add(program).Add(m).Take());
        } else if (table == "check_ins") {
          ASSIGN_OR_RETURN(auto m, Parse<v1::MorningCheckIn>(q.getColumn(2), table));
          RETURN_IF_ERROR(txn.InsertCheckIn(id, program, m));
          out.push_back(Row().Add(program).Add(m).Take());
        } else {
          ASSIGN_OR_RETURN(auto m, Parse<v1::Outcome>(q.getColumn(2), table));
          RETURN_IF_ERROR(txn.InsertOutcome(id, program, m));
          out.push_back(Row().Add(program).Add(m).Take());
        }
      }
    } else if (table == "alerts") {
      SQLite::Statement q(
          db_, "SELECT id, program_id, patient_id, clinic, data FROM alerts ORDER BY seq");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::Alert>(q.getColumn(4), table));
        RETURN_IF_ERROR(txn.InsertAlert(id, q.getColumn(1).getString(), q.getColumn(2).getString(),
                                        q.getColumn(3).getString(), m));
        out.push_back(Row().Add(id).Add(m).Take());
      }
    } else if (table == "tokens") {
      SQLite::Statement q(
          db_, "SELECT id, user_id, secret_hash, parent_id, data FROM tokens ORDER BY seq");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString(), user = q.getColumn(1).getString(),
                          hash = q.getColumn(2).getString(), parent = q.getColumn(3).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::Token>(q.getColumn(4), table));
        RETURN_IF_ERROR(txn.InsertToken(id, user, hash, m, parent));
        out.push_back(Row().Add(id).Add(user).Add(hash).Add(parent).Add(m).Take());
        tokens_.emplace_back(id, hash);
      }
    } else if (table == "enrollment_codes") {
      SQLite::Statement q(db_,
                          "SELECT code_hash, patient_id, expire_unix, used FROM enrollment_codes "
                          "ORDER BY code_hash");
      while (q.executeStep()) {
        const std::string hash = q.getColumn(0).getString(), patient = q.getColumn(1).getString();
        const int64_t expire = q.getColumn(2).getInt64();
        const bool used = q.getColumn(3).getInt() != 0;
        RETURN_IF_ERROR(txn.InsertEnrollmentCode(hash, patient, expire));
        if (used) {
          ASSIGN_OR_RETURN(auto consumed, txn.ConsumeEnrollmentCode(hash, expire - 1));
          if (consumed != patient) {
            return absl::InternalError("target: a used enrollment code could not be marked");
          }
        }
        out.push_back(Row().Add(hash).Add(used ? "" : patient).Take());
        codes_.emplace_back(hash, expire);
      }
    } else if (table == "assignments") {
      std::map<std::string, std::vector<std::string>> by_patient;
      SQLite::Statement q(db_, "SELECT patient_id, user_id FROM assignments");
      while (q.executeStep()) {
        by_patient[q.getColumn(0).getString()].push_back(q.getColumn(1).getString());
        out.push_back(Row().Add(q.getColumn(0).getString()).Add(q.getColumn(1).getString()).Take());
      }
      for (auto& [patient, users] : by_patient) {
        RETURN_IF_ERROR(txn.SetAssignments(patient, users));
        for (const std::string& user : users) assignments_.emplace_back(patient, user);
      }
    } else if (table == "audit") {
      SQLite::Statement q(db_, "SELECT id, clinic, patient_id, data FROM audit ORDER BY seq");
      while (q.executeStep()) {
        const std::string clinic = q.getColumn(1).getString();
        ASSIGN_OR_RETURN(auto m, Parse<v1::AuditEntry>(q.getColumn(3), table));
        RETURN_IF_ERROR(
            txn.InsertAudit(q.getColumn(0).getString(), clinic, q.getColumn(2).getString(), m));
        out.push_back(Row().Add(clinic).Add(m).Take());
        audit_clinics_.insert(clinic);
      }
    } else if (table == "requests") {
      SQLite::Statement q(db_, "SELECT scope, request_id, response, digest FROM requests");
      while (q.executeStep()) {
        const std::string scope = q.getColumn(0).getString(), id = q.getColumn(1).getString(),
                          response = q.getColumn(2).getString(),
                          digest = q.getColumn(3).getString();
        RETURN_IF_ERROR(txn.PutRequestResult(scope, id, response, digest));
        out.push_back(Row().Add(scope).Add(id).Add(response).Add(digest).Take());
        requests_.emplace_back(scope, id);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadTable(Txn& txn, const std::string& table, std::vector<std::string>& out) {
    auto by_id = [&](const std::string& table_name, auto get) -> absl::Status {
      SQLite::Statement q(db_, absl::StrCat("SELECT id FROM ", table_name));
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString();
        ASSIGN_OR_RETURN(auto m, get(id));
        out.push_back(Row().Add(id).Add(m).Take());
      }
      return absl::OkStatus();
    };
    if (table == "clinics") {
      return by_id(table, [&](const std::string& id) { return txn.GetClinic(id); });
    } else if (table == "protocols") {
      return by_id(table, [&](const std::string& id) { return txn.GetProtocol(id); });
    } else if (table == "patients") {
      return by_id(table, [&](const std::string& id) { return txn.GetPatient(id); });
    } else if (table == "decisions") {
      return by_id(table, [&](const std::string& id) { return txn.GetDecision(id); });
    } else if (table == "alerts") {
      return by_id(table, [&](const std::string& id) { return txn.GetAlert(id); });
    } else if (table == "users") {
      SQLite::Statement q(db_, "SELECT id, coalesce(patient_id, '') FROM users");
      while (q.executeStep()) {
        const std::string id = q.getColumn(0).getString(), patient = q.getColumn(1).getString();
        ASSIGN_OR_RETURN(v1::User user, txn.GetUser(id));
        std::string found_patient;
        if (!patient.empty()) {
          ASSIGN_OR_RETURN(auto found, txn.FindPatientUser(patient));
          if (found.has_value() && found->name() == user.name()) found_patient = patient;
        }
        out.push_back(Row().Add(id).Add(found_patient).Add(user).Take());
      }
    } else if (table == "programs") {
      for (const auto& [id, patient] : programs_) {
        ASSIGN_OR_RETURN(v1::Program program, txn.GetProgram(id));
        // The patient a program hangs from: found by listing that patient's programs.
        std::string owner;
        RETURN_IF_ERROR(
            ForEachItem([&](PageRequest page) { return txn.ListPrograms(patient, page); },
                        [&](const v1::Program& p) {
                          if (p.name() == program.name()) owner = patient;
                        }));
        out.push_back(Row().Add(id).Add(owner).Add(program).Take());
      }
    } else if (table == "sessions" || table == "check_ins" || table == "outcomes") {
      for (const auto& [program, patient] : programs_) {
        absl::Status s;
        if (table == "sessions") {
          s = ForEachItem(
              [&](PageRequest page) { return txn.ListSessions(program, page); },
              [&](const v1::Session& m) { out.push_back(Row().Add(program).Add(m).Take()); });
        } else if (table == "check_ins") {
          s = ForEachItem([&](PageRequest page) { return txn.ListCheckIns(program, page); },
                          [&](const v1::MorningCheckIn& m) {
                            out.push_back(Row().Add(program).Add(m).Take());
                          });
        } else {
          s = ForEachItem(
              [&](PageRequest page) {
                return txn.ListOutcomes(program, v1::OUTCOME_KIND_UNSPECIFIED, page);
              },
              [&](const v1::Outcome& m) { out.push_back(Row().Add(program).Add(m).Take()); });
        }
        RETURN_IF_ERROR(s);
      }
    } else if (table == "tokens") {
      for (const auto& [id, hash] : tokens_) {
        ASSIGN_OR_RETURN(TokenRecord record, txn.GetToken(id));
        ASSIGN_OR_RETURN(auto by_hash, txn.FindTokenBySecretHash(hash));
        const std::string found_hash = by_hash.has_value() && by_hash->id == id ? hash : "";
        out.push_back(Row()
                          .Add(id)
                          .Add(record.user_id)
                          .Add(found_hash)
                          .Add(record.parent_id)
                          .Add(record.token)
                          .Take());
      }
    } else if (table == "enrollment_codes") {
      // Consumed inside this transaction, which is never committed.
      for (const auto& [hash, expire] : codes_) {
        ASSIGN_OR_RETURN(auto patient, txn.ConsumeEnrollmentCode(hash, expire - 1));
        out.push_back(Row().Add(hash).Add(patient.value_or("")).Take());
      }
    } else if (table == "assignments") {
      for (const auto& [patient, user] : assignments_) {
        ASSIGN_OR_RETURN(bool assigned, txn.IsAssigned(patient, user));
        if (assigned) out.push_back(Row().Add(patient).Add(user).Take());
      }
    } else if (table == "audit") {
      for (const std::string& clinic : audit_clinics_) {
        RETURN_IF_ERROR(ForEachItem(
            [&](PageRequest page) { return txn.ListAudit(clinic, page); },
            [&](const v1::AuditEntry& m) { out.push_back(Row().Add(clinic).Add(m).Take()); }));
      }
    } else if (table == "requests") {
      for (const auto& [scope, id] : requests_) {
        ASSIGN_OR_RETURN(auto stored, txn.GetStoredRequest(scope, id));
        if (stored.has_value()) {
          out.push_back(Row().Add(scope).Add(id).Add(stored->response).Add(stored->digest).Take());
        }
      }
    }
    return absl::OkStatus();
  }

  SQLite::Database& db_;
  Store& target_;
  const std::function<void(const std::string&)>& log_;
  std::map<std::string, Rows> source_;
  // (id, patient id) of each program; (id, hash) of each token; (patient, user); (scope, id).
  std::vector<std::pair<std::string, std::string>> programs_, tokens_, assignments_, requests_;
  std::vector<std::pair<std::string, int64_t>> codes_;
  std::set<std::string> audit_clinics_;
};

}  // namespace

absl::StatusOr<CopyReport> CopySqliteToStore(
    const std::string& sqlite_path, Store& target,
    const std::function<void(const std::string&)>& progress) {
  const std::function<void(const std::string&)> log =
      progress ? progress : [](const std::string&) {};
  std::optional<SQLite::Database> db;
  try {
    db.emplace(sqlite_path, SQLite::OPEN_READONLY);
  } catch (const std::exception& e) {
    return absl::NotFoundError(absl::StrCat("cannot open ", sqlite_path, ": ", e.what()));
  }
  Copier copier(*db, target, log);
  try {
    RETURN_IF_ERROR(copier.CheckTargetEmpty());
    RETURN_IF_ERROR(copier.Copy());
    log("refreshing the target's planner statistics");
    RETURN_IF_ERROR(target.RefreshStatistics());
    ASSIGN_OR_RETURN(auto back, copier.ReadBack());
    CopyReport report;
    std::vector<std::string> differ;
    for (const char* table : kTables) {
      report.source.push_back(copier.source()[table].Summary());
      report.target.push_back(back[table].Summary());
      if (!(report.source.back() == report.target.back())) differ.push_back(table);
    }
    if (!differ.empty()) {
      return absl::DataLossError(
          absl::StrCat("the target differs from the source in: ", absl::StrJoin(differ, ", ")));
    }
    return report;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("reading ", sqlite_path, ": ", e.what()));
  }
}

}  // namespace kneecoach
