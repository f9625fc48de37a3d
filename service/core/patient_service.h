// PatientService's use cases. Patient records: creating, reading, updating (assignments included),
// exporting and erasing them.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/patient.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class PatientService : private internal::UseCases {
 public:
  explicit PatientService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::CreatePatientResponse> CreatePatient(const RequestContext& ctx,
                                                          const v1::CreatePatientRequest& r);
  absl::StatusOr<v1::GetPatientResponse> GetPatient(const RequestContext& ctx,
                                                    const v1::GetPatientRequest& r);
  absl::StatusOr<v1::ListPatientsResponse> ListPatients(const RequestContext& ctx,
                                                        const v1::ListPatientsRequest& r);
  absl::StatusOr<v1::UpdatePatientResponse> UpdatePatient(const RequestContext& ctx,
                                                          const v1::UpdatePatientRequest& r);
  absl::StatusOr<v1::ExportPatientDataResponse> ExportPatientData(
      const RequestContext& ctx, const v1::ExportPatientDataRequest& r);
  absl::StatusOr<v1::ErasePatientResponse> ErasePatient(const RequestContext& ctx,
                                                        const v1::ErasePatientRequest& r);
};

}  // namespace kneecoach
