// The generic handlers behind services.h: one template for unary methods, one for
// server-streaming methods (callback API; a streaming call has one reactor, as in gRPC's
// route_guide_callback_server.cc). Included by services.h; not for direct use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/impl/service_type.h"
#include "service/core/limits.h"
#include "service/domain/status_macros.h"
#include "service/server/status_util.h"

namespace kneecoach {

// A grpc::Service whose methods are added one by one from the registry (what generated
// service classes do for theirs). gRPC records the service's name from its methods', so
// reflection lists it like any other.
class RegistryService final : public grpc::Service {
 public:
  // Adds `method` (its name must outlive the service) with `handler` (owned).
  void Add(const MethodInfo& method, grpc::internal::MethodHandler* handler) {
    const int index = static_cast<int>(methods_added_++);
    AddMethod(new grpc::internal::RpcServiceMethod(method.full_name.c_str(),
                                                   method.descriptor->server_streaming()
                                                       ? grpc::internal::RpcMethod::SERVER_STREAMING
                                                       : grpc::internal::RpcMethod::NORMAL_RPC,
                                                   nullptr));
    MarkMethodRawCallback(index, handler);
  }

 private:
  size_t methods_added_ = 0;
};

namespace handlers {

// The pool `method` runs on; null for inline.
WorkerPool* PoolFor(const MethodInfo& method, const ServeDeps& deps);

// A call's context and what the handler needs after the use case: authenticates the caller
// (counting failed sign-ins of the peer), checks the request's limits and authorizes it.
struct Admitted {
  std::optional<RequestContext> ctx;
  bool enrollment = false;
  std::string peer;  // set only for enrollment codes
};
absl::Status Admit(const MethodInfo& method, Core& core, grpc::CallbackServerContext* context,
                   const google::protobuf::Message& request, std::string request_id,
                   Admitted& admitted);

// Hex SHA-256 of the method and the request serialized deterministically (idempotency keys
// refuse a request_id reused for another request).
std::string RequestDigest(absl::string_view method, const google::protobuf::Message& request);

// After a failed use case: an enrollment code refused counts as a failed sign-in.
void AfterFailure(Core& core, const MethodInfo& method, const Admitted& admitted,
                  const absl::Status& status, absl::string_view request_id);

absl::Status Overloaded();

// Parses `bytes` into `request` (INVALID_ARGUMENT if it does not parse) and drops the
// fields this server does not know, at every depth, before anything checks or stores it:
// they would pass the size limits unseen and be served back.
template <typename Request>
absl::Status Parse(grpc::ByteBuffer* bytes, Request& request) {
  if (!grpc::SerializationTraits<Request>::Deserialize(bytes, &request).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request is not a valid ", Request::descriptor()->full_name(),
                     " (malformed protobuf or invalid UTF-8 in a string)"));
  }
  request.DiscardUnknownFields();
  return absl::OkStatus();
}

template <typename Response>
absl::Status Encode(const Response& response, grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  grpc::Status s = grpc::SerializationTraits<Response>::Serialize(response, bytes, &own_buffer);
  return s.ok() ? absl::OkStatus() : absl::InternalError(s.error_message());
}

template <typename Message>
absl::Status Encode(const Encoded<Message>& response, grpc::ByteBuffer* bytes) {
  grpc::Slice slice(response.bytes);
  *bytes = grpc::ByteBuffer(&slice, 1);
  return absl::OkStatus();
}

// Admits a call of `method` with `request` and gives its context the request digest.
template <typename Request>
absl::Status AdmitRequest(const MethodInfo& method, Core& core,
                          grpc::CallbackServerContext* context, const Request& request,
                          std::string request_id, Admitted& admitted) {
  RETURN_IF_ERROR(Admit(method, core, context, request, std::move(request_id), admitted));
  // Only a request that can be replayed (it has a request_id, and one is set) is digested:
  // reads pay nothing for idempotency.
  if constexpr (requires { request.request_id(); }) {
    if (!request.request_id().empty()) {
      admitted.ctx->request_digest = RequestDigest(method.full_name, request);
    }
  }
  return absl::OkStatus();
}

// A unary method: parses the request, admits the call, runs the use case where the
// method's rules say and sends the response. The methods are raw (bytes in, bytes out) so
// that a request that does not parse gets INVALID_ARGUMENT saying so: a typed callback
// method answers it with an empty UNIMPLEMENTED.
template <typename Request, typename Response>
class UnaryMethod {
 public:
  using UseCase = std::function<absl::StatusOr<Response>(const RequestContext&, const Request&)>;

  UnaryMethod(const MethodInfo& method, const ServeDeps& deps, UseCase use_case)
      : method_(&method),
        core_(&deps.core),
        pool_(PoolFor(method, deps)),
        use_case_(std::move(use_case)) {}

