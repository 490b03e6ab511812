// What native/dist.cc and native/dist_nccl.cc share: the c10d backend type both backends derive
// from (Backend on 2.x, ProcessGroup on 1.13) and the NCCL factory.
#pragma once
#include <torch/version.h>

#ifdef TORCHMIX_NCCL
#define TORCHMIX_HAS_NCCL 1
#else
#define TORCHMIX_HAS_NCCL 0
#endif

#ifdef TORCHMIX_GLOO
#include <torch/csrc/distributed/c10d/Store.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

#include <chrono>

namespace tmx {
#if TORCH_VERSION_MAJOR >= 2
using PgBase = c10d::Backend;
#else
using PgBase = c10d::ProcessGroup;
#endif

// ProcessGroupNCCL over the rendezvous' store; throws where the addon was built without NCCL.
c10::intrusive_ptr<PgBase> makeNcclBackend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size, std::chrono::milliseconds timeout);
}  // namespace tmx
#endif
