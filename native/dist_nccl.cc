// The NCCL backend of torch.distributed (CUDA tensors): LibTorch's ProcessGroupNCCL, compiled with
// plain g++ against the CUDA and NCCL headers (CMakeLists.txt finds them: the CUDA toolkit's, or the
// pip wheels' next to torch). Communicators are created lazily by the first collective, on the
// device of its tensors, as in PyTorch; each rank must use its own GPU (cuda:LOCAL_RANK).
#include "dist_backend.h"

#ifdef TORCHMIX_GLOO
#include <stdexcept>

#ifdef TORCHMIX_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tmx {

c10::intrusive_ptr<PgBase> makeNcclBackend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, std::chrono::milliseconds timeout) {
#ifdef TORCHMIX_NCCL
  auto o = c10d::ProcessGroupNCCL::Options::create();
  o->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, o);
#else
  throw std::runtime_error("NCCL is not built into this addon");
#endif
}

}  // namespace tmx
#endif