  // Callback API (docs/performance.md, "Threading model"): inline methods run on the gRPC
  // thread that received the call and finish it at once; the others go to their pool, which
  // finishes them.
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) const {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    std::string id = NewRequestId();
    context->AddTrailingMetadata("x-request-id", id);
    // The request buffer is the call's until the reactor is finished; parsing consumes it.
    auto* request_bytes = const_cast<grpc::ByteBuffer*>(request);
    if (pool_ == nullptr) {
      reactor->Finish(Run(context, request_bytes, response, id));
      return reactor;
    }
    const bool queued = pool_->Submit([this, context, request_bytes, response, reactor, id] {
      reactor->Finish(Run(context, request_bytes, response, id));
    });
    if (!queued) reactor->Finish(ToGrpcStatus(Overloaded(), id, method_->full_name));
    return reactor;
  }

 private:
  grpc::Status Run(grpc::CallbackServerContext* context, grpc::ByteBuffer* request_bytes,
                   grpc::ByteBuffer* response_bytes, const std::string& id) const {
    Admitted admitted;
    absl::Status status = RunUseCase(context, request_bytes, response_bytes, id, admitted);
    if (!status.ok()) AfterFailure(*core_, *method_, admitted, status, id);
    return ToGrpcStatus(status, id, method_->full_name);
  }

  absl::Status RunUseCase(grpc::CallbackServerContext* context, grpc::ByteBuffer* request_bytes,
                          grpc::ByteBuffer* response_bytes, const std::string& id,
                          Admitted& admitted) const {
    Request request;
    RETURN_IF_ERROR(Parse(request_bytes, request));
    RETURN_IF_ERROR(AdmitRequest(*method_, *core_, context, request, id, admitted));
    // Not started for nobody: the caller's deadline passed, or they cancelled, while the
    // call waited in the pool's queue (or was being admitted).
    RETURN_IF_ERROR(admitted.ctx->CheckLive());
    ASSIGN_OR_RETURN(Response response, use_case_(*admitted.ctx, request));
    return Encode(response, response_bytes);
  }

  const MethodInfo* method_;
  Core* core_;
  WorkerPool* pool_;
  UseCase use_case_;
};

// A server-streaming method: one reactor per call, which admits the call and then writes
// the use case's responses one at a time, each after the previous write is done. With a
// pool, each step runs on the pool.
template <typename Request, typename Response>
class StreamingMethod {
 public:
  using UseCase = std::function<absl::StatusOr<ResponseStream<Response>>(const RequestContext&,
                                                                         const Request&)>;

  StreamingMethod(const MethodInfo& method, const ServeDeps& deps, UseCase use_case)
      : method_(&method),
        core_(&deps.core),
        pool_(PoolFor(method, deps)),
        use_case_(std::move(use_case)) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Serve(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request) const {
    return new Reactor(*this, context, const_cast<grpc::ByteBuffer*>(request));
  }

 private:
  class Reactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    Reactor(const StreamingMethod& method, grpc::CallbackServerContext* context,
            grpc::ByteBuffer* request)
        : method_(method), context_(context), request_(request), id_(NewRequestId()) {
      context_->AddTrailingMetadata("x-request-id", id_);
      Dispatch([this] {
        if (absl::Status s = Open(); !s.ok()) return End(s);
        Next();
      });
    }

    void OnWriteDone(bool ok) override {
      if (!ok) return End(absl::CancelledError("the client stopped reading"));
      Dispatch([this] { Next(); });
    }
    void OnDone() override { delete this; }

   private:
    absl::Status Open() {
      Request request;
      RETURN_IF_ERROR(Parse(request_, request));
      RETURN_IF_ERROR(
          AdmitRequest(*method_.method_, *method_.core_, context_, request, id_, admitted_));
      RETURN_IF_ERROR(admitted_.ctx->CheckLive());
      ASSIGN_OR_RETURN(stream_, method_.use_case_(*admitted_.ctx, request));
      return absl::OkStatus();
    }

    void Next() {
      if (absl::Status s = admitted_.ctx->CheckLive(); !s.ok()) return End(s);
      absl::StatusOr<std::optional<Response>> next = stream_();
      if (!next.ok()) return End(next.status());
      if (!next->has_value()) return End(absl::OkStatus());
      if (absl::Status s = Encode(**next, &buffer_); !s.ok()) return End(s);
      StartWrite(&buffer_);
    }

    void End(const absl::Status& status) {
      if (!status.ok()) AfterFailure(*method_.core_, *method_.method_, admitted_, status, id_);
      Finish(ToGrpcStatus(status, id_, method_.method_->full_name));
    }

    template <typename Fn>
    void Dispatch(Fn fn) {
      if (method_.pool_ == nullptr) return fn();
      if (!method_.pool_->Submit(std::move(fn))) End(Overloaded());
    }

    const StreamingMethod& method_;
    grpc::CallbackServerContext* const context_;
    grpc::ByteBuffer* const request_;
    const std::string id_;
    Admitted admitted_;
    ResponseStream<Response> stream_;
    grpc::ByteBuffer buffer_;
  };

  const MethodInfo* method_;
  Core* core_;
  WorkerPool* pool_;
  UseCase use_case_;
};

}  // namespace handlers

template <typename Request, typename Response>
Binding Unary(
    std::function<absl::StatusOr<Response>(const RequestContext&, const Request&)> use_case) {
  return Binding{
      Request::descriptor(), false,
      [use_case = std::move(use_case)](const MethodInfo& method, const ServeDeps& deps,
                                       RegistryService& service) {
        auto served =
            std::make_shared<handlers::UnaryMethod<Request, Response>>(method, deps, use_case);
        service.Add(method,
                    new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                        [served](grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
                          return served->Serve(context, request, response);
                        }));
      }};
}

template <typename Request, typename Response>
Binding ServerStreaming(
    std::function<absl::StatusOr<ResponseStream<Response>>(const RequestContext&, const Request&)>
        use_case) {
  return Binding{
      Request::descriptor(), true,
      [use_case = std::move(use_case)](const MethodInfo& method, const ServeDeps& deps,
                                       RegistryService& service) {
        auto served =
            std::make_shared<handlers::StreamingMethod<Request, Response>>(method, deps, use_case);
        service.Add(
            method,
            new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                [served](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
                  return served->Serve(context, request);
                }));
      }};
}

}  // namespace kneecoach
