// kneecoach-admin: operations on a kneecoach database that are not API calls.
//
//   kneecoach-admin migrate --from=sqlite:var/kneecoach.db --to=postgresql://host/kneecoach
//
// migrate copies every record of a SQLite database into an empty store (PostgreSQL), in one
// transaction, then reads every record back and compares the row count and a checksum per
// table; it exits 0 only if all are equal. The SQLite file is not changed. The target's
// password comes from libpq's environment or password file (PGPASSFILE, ~/.pgpass), never
// from the command line.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "service/admin/copy_store.h"
#include "service/flags/usage.h"
#include "service/store/open_store.h"

ABSL_FLAG(std::string, from, "", "migrate: the source, sqlite:PATH");
ABSL_FLAG(std::string, to, "", "migrate: the target store, postgresql://... (must be empty)");

int main(int argc, char** argv) {
  std::vector<char*> args = kneecoach::ParseFlags(
      argc, argv,
      "kneecoach-admin migrate --from=sqlite:PATH --to=postgresql://...: moves a clinic "
      "group's records from SQLite into an empty PostgreSQL database and verifies them");
  if (args.size() != 2 || std::string(args[1]) != "migrate") {
    std::fprintf(stderr, "usage: kneecoach-admin migrate --from=sqlite:PATH --to=STORE\n");
    return 2;
  }
  const std::string from = absl::GetFlag(FLAGS_from);
  if (!absl::StartsWith(from, "sqlite:")) {
    std::fprintf(stderr, "kneecoach-admin: --from must be sqlite:PATH\n");
    return 2;
  }
  const std::string to = absl::GetFlag(FLAGS_to);
  if (to.empty()) {
    std::fprintf(stderr, "kneecoach-admin: --to names the target store\n");
    return 2;
  }
  auto target = kneecoach::OpenStore(to, kneecoach::BulkStoreOptions());
  if (!target.ok()) {
    std::fprintf(stderr, "kneecoach-admin: --to: %s\n", target.status().ToString().c_str());
    return 1;
  }
  auto report = kneecoach::CopySqliteToStore(
      std::string(absl::StripPrefix(from, "sqlite:")), **target,
      [](const std::string& line) { std::fprintf(stderr, "kneecoach-admin: %s\n", line.c_str()); });
  if (!report.ok()) {
    std::fprintf(stderr, "kneecoach-admin: migrate failed: %s\n",
                 report.status().ToString().c_str());
    return 1;
  }
  std::printf("| table | rows (source) | rows (target) | SHA-256 (both) |\n|---|---:|---:|---|\n");
  for (size_t i = 0; i < report->source.size(); ++i) {
    const auto& s = report->source[i];
    const auto& t = report->target[i];
    std::printf("| %s | %lld | %lld | %s |\n", s.table.c_str(), static_cast<long long>(s.rows),
                static_cast<long long>(t.rows), s.checksum.substr(0, 16).c_str());
  }
  std::printf("migrate: every table's count and checksum equal; the target is ready\n");
  return 0;
}
