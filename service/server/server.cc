#include "service/server/server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/domain/protocol.h"
#include "service/server/services.h"

namespace kneecoach {

absl::StatusOr<std::unique_ptr<KneecoachServer>> KneecoachServer::Start(
    const ServerOptions& options, const Clock& clock) {
  std::unique_ptr<KneecoachServer> s(new KneecoachServer());
  auto library = Library::LoadFromFile(absl::StrCat(options.data_dir, "/library.textproto"));
  if (!library.ok()) return library.status();
  s->library_ = *std::move(library);
  auto protocol = LoadProtocolFromFile(
      absl::StrCat(options.data_dir, "/protocols/default.textproto"), *s->library_);
  if (!protocol.ok()) return protocol.status();

  SqliteStoreOptions store_options;
  store_options.path = options.db_path;
  auto store = SqliteStore::Open(store_options);
  if (!store.ok()) return store.status();
  s->store_ = *std::move(store);
  s->core_ = std::make_unique<Core>(*s->library_, *s->store_, clock, s->ids_, options.core);
  if (absl::Status st = s->core_->SeedProtocol(*protocol); !st.ok()) return st;
  if (options.seed_demo) {
    if (absl::Status st = s->core_->SeedDemo(); !st.ok()) return st;
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &s->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  s->services_ = MakeServices(*s->core_);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  return s;
}

KneecoachServer::~KneecoachServer() { Shutdown(); }

void KneecoachServer::Wait() {
  if (server_) server_->Wait();
}

void KneecoachServer::Shutdown(absl::Duration deadline) {
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
}

}  // namespace kneecoach
