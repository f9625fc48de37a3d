#include "service/store/open_store.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kneecoach {

std::string SqlitePathOf(absl::string_view spec) {
  if (spec == ":memory:") return std::string(spec);
  return absl::ConsumePrefix(&spec, "sqlite:") ? std::string(spec) : "";
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view spec,
                                                 const StoreOptions& options) {
  if (absl::StartsWith(spec, "postgresql://") || absl::StartsWith(spec, "postgres://")) {
    PostgresStoreOptions postgres = options.postgres;
    postgres.conninfo = std::string(spec);
    auto store = PostgresStore::Open(postgres);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }
  const std::string path = SqlitePathOf(spec);
  if (path.empty() && spec != "sqlite:") {
    return absl::InvalidArgumentError(
        absl::StrCat("--store: \"", spec,
                     "\" names no known store; use sqlite:PATH (e.g. sqlite:var/kneecoach.db), "
                     "sqlite::memory: or postgresql://HOST/DATABASE"));
  }
  if (path.empty()) {
    return absl::InvalidArgumentError("--store: sqlite: needs a database path (sqlite:PATH)");
  }
  SqliteStoreOptions sqlite = options.sqlite;
  sqlite.path = path;
  auto store = SqliteStore::Open(sqlite);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

}  // namespace kneecoach
