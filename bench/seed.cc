// kneecoach-seed: builds a large kneecoach database quickly, for the benchmark.
//
//   kneecoach-seed --db=var/bench/big.db --patients=100000 --sessions_per_patient=10
//
// Writes through the Store (so the schema and records are exactly the server's), but in
// big transactions rather than one per request. Patient i is "patients/bench-p{i}" with
// program "programs/bench-g{i}" (the default protocol's settle phase), started on a day
// spread over the last --days days; its sessions (every prescription done, pain 2/10) and
// next-morning check-ins follow every other day from the start. With --request_records,
// each session also leaves what a real report leaves beside it: the idempotency record of
// its ReportSession (the response, replayed on a retry) and the audit entry. Decisions are
// not made (the engine does not run). kneecoach-bench picks programs by those names.
// Refuses to write into an existing file.
#include <cstdio>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/core.h"
#include "service/domain/dates.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"
#include "service/domain/schedule.h"
#include "service/flags/usage.h"
#include "service/store/open_store.h"
#include "service/store/sqlite_store.h"

ABSL_FLAG(std::string, db, "var/bench/seed.db", "database file to create");
ABSL_FLAG(std::string, store, "",
          "instead of --db: the store to fill (postgresql://...: an empty database; "
          "sqlite:PATH as --db)");
ABSL_FLAG(std::string, data_dir, KNEECOACH_DEFAULT_DATA_DIR, "library and protocol folder");
ABSL_FLAG(int, patients, 1000, "patients, each with one program");
ABSL_FLAG(int, sessions_per_patient, 10, "reported sessions per program");
ABSL_FLAG(bool, check_ins, true, "a morning check-in after every session");
ABSL_FLAG(int, days, 365, "programs start spread over this many past days");
ABSL_FLAG(bool, request_records, true,
          "store each session's idempotency record and audit entry, as a real report does");
ABSL_FLAG(int, batch, 5000, "patients per transaction");
ABSL_FLAG(std::string, clinic, "bench",
          "every patient's clinic (\"clinics/{clinic}\"): bootstrap an admin of it for a token");

