#include "service/server/reflection.h"

#include <algorithm>
#include <functional>
#include <set>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/impl/server_initializer.h"
#include "service/server/status_util.h"

namespace kneecoach {
namespace {

namespace rpb = ::grpc::reflection::v1alpha;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

// `file` and everything it imports, each once, dependencies first.
void AddWithDependencies(const FileDescriptor* file, std::set<std::string>& seen,
                         rpb::FileDescriptorResponse& out) {
  if (file == nullptr || !seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddWithDependencies(file->dependency(i), seen, out);
  }
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out.add_file_descriptor_proto(proto.SerializeAsString());
}

void Answer(const rpb::ServerReflectionRequest& request, const std::vector<std::string>& services,
            rpb::ServerReflectionResponse& response) {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  const FileDescriptor* file = nullptr;
  std::set<std::string> seen;
  switch (request.message_request_case()) {
    case rpb::ServerReflectionRequest::kListServices:
      for (const auto& name : services) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      return;
    case rpb::ServerReflectionRequest::kFileByFilename:
      file = pool->FindFileByName(request.file_by_filename());
      break;
    case rpb::ServerReflectionRequest::kFileContainingSymbol:
      file = pool->FindFileContainingSymbol(request.file_containing_symbol());
      break;
    case rpb::ServerReflectionRequest::kFileContainingExtension: {
      const auto* type =
          pool->FindMessageTypeByName(request.file_containing_extension().containing_type());
      const auto* extension =
          type == nullptr ? nullptr
                          : pool->FindExtensionByNumber(
                                type, request.file_containing_extension().extension_number());
      file = extension == nullptr ? nullptr : extension->file();
      break;
    }
    case rpb::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const auto* type = pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type != nullptr) {
        auto* numbers = response.mutable_all_extension_numbers_response();
        numbers->set_base_type_name(type->full_name());
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);  // (kneecoach.v1.method_rules)
        for (const auto* extension : extensions) numbers->add_extension_number(extension->number());
        return;
      }
      break;
    }
    default:
      response.mutable_error_response()->set_error_code(grpc::StatusCode::INVALID_ARGUMENT);
      response.mutable_error_response()->set_error_message("unknown reflection request");
      return;
  }
  if (file == nullptr) {
    response.mutable_error_response()->set_error_code(grpc::StatusCode::NOT_FOUND);
    response.mutable_error_response()->set_error_message("not found");
    return;
  }
  AddWithDependencies(file, seen, *response.mutable_file_descriptor_response());
}

// Reads the names of the registered services from gRPC once the server is built, the way
// gRPC's own reflection plugin does (ServerInitializer::GetServiceList).
class ServiceListPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceListPlugin(std::function<void(std::vector<std::string>)> sink)
      : sink_(std::move(sink)) {}
  std::string name() override { return "kneecoach_service_list"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override {
    const std::vector<std::string>* names = si->GetServiceList();
    sink_(names == nullptr ? std::vector<std::string>() : *names);
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::function<void(std::vector<std::string>)> sink_;
};

class ServiceListOption final : public grpc::ServerBuilderOption {
 public:
  explicit ServiceListOption(std::function<void(std::vector<std::string>)> sink)
      : sink_(std::move(sink)) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ServiceListPlugin>(sink_));
  }

 private:
  std::function<void(std::vector<std::string>)> sink_;
};

}  // namespace

ReflectionService::ReflectionService(Core& core) : core_(core) {}

std::unique_ptr<grpc::ServerBuilderOption> ReflectionService::ListServedServices() {
  return std::make_unique<ServiceListOption>(
      [this](std::vector<std::string> names) { SetServices(std::move(names)); });
}

void ReflectionService::SetServices(std::vector<std::string> services) {
  std::sort(services.begin(), services.end());
  services.erase(std::unique(services.begin(), services.end()), services.end());
  absl::MutexLock lock(&mu_);
  services_ = std::move(services);
}

std::vector<std::string> ReflectionService::services() const {
  absl::MutexLock lock(&mu_);
  return services_;
}

grpc::Status ReflectionService::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<rpb::ServerReflectionResponse, rpb::ServerReflectionRequest>* stream) {
  auto header = context->client_metadata().find("authorization");
  const std::string authorization = header == context->client_metadata().end()
                                        ? ""
                                        : std::string(header->second.data(), header->second.size());
  auto caller = core_.Authenticate(authorization);
  if (!caller.ok()) return ToGrpcStatus(caller.status(), NewRequestId(), "reflection");
  if (!caller->enrollment_code.empty()) {
    return grpc::Status(grpc::PERMISSION_DENIED, "reflection needs a token");
  }
  const std::vector<std::string> services = this->services();
  rpb::ServerReflectionRequest request;
  while (stream->Read(&request)) {
    rpb::ServerReflectionResponse response;
    Answer(request, services, response);
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

}  // namespace kneecoach
