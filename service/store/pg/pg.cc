#include "service/store/pg/pg.h"

#include <libpq-fe.h>

#include <cstring>
#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kneecoach::pg {
namespace {

// Oids of the built-in types we send (pg_type.h).
constexpr unsigned int kBoolOid = 16;
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;

const char* PlainMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kAborted:
      return "database: conflict with a concurrent write; retry";
    case absl::StatusCode::kAlreadyExists:
      return "database: record already exists";
    case absl::StatusCode::kFailedPrecondition:
      return "database: write refused (a related record is missing, or the database is "
             "read-only)";
    case absl::StatusCode::kUnavailable:
      return "database: unavailable; retry";
    case absl::StatusCode::kResourceExhausted:
      return "database: out of space or resources";
    case absl::StatusCode::kDeadlineExceeded:
      return "database: statement cancelled";
    default:
      return "database: internal error";
  }
}

}  // namespace

absl::StatusCode CodeForSqlState(absl::string_view s) {
  if (s.size() != 5) return absl::StatusCode::kUnavailable;  // no server answer
  if (s == "40001" || s == "40P01") return absl::StatusCode::kAborted;
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (absl::StartsWith(s, "23")) return absl::StatusCode::kFailedPrecondition;
  if (absl::StartsWith(s, "08")) return absl::StatusCode::kUnavailable;
  if (s == "57P01" || s == "57P02" || s == "57P03") return absl::StatusCode::kUnavailable;
  if (s == "53300") return absl::StatusCode::kUnavailable;  // too many connections
  if (absl::StartsWith(s, "53")) return absl::StatusCode::kResourceExhausted;
  if (s == "25006") return absl::StatusCode::kFailedPrecondition;
  if (s == "57014") return absl::StatusCode::kDeadlineExceeded;
  if (s == "55P03") return absl::StatusCode::kUnavailable;  // lock_timeout
  return absl::StatusCode::kInternal;
}

absl::Status ErrorForSqlState(absl::string_view sqlstate, absl::string_view detail) {
  const absl::StatusCode code = CodeForSqlState(sqlstate);
  absl::Status status(code, PlainMessage(code));
  status.SetPayload(kPgDetailUrl,
                    absl::Cord(absl::StrCat(sqlstate.empty() ? "-----" : sqlstate, ": ", detail)));
  return status;
}

Param Param::Text(absl::string_view s) { return Param(kTextOid, std::string(s)); }
Param Param::Bytes(absl::string_view s) { return Param(kByteaOid, std::string(s)); }
Param Param::Int(int64_t v) {
  std::string bytes(8, '\0');
  absl::big_endian::Store64(bytes.data(), static_cast<uint64_t>(v));
  return Param(kInt8Oid, std::move(bytes));
}
Param Param::Bool(bool v) { return Param(kBoolOid, std::string(1, v ? '\1' : '\0')); }

void Result::Free::operator()(PGresult* r) const { PQclear(r); }

int Result::rows() const { return result_ ? PQntuples(result_.get()) : 0; }

int64_t Result::affected() const {
  if (!result_) return 0;
  int64_t n = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_.get()), &n) ? n : 0;
}

bool Result::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::String(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     PQgetlength(result_.get(), row, column));
}

int64_t Result::Int(int row, int column) const {
  const char* v = PQgetvalue(result_.get(), row, column);
  switch (PQgetlength(result_.get(), row, column)) {
    case 8:
      return static_cast<int64_t>(absl::big_endian::Load64(v));
    case 4:
      return static_cast<int32_t>(absl::big_endian::Load32(v));
    case 2:
      return static_cast<int16_t>(absl::big_endian::Load16(v));
    default:
      return 0;
  }
}

