// The floor for scripts/bench/overhead: the same two workloads as overhead.py and overhead.ts,
// written directly against LibTorch's C++ API. Prints one JSON line.
//
//   overhead [--threads N] [--add-iters N] [--steps N] [--warmup-steps N] [--beta step|once]
//
// (a) per-op: at::add on two 4-element float32 tensors (the result is dropped each iteration).
// (b) one mixup step of a 2→64→64→2 relu MLP, batch 128, plain tensors, λ ~ Beta(1,1) from two
//     standard-gamma draws on the device, partner = randperm, backward, plain SGD under no-grad,
//     grads set to none; no sync point inside the step. --beta step (default) makes the Beta(1,1)
//     concentrations with at::full inside every step (like `Beta(1., 1.).sample()` written inline
//     in Python); --beta once makes them once, before the loop.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

static double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
// Process CPU time (all threads), like overhead.py's time.process_time() and overhead.ts's
// process.cpuUsage(): less sensitive than wall time to other jobs on a shared machine.
static double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Mlp {
  std::vector<at::Tensor> params;  // W1 b1 W2 b2 W3 b3
};

static at::Tensor weight(int64_t out, int64_t in) {
  return (at::randn({out, in}) * (1.0 / std::sqrt(double(in)))).requires_grad_(true);
}

int main(int argc, char** argv) {
  int threads = 1;
  long addIters = 200000, steps = 1000, warmupSteps = 200;
  bool betaPerStep = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--add-iters")) addIters = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps")) steps = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--warmup-steps")) warmupSteps = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--beta") && (!std::strcmp(argv[i + 1], "step") || !std::strcmp(argv[i + 1], "once")))
      betaPerStep = !std::strcmp(argv[i + 1], "step");
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  at::set_num_threads(threads);
  at::manual_seed(0);

  // ---- (a) per-op add -----------------------------------------------------------------------
  at::Tensor a = at::randn({4}), b = at::randn({4});
  for (long i = 0; i < addIters / 4; i++) at::Tensor c = at::add(a, b);  // warm-up
  auto t0 = Clock::now();
  for (long i = 0; i < addIters; i++) at::Tensor c = at::add(a, b);
  auto t1 = Clock::now();
  double addUs = seconds(t0, t1) / double(addIters) * 1e6;

  // ---- (b) mixup step -----------------------------------------------------------------------
  const int64_t B = 128;
  const double lr = 0.05;
  at::Tensor x = at::randn({B, 2});
  at::Tensor y = at::randint(2, {B}, at::kLong);
  std::vector<at::Tensor> P = {weight(64, 2), at::zeros({64}).requires_grad_(true),
                               weight(64, 64), at::zeros({64}).requires_grad_(true),
                               weight(2, 64), at::zeros({2}).requires_grad_(true)};
  at::Tensor conc1 = at::full({}, 1.0), conc0 = at::full({}, 1.0);  // Beta(1, 1), --beta once

  auto step = [&]() {
    at::Tensor c1 = betaPerStep ? at::full({}, 1.0) : conc1;
    at::Tensor c0 = betaPerStep ? at::full({}, 1.0) : conc0;
    at::Tensor g1 = at::_standard_gamma(c1);
    at::Tensor g2 = at::_standard_gamma(c0);
    at::Tensor lam = g1 / (g1 + g2);
    at::Tensor oml = 1 - lam;
    at::Tensor perm = at::randperm(B, at::kLong);
    at::Tensor xm = lam * x + oml * x.index_select(0, perm);
    at::Tensor h = at::relu(at::linear(xm, P[0], P[1]));
    h = at::relu(at::linear(h, P[2], P[3]));
    at::Tensor out = at::linear(h, P[4], P[5]);
    at::Tensor loss = lam * at::cross_entropy_loss(out, y) + oml * at::cross_entropy_loss(out, y.index_select(0, perm));
    loss.backward();
    at::NoGradGuard ng;
    for (auto& p : P) {
      p.sub_(p.grad(), lr);
      p.mutable_grad() = at::Tensor();  // zero_grad(set_to_none=True)
    }
  };
  for (long i = 0; i < warmupSteps; i++) step();
  auto s0 = Clock::now();
  double c0 = cpuSeconds();
  for (long i = 0; i < steps; i++) step();
  double c1 = cpuSeconds();
  auto s1 = Clock::now();
  double stepMs = seconds(s0, s1) / double(steps) * 1e3;
  double stepCpuMs = (c1 - c0) / double(steps) * 1e3;

  // Sanity (outside the timed region): the plain loss after training must be finite.
  double finalLoss;
  {
    at::NoGradGuard ng;
    at::Tensor h = at::relu(at::linear(x, P[0], P[1]));
    h = at::relu(at::linear(h, P[2], P[3]));
    finalLoss = at::cross_entropy_loss(at::linear(h, P[4], P[5]), y).item<double>();
  }

  std::printf(
      "{\"impl\":\"cpp\",\"libtorch\":\"%d.%d.%d\",\"threads\":%d,\"add_us\":%.4f,\"step_ms\":%.4f,"
      "\"step_cpu_ms\":%.4f,\"beta\":\"%s\",\"add_iters\":%ld,\"steps\":%ld,\"final_loss\":%.4f}\n",
      TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH, at::get_num_threads(), addUs, stepMs, stepCpuMs, betaPerStep ? "step" : "once",
      addIters, steps, finalLoss);
  return 0;
}
