#include "service/store/open_store.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kneecoach {

std::string RedactStoreSpec(absl::string_view spec) {
  const size_t scheme = spec.find("://");
  if (scheme == absl::string_view::npos) return std::string(spec);
  const size_t at = spec.find('@', scheme + 3);
  const size_t slash = spec.find('/', scheme + 3);
  if (at == absl::string_view::npos || (slash != absl::string_view::npos && slash < at)) {
    return std::string(spec);
  }
  const size_t colon = spec.find(':', scheme + 3);
  if (colon == absl::string_view::npos || colon > at) return std::string(spec);
  return absl::StrCat(spec.substr(0, colon + 1), "***", spec.substr(at));
}

std::string SqlitePathOf(absl::string_view spec) {
  if (spec == ":memory:") return std::string(spec);
  return absl::ConsumePrefix(&spec, "sqlite:") ? std::string(spec) : "";
}

StoreOptions BulkStoreOptions() {
  StoreOptions options;
  options.postgres.lock_timeout = absl::ZeroDuration();
  options.postgres.statement_timeout = absl::ZeroDuration();
  options.postgres.idle_in_transaction_timeout = absl::ZeroDuration();
  return options;
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