namespace kneecoach {
namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* kZones[] = {"Europe/London",    "America/New_York",    "Europe/Berlin",
                                  "Australia/Sydney", "America/Los_Angeles", "Asia/Tokyo"};

google::protobuf::Timestamp At(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// A session reporting every prescription due on `day` as done at pain 2/10.
v1::Session ReportedSession(const v1::Program& program, const Library& library, absl::CivilDay day,
                            absl::TimeZone zone, const std::string& id) {
  const v1::Session plan = PlanSession(program, library, {}, day, v1::TRAFFIC_LIGHT_UNSPECIFIED);
  v1::Session s;
  s.set_name(absl::StrCat(program.name(), "/sessions/", id));
  s.set_program(program.name());
  s.set_local_date(FormatLocalDate(day));
  s.set_state(v1::SESSION_STATE_REPORTED);
  const absl::Time when = absl::FromCivil(absl::CivilHour(day) + 18, zone);
  *s.mutable_perform_time() = At(when);
  *s.mutable_create_time() = At(when);
  s.set_traffic_light(v1::TRAFFIC_LIGHT_GREEN);
  for (const auto& item : plan.items()) {
    v1::ExerciseReport* r = s.add_reports();
    r->set_prescription(item.prescription());
    r->set_exercise(item.exercise());
    *r->mutable_prescribed_dose() = item.dose();
    r->set_sets_done(item.dose().sets());
    r->set_reps_done(item.dose().reps());
    r->set_pain_during(2);
    r->set_pain_after_1h(2);
    r->set_traffic_light(v1::TRAFFIC_LIGHT_GREEN);
  }
  return s;
}

absl::Status Seed() {
  const std::string path = absl::GetFlag(FLAGS_db);
  const std::string spec = absl::GetFlag(FLAGS_store);
  if (spec.empty() && std::filesystem::exists(path)) {
    return absl::AlreadyExistsError(absl::StrCat(path, " exists; remove it first"));
  }
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  auto library = Library::LoadFromFile(absl::StrCat(data_dir, "/library.textproto"));
  if (!library.ok()) return library.status();
  auto protocol =
      LoadProtocolFromFile(absl::StrCat(data_dir, "/protocols/default.textproto"), **library);
  if (!protocol.ok()) return protocol.status();
  auto store = OpenStore(spec.empty() ? absl::StrCat("sqlite:", path) : spec, BulkStoreOptions());
  if (!store.ok()) return store.status();
  SystemClock clock;
  RandomIdGenerator ids;
  Core core(**library, **store, clock, ids);
  if (absl::Status s = core.SeedProtocol(RequestContext::System("seed"), *protocol); !s.ok())
    return s;
  v1::Protocol stored = *protocol;
  stored.set_name(absl::StrCat("protocols/", protocol->id()));

  const int patients = absl::GetFlag(FLAGS_patients);
  const int per_patient = absl::GetFlag(FLAGS_sessions_per_patient);
  const int days = std::max(absl::GetFlag(FLAGS_days), 2 * per_patient + 1);
  const bool check_ins = absl::GetFlag(FLAGS_check_ins);
  const bool request_records = absl::GetFlag(FLAGS_request_records);
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));
  const absl::Time now = absl::Now();
  absl::BitGen bits;
  int64_t sessions = 0;
  for (int first = 0; first < patients; first += batch) {
    auto txn = (*store)->Begin(/*write=*/true);
    if (!txn.ok()) return txn.status();
    for (int i = first; i < std::min(patients, first + batch); ++i) {
      const std::string patient_id = absl::StrCat("bench-p", i);
      const std::string program_id = absl::StrCat("bench-g", i);
      const char* zone_name = kZones[i % (sizeof(kZones) / sizeof(kZones[0]))];
      absl::TimeZone zone;
      absl::LoadTimeZone(zone_name, &zone);
      const absl::CivilDay today = LocalDateAt(now, zone);
      // Room for every session every other day before today.
      const absl::CivilDay start = today - absl::Uniform(bits, 2 * per_patient + 1, days + 1);
      v1::Patient patient;
      patient.set_name(absl::StrCat("patients/", patient_id));
      patient.set_display_name(absl::StrCat("Bench Runner ", i));
      patient.set_clinic(absl::StrCat("clinics/", absl::GetFlag(FLAGS_clinic)));
      patient.set_time_zone(zone_name);
      patient.add_affected_sides(i % 2 ? v1::KNEE_SIDE_LEFT : v1::KNEE_SIDE_RIGHT);
      patient.set_active_program(absl::StrCat("programs/", program_id));
      *patient.mutable_create_time() = At(absl::FromCivil(start, zone));
      v1::Program requested;
      requested.set_patient(patient.name());
      auto program =
          NewProgram(requested, stored, **library, absl::StrCat("programs/", program_id), start);
      if (!program.ok()) return program.status();
      *program->mutable_create_time() = patient.create_time();
      *program->mutable_update_time() = patient.create_time();
      if (absl::Status s = (*txn)->InsertPatient(patient_id, patient); !s.ok()) return s;
      if (absl::Status s = (*txn)->InsertProgram(program_id, patient_id, *program); !s.ok()) {
        return s;
      }
      for (int k = 0; k < per_patient; ++k) {
        const absl::CivilDay day = start + 2 * k;
        const std::string session_id = absl::StrCat("bench-s", i, "-", k);
        v1::Session session = ReportedSession(*program, **library, day, zone, session_id);
        if (absl::Status s = (*txn)->InsertSession(session_id, program_id, session); !s.ok()) {
          return s;
        }
        ++sessions;
        if (request_records) {
          const std::string request_id = absl::StrCat("bench-r", i, "-", k);
          v1::ReportSessionResponse response;
          *response.mutable_session() = session;
          if (absl::Status s = (*txn)->PutRequestResult(  // keyed as InWrite keys a phone's report
                  absl::StrCat(patient.clinic(), "|users/bench-u", i,
                               "|ReportSession:", program->name()),
                  request_id, response.SerializeAsString());
              !s.ok()) {
            return s;
          }
          const std::string audit_id = absl::StrCat("bench-a", i, "-", k);
          v1::AuditEntry entry;
          entry.set_name(absl::StrCat(patient.clinic(), "/auditEntries/", audit_id));
          *entry.mutable_time() = session.create_time();
          entry.set_actor(absl::StrCat("users/bench-u", i));
          entry.set_actor_role(v1::ROLE_PATIENT);
          entry.set_method("/kneecoach.v1.SessionService/ReportSession");
          entry.set_resource(program->name());
          entry.set_request_id(request_id);
          entry.set_summary("ReportSession");
          if (absl::Status s = (*txn)->InsertAudit(audit_id, patient.clinic(), patient_id, entry);
              !s.ok()) {
            return s;
          }
        }
        if (!check_ins) continue;
        const std::string check_in_id = absl::StrCat("bench-c", i, "-", k);
        v1::MorningCheckIn c;
        c.set_name(absl::StrCat(program->name(), "/checkIns/", check_in_id));
        c.set_program(program->name());
        c.set_local_date(FormatLocalDate(day + 1));
        c.set_morning_pain(1);
        c.set_traffic_light(v1::TRAFFIC_LIGHT_GREEN);
        *c.mutable_create_time() = At(absl::FromCivil(absl::CivilHour(day + 1) + 8, zone));
        if (absl::Status s = (*txn)->InsertCheckIn(check_in_id, program_id, c); !s.ok()) {
          return s;
        }
      }
    }
    if (absl::Status s = (*txn)->Commit(); !s.ok()) return s;
    std::fprintf(stderr, "\rkneecoach-seed: %d/%d patients, %lld sessions",
                 std::min(patients, first + batch), patients, static_cast<long long>(sessions));
  }
  std::fprintf(stderr, "\n");
  if (absl::Status s = (*store)->RefreshStatistics(); !s.ok()) return s;
  std::printf("kneecoach-seed: %s: %d patients, %lld sessions in %.1f s\n", path.c_str(), patients,
              static_cast<long long>(sessions), absl::ToDoubleSeconds(absl::Now() - now));
  return absl::OkStatus();
}

}  // namespace
}  // namespace kneecoach

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "Builds a large kneecoach database for kneecoach-bench.\n"
                        "Usage: kneecoach-seed --db=PATH [flags]");
  absl::Status s = kneecoach::Seed();
  if (!s.ok()) {
    std::fprintf(stderr, "kneecoach-seed: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