bool Result::Bool(int row, int column) const {
  return PQgetlength(result_.get(), row, column) == 1 && PQgetvalue(result_.get(), row, column)[0];
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return absl::ResourceExhaustedError("database: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = ErrorForSqlState("", PQerrorMessage(conn));
    PQfinish(conn);
    return status;
  }
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::ok() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool Connection::InTransaction() const {
  const PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int Connection::backend_pid() const { return PQbackendPID(conn_); }

absl::Status Connection::Reset() {
  prepared_.clear();
  PQreset(conn_);
  broken_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) return ErrorForSqlState("", PQerrorMessage(conn_));
  return absl::OkStatus();
}

absl::Status Connection::Failure(PGresult* result) const {
  // A lost connection leaves no SQLSTATE on the result (or no result at all).
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (sqlstate == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return ErrorForSqlState("", PQerrorMessage(conn_));
  }
  return ErrorForSqlState(sqlstate, PQresultErrorMessage(result));
}

absl::Status Connection::Exec(const std::string& sql) {
  PGresult* raw = PQexec(conn_, sql.c_str());
  Result result(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(raw);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Connection::Prepared(const std::string& sql,
                                                 const std::vector<Param>& params) {
  auto found = prepared_.find(sql);
  if (found != prepared_.end()) return found->second;
  std::string name = absl::StrCat("k", next_name_++);
  std::vector<unsigned int> types;
  types.reserve(params.size());
  for (const Param& p : params) types.push_back(p.oid());
  PGresult* raw = PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(params.size()),
                            types.empty() ? nullptr : types.data());
  Result result(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_COMMAND_OK) return Failure(raw);
  prepared_.emplace(sql, name);
  return name;
}

namespace {

// `params` as libpq's parallel arrays, every value in binary format.
struct BinaryParams {
  explicit BinaryParams(const std::vector<Param>& params) : formats(params.size(), 1) {
    values.reserve(params.size());
    lengths.reserve(params.size());
    for (const Param& p : params) {
      values.push_back(p.bytes().data());
      lengths.push_back(static_cast<int>(p.bytes().size()));
    }
  }
  int count() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

absl::StatusOr<Result> Connection::Run(const std::string& sql, const std::vector<Param>& params) {
  absl::StatusOr<std::string> name = Prepared(sql, params);
  if (!name.ok()) return name.status();
  const BinaryParams binary(params);
  PGresult* raw = PQexecPrepared(conn_, name->c_str(), binary.count(), binary.values.data(),
                                 binary.lengths.data(), binary.formats.data(), /*resultFormat=*/1);
  Result result(raw);
  const ExecStatusType status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure(raw);
  return result;
}

absl::StatusOr<std::vector<Result>> Connection::RunAll(const std::vector<Statement>& statements) {
  // Statements new to this session are prepared first, one round trip each (once).
  std::vector<std::string> names;
  names.reserve(statements.size());
  for (const Statement& s : statements) {
    absl::StatusOr<std::string> name = Prepared(s.sql, s.params);
    if (!name.ok()) return name.status();
    names.push_back(*std::move(name));
  }
  if (PQenterPipelineMode(conn_) != 1) return Failure(nullptr);
  absl::Status failure;
  size_t sent = 0;
  for (size_t i = 0; i < statements.size(); ++i) {
    const BinaryParams binary(statements[i].params);
    if (PQsendQueryPrepared(conn_, names[i].c_str(), binary.count(), binary.values.data(),
                            binary.lengths.data(), binary.formats.data(),
                            /*resultFormat=*/1) != 1) {
      failure = Failure(nullptr);
      break;
    }
    ++sent;
  }
  if (PQpipelineSync(conn_) != 1 && failure.ok()) failure = Failure(nullptr);
  // Each statement sent gives one result (PGRES_PIPELINE_ABORTED once one has failed) and then
  // NULL; the sync gives PGRES_PIPELINE_SYNC.
  std::vector<Result> results;
  results.reserve(sent);
  bool lost = false;
  for (size_t i = 0; i < sent && !lost; ++i) {
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) {
      if (failure.ok()) failure = Failure(nullptr);
      lost = true;
      break;
    }
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      results.push_back(std::move(result));
    } else if (status != PGRES_PIPELINE_ABORTED && failure.ok()) {
      failure = Failure(raw);
    }
    while (PGresult* rest = PQgetResult(conn_)) {  // up to the NULL that ends this statement
      const bool sync = PQresultStatus(rest) == PGRES_PIPELINE_SYNC;
      PQclear(rest);
      if (sync) {  // the connection failed: nothing more will come
        lost = true;
        break;
      }
    }
  }
  if (!lost) {
    PGresult* sync = PQgetResult(conn_);
    if (sync == nullptr || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) lost = true;
    PQclear(sync);
  }
  if (lost || PQexitPipelineMode(conn_) != 1) {
    // The session's state is unknown: it is reset before the pool hands it out again.
    broken_ = true;
    if (failure.ok()) failure = Failure(nullptr);
  }
  if (!failure.ok()) return failure;
  return results;
}

}  // namespace kneecoach::pg
