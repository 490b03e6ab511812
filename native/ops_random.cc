#include "ops.h"
#include <ATen/CPUGeneratorImpl.h>

namespace tmx {

namespace {
const napi_type_tag kGeneratorTag = {0x746f7263686d6978ULL, 0x67656e657261746fULL};
at::Generator& generatorArg(Ctx& c, size_t i) {
  Napi::Value v = c.info[i];
  if (!v.IsExternal() || !v.As<Napi::External<at::Generator>>().CheckTypeTag(&kGeneratorTag))
    throw ArgError(ErrorKind::Type, "expected a torch.Generator");
  return *v.As<Napi::External<at::Generator>>().Data();
}
}  // namespace

void registerRandom(Instance& inst, Napi::Env env) {
  DEF("manualSeed", {
    // Seeds the CPU generator and, when present, every CUDA generator.
    double s = c.num(0);
    if (!(s >= 0) || s != double(uint64_t(s))) throw ArgError(ErrorKind::Value, "manualSeed: seed must be a non-negative integer");
    at::manual_seed(uint64_t(s));
    return c.undef();
  })
  DEF("rand", return c.ret(torch::rand(c.ints(0), c.options(1)));)
  DEF("randn", return c.ret(torch::randn(c.ints(0), c.options(1)));)
  DEF("randint", return c.ret(torch::randint(c.i64(0), c.i64(1), c.ints(2), c.options(3)));)
  DEF("randperm", return c.ret(torch::randperm(c.i64(0), c.options(1)));)
  DEF("randLike", return c.ret(torch::rand_like(T(0), c.options(1)));)
  DEF("randnLike", return c.ret(torch::randn_like(T(0), c.options(1)));)
  DEF("bernoulli", return c.ret(at::bernoulli(T(0)));)  // probabilities tensor
  DEF("bernoulliP", return c.ret(at::bernoulli(T(0), c.num(1)));)
  DEF("multinomial", return c.ret(at::multinomial(T(0), c.i64(1), c.b(2)));)
  // Gamma(concentration, 1) per element; differentiable w.r.t. the concentration.
  DEF("standardGamma", return c.ret(at::_standard_gamma(T(0)));)
  // Beta(a, b) for same-shape concentrations, in one call (mixup draws it every step). Without gradients: torch.distributions.Beta's own
  // draw, a Dirichlet over stack([a, b], -1) (gammas in double, normalised, cast), so λ streams equal
  // PyTorch's bit for bit. With gradients (rsample): the reparameterised ratio of two Gamma draws,
  // since _sample_dirichlet has no derivative in ATen (PyTorch adds one in Python); the clamp keeps
  // the ratio finite when both gammas underflow for tiny concentrations.
  DEF("betaSample", {
    at::Tensor& a = T(0);
    at::Tensor& b = T(1);
    if (!(at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())))
      return c.ret(at::_sample_dirichlet(at::stack({a, b}, -1)).select(-1, 0));
    at::Tensor x = at::_standard_gamma(a);
    at::Tensor y = at::_standard_gamma(b);
    return c.ret(x / (x + y).clamp_min(1e-30));
  })
  // The default CPU generator's state as a uint8 tensor, and back: what a checkpoint needs to
  // resume a run bit-for-bit.
  DEF("getRngState", {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return c.ret(gen.get_state());
  })
  DEF("setRngState", {
    at::Tensor& st = T(0);
    if (st.scalar_type() != at::kByte || st.dim() != 1 || !st.device().is_cpu())
      throw ArgError(ErrorKind::Value, "setRngState: expected a 1-d uint8 CPU tensor from getRngState()");
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(st);
    return c.undef();
  })
  // torch.Generator (CPU): a private generator, as a type-tagged External; randperm can draw from
  // it (DistributedSampler's exact permutation needs randperm(n, generator seeded seed + epoch)).
  DEF("generatorNew", {
    auto* g = new at::Generator(at::make_generator<at::CPUGeneratorImpl>());
    auto ext = Napi::External<at::Generator>::New(c.env, g, [](Napi::Env, at::Generator* p) { delete p; });
    ext.TypeTag(&kGeneratorTag);
    return ext;
  })
  DEF("generatorManualSeed", {
    double s = c.num(1);
    if (!(s >= 0) || s != double(uint64_t(s))) throw ArgError(ErrorKind::Value, "Generator.manualSeed: seed must be a non-negative integer");
    at::Generator& g = generatorArg(c, 0);
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(uint64_t(s));
    return c.undef();
  })
  DEF("generatorInitialSeed", return Napi::Number::New(c.env, double(generatorArg(c, 0).current_seed()));)
  DEF("randpermGen", {
    at::Generator& g = generatorArg(c, 1);  // randperm locks the generator itself
    return c.ret(torch::randperm(c.i64(0), g, c.options(2)));
  })
  DEF("uniform_", T(0).uniform_(c.num(1), c.num(2)); return c.undef();)
  DEF("normal_", T(0).normal_(c.num(1), c.num(2)); return c.undef();)
}

}  // namespace tmx
