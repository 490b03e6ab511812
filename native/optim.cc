// Optimizers over torch::optim (SGD, Adam, AdamW, RMSprop) with param groups, per-group options,
// zero_grad, per-parameter state export/import, and clip_grad_norm_. The table lives in the
// addon instance (no statics). Ids are generation·2^22 + slot, like tensor handles, so a disposed
// optimizer's id never reaches a reused slot.
//
// Options cross the boundary as one positional array of numbers per group (lib/optim fills the
// defaults and checks names and ranges first; the checks here only keep bad input from reaching
// LibTorch):
//   SGD      [lr, momentum, dampening, nesterov, weight_decay]
//   Adam(W)  [lr, beta1, beta2, eps, weight_decay, amsgrad]
//   RMSprop  [lr, alpha, eps, weight_decay, momentum, centered]
#include "ops.h"

#include <cmath>
#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace tmx {

namespace optim = torch::optim;

enum Kind : int { kSGD = 0, kAdam = 1, kAdamW = 2, kRMSprop = 3, kKinds };
static const char* kindName(int k) {
  static const char* names[] = {"SGD", "Adam", "AdamW", "RMSprop"};
  return k >= 0 && k < kKinds ? names[k] : "?";
}
static size_t optionCount(int k) { return k == kSGD ? 5 : 6; }

// ---- the table -------------------------------------------------------------------------------------
static constexpr uint64_t kSlotBits = 22, kSlotMask = (uint64_t(1) << kSlotBits) - 1, kGenMask = (uint64_t(1) << 9) - 1;

static double putOptim(OptimTable& tb, std::unique_ptr<optim::Optimizer> o, int kind) {
  uint32_t slot;
  if (!tb.freeSlots.empty()) {
    slot = tb.freeSlots.back();
    tb.freeSlots.pop_back();
    tb.slots[slot] = std::move(o);
    tb.kinds[slot] = kind;
  } else {
    slot = uint32_t(tb.slots.size());
    tb.slots.push_back(std::move(o));
    tb.kinds.push_back(kind);
    tb.gens.push_back(0);
  }
  return double((uint64_t(tb.gens[slot]) << kSlotBits) | slot);
}

// Returns the slot of a live optimizer, or throws a TorchError.
static uint32_t findSlot(Ctx& c, size_t i) {
  double id;
  if (i >= c.size() || napi_get_value_double(c.env, c.info[i], &id) != napi_ok)
    throw ArgError(ErrorKind::Type, "expected an optimizer handle");
  OptimTable& tb = c.inst.optims;
  if (id >= 0 && id <= 9007199254740991.0 && double(uint64_t(id)) == id) {
    uint64_t v = uint64_t(id), slot = v & kSlotMask, gen = v >> kSlotBits;
    if (slot < tb.slots.size() && tb.gens[slot] == gen && tb.slots[slot]) return uint32_t(slot);
  }
  throw ArgError(ErrorKind::Base, "optimizer was disposed (used after dispose())");
}

struct Opt {
  optim::Optimizer& o;
  int kind;
};
static Opt getOpt(Ctx& c, size_t i) {
  uint32_t s = findSlot(c, i);
  return {*c.inst.optims.slots[s], c.inst.optims.kinds[s]};
}

static optim::OptimizerParamGroup& group(Opt& op, Ctx& c, size_t i) {
  int64_t g = c.i64(i);
  auto& groups = op.o.param_groups();
  if (g < 0 || g >= int64_t(groups.size()))
    throw ArgError(ErrorKind::Index, "param group " + std::to_string(g) + " out of range (the optimizer has " + std::to_string(groups.size()) + ")");
  return groups[size_t(g)];
}

// ---- options ---------------------------------------------------------------------------------------
static std::vector<double> numbers(Ctx& c, size_t i, const char* what) {
  if (i >= c.size() || !c.info[i].IsArray()) throw ArgError(ErrorKind::Type, std::string(what) + ": expected an array of numbers");
  Napi::Array a = c.info[i].As<Napi::Array>();
  std::vector<double> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    double v;
    if (napi_get_value_double(c.env, a.Get(k), &v) != napi_ok) throw ArgError(ErrorKind::Type, std::string(what) + ": expected numbers");
    out[k] = v;
  }
  return out;
}

static void checkOptions(int kind, const std::vector<double>& v) {
  if (v.size() != optionCount(kind))
    throw ArgError(ErrorKind::Value, std::string(kindName(kind)) + ": expected " + std::to_string(optionCount(kind)) + " option values, got " + std::to_string(v.size()));
  for (double x : v)
    if (!std::isfinite(x)) throw ArgError(ErrorKind::Value, std::string(kindName(kind)) + ": option values must be finite numbers");
  auto need = [&](bool ok, const char* msg) {
    if (!ok) throw ArgError(ErrorKind::Value, std::string(kindName(kind)) + ": " + msg);
  };
  // lr >= 0 is checked when an optimizer is made (lib/optim); later values are the caller's, as in PyTorch.
  if (kind == kSGD) {
    need(v[1] >= 0, "invalid momentum (must be >= 0)");
    need(v[4] >= 0, "invalid weight_decay (must be >= 0)");
    need(v[3] == 0 || (v[1] > 0 && v[2] == 0), "nesterov momentum requires a momentum and zero dampening");
  } else if (kind == kAdam || kind == kAdamW) {
    need(v[1] >= 0 && v[1] < 1, "invalid beta1 (must be in [0, 1))");
    need(v[2] >= 0 && v[2] < 1, "invalid beta2 (must be in [0, 1))");
    need(v[3] >= 0, "invalid eps (must be >= 0)");
    need(v[4] >= 0, "invalid weight_decay (must be >= 0)");
  } else {
    need(v[1] >= 0, "invalid alpha (must be >= 0)");
    need(v[2] >= 0, "invalid eps (must be >= 0)");
    need(v[3] >= 0, "invalid weight_decay (must be >= 0)");
    need(v[4] >= 0, "invalid momentum (must be >= 0)");
  }
}

static std::unique_ptr<optim::OptimizerOptions> makeOptions(int kind, const std::vector<double>& v) {
  checkOptions(kind, v);
  switch (kind) {
    case kSGD: {
      auto o = std::make_unique<optim::SGDOptions>(v[0]);
      o->momentum(v[1]).dampening(v[2]).nesterov(v[3] != 0).weight_decay(v[4]);
      return o;
    }
    case kAdam: {
      auto o = std::make_unique<optim::AdamOptions>(v[0]);
      o->betas(std::make_tuple(v[1], v[2])).eps(v[3]).weight_decay(v[4]).amsgrad(v[5] != 0);
      return o;
    }
    case kAdamW: {
      auto o = std::make_unique<optim::AdamWOptions>(v[0]);
      o->betas(std::make_tuple(v[1], v[2])).eps(v[3]).weight_decay(v[4]).amsgrad(v[5] != 0);
      return o;
    }
    default: {
      auto o = std::make_unique<optim::RMSpropOptions>(v[0]);
      o->alpha(v[1]).eps(v[2]).weight_decay(v[3]).momentum(v[4]).centered(v[5] != 0);
      return o;
    }
  }
}

// Writes the values into a group's existing options object (the optimizer keeps its own type).
static void writeOptions(int kind, optim::OptimizerOptions& base, const std::vector<double>& v) {
  checkOptions(kind, v);
  switch (kind) {
    case kSGD: {
      auto& o = static_cast<optim::SGDOptions&>(base);
      o.lr(v[0]).momentum(v[1]).dampening(v[2]).nesterov(v[3] != 0).weight_decay(v[4]);
      break;
    }
    case kAdam: {
      auto& o = static_cast<optim::AdamOptions&>(base);
      o.lr(v[0]).betas(std::make_tuple(v[1], v[2])).eps(v[3]).weight_decay(v[4]).amsgrad(v[5] != 0);
      break;
    }
    case kAdamW: {
      auto& o = static_cast<optim::AdamWOptions&>(base);
      o.lr(v[0]).betas(std::make_tuple(v[1], v[2])).eps(v[3]).weight_decay(v[4]).amsgrad(v[5] != 0);
      break;
    }
    default: {
      auto& o = static_cast<optim::RMSpropOptions&>(base);
      o.lr(v[0]).alpha(v[1]).eps(v[2]).weight_decay(v[3]).momentum(v[4]).centered(v[5] != 0);
      break;
    }
  }
}

static std::vector<double> readOptions(int kind, optim::OptimizerOptions& base) {
  switch (kind) {
    case kSGD: {
      auto& o = static_cast<optim::SGDOptions&>(base);
      return {o.lr(), o.momentum(), o.dampening(), o.nesterov() ? 1.0 : 0.0, o.weight_decay()};
    }
    case kAdam: {
      auto& o = static_cast<optim::AdamOptions&>(base);
      return {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay(), o.amsgrad() ? 1.0 : 0.0};
    }
    case kAdamW: {
      auto& o = static_cast<optim::AdamWOptions&>(base);
      return {o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(), o.weight_decay(), o.amsgrad() ? 1.0 : 0.0};
    }
    default: {
      auto& o = static_cast<optim::RMSpropOptions&>(base);
      return {o.lr(), o.alpha(), o.eps(), o.weight_decay(), o.momentum(), o.centered() ? 1.0 : 0.0};
    }
  }
}

static Napi::Value numArray(Napi::Env env, const std::vector<double>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t k = 0; k < v.size(); k++) a.Set(uint32_t(k), Napi::Number::New(env, v[k]));
  return a;
}

// Parameters of one group: leaf floating-point tensors, none repeated (within `seen`).
static void checkParams(const std::vector<at::Tensor>& ps, std::unordered_set<const void*>& seen) {
  for (size_t k = 0; k < ps.size(); k++) {
    const at::Tensor& p = ps[k];
    if (!p.is_leaf()) throw ArgError(ErrorKind::Value, "params[" + std::to_string(k) + "]: can't optimize a non-leaf tensor");
    if (!at::isFloatingType(p.scalar_type()))
      throw ArgError(ErrorKind::Type, "params[" + std::to_string(k) + "]: optimizers need floating-point parameters, got " + dtypeName(p.scalar_type()));
    if (!seen.insert(p.unsafeGetTensorImpl()).second)
      throw ArgError(ErrorKind::Value, "some parameters appear in more than one parameter group (or twice in one)");
  }
}

// ---- per-parameter state ---------------------------------------------------------------------------
// LibTorch 1.13 keys the state map by the TensorImpl address printed as a string; 2.x by the address.
template <typename Map>
static typename Map::key_type stateKey(const Map&, const at::Tensor& p) {
  using K = typename Map::key_type;
  if constexpr (std::is_same_v<K, std::string>) {
    std::ostringstream os;
    os << static_cast<const void*>(p.unsafeGetTensorImpl());
    return os.str();
  } else {
    return K(p.unsafeGetTensorImpl());
  }
}

static std::vector<at::Tensor> allParams(optim::Optimizer& o) {
  std::vector<at::Tensor> out;
  for (auto& g : o.param_groups())
    for (auto& p : g.params()) out.push_back(p);
  return out;
}

// Names of the tensors in each kind's state, PyTorch's names.
static Napi::Value exportState(Ctx& c, int kind, optim::OptimizerParamState& base) {
  Napi::Object obj = Napi::Object::New(c.env);
  auto put = [&](const char* name, const at::Tensor& t) {
    if (t.defined()) obj.Set(name, c.ret(t));
  };
  switch (kind) {
    case kSGD:
      put("momentum_buffer", static_cast<optim::SGDParamState&>(base).momentum_buffer());
      break;
    case kAdam: {
      auto& s = static_cast<optim::AdamParamState&>(base);
      obj.Set("step", Napi::Number::New(c.env, double(s.step())));
      put("exp_avg", s.exp_avg());
      put("exp_avg_sq", s.exp_avg_sq());
      put("max_exp_avg_sq", s.max_exp_avg_sq());
      break;
    }
    case kAdamW: {
      auto& s = static_cast<optim::AdamWParamState&>(base);
      obj.Set("step", Napi::Number::New(c.env, double(s.step())));
      put("exp_avg", s.exp_avg());
      put("exp_avg_sq", s.exp_avg_sq());
      put("max_exp_avg_sq", s.max_exp_avg_sq());
      break;
    }
    default: {
      auto& s = static_cast<optim::RMSpropParamState&>(base);
      obj.Set("step", Napi::Number::New(c.env, double(s.step())));
      put("square_avg", s.square_avg());
      put("momentum_buffer", s.momentum_buffer());
      put("grad_avg", s.grad_avg());
      break;
    }
  }
  return obj;
}

// Builds a param state from { name: tensor handle | step number }; tensors are copied (to the
// parameter's dtype and device), so the source optimizer and this one never share buffers.
static std::unique_ptr<optim::OptimizerParamState> importState(Ctx& c, int kind, const at::Tensor& p, Napi::Object obj, size_t index) {
  std::string where = "state[" + std::to_string(index) + "]";
  std::unordered_map<std::string, at::Tensor> ts;
  int64_t step = -1;
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); k++) {
    std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value v = obj.Get(key);
    if (key == "step") {
      double d;
      if (napi_get_value_double(c.env, v, &d) != napi_ok || !(d >= 0) || std::floor(d) != d || d > 9007199254740991.0)
        throw ArgError(ErrorKind::Value, where + ".step: expected a non-negative integer");
      step = int64_t(d);
      continue;
    }
    double id;
    if (napi_get_value_double(c.env, v, &id) != napi_ok) throw ArgError(ErrorKind::Type, where + "." + key + ": expected a tensor");
    at::Tensor* t = c.inst.table.find(id);
    if (!t) throw ArgError(ErrorKind::Base, where + "." + key + ": tensor was disposed");
    if (t->sizes() != p.sizes())
      throw ArgError(ErrorKind::Value, where + "." + key + ": shape " + c10::str(t->sizes()) + " does not match the parameter's " + c10::str(p.sizes()));
    ts[key] = t->detach().to(p.options(), /*non_blocking=*/false, /*copy=*/true);
  }
  auto take = [&](const char* name, bool required) -> at::Tensor {
    auto it = ts.find(name);
    if (it == ts.end()) {
      if (required) throw ArgError(ErrorKind::Value, where + ": missing '" + name + "' for " + kindName(kind));
      return at::Tensor();
    }
    at::Tensor t = it->second;
    ts.erase(it);
    return t;
  };
  auto needStep = [&]() {
    if (step < 0) throw ArgError(ErrorKind::Value, where + ": missing 'step' for " + kindName(kind));
  };
  std::unique_ptr<optim::OptimizerParamState> out;
  switch (kind) {
    case kSGD: {
      if (step >= 0) throw ArgError(ErrorKind::Value, where + ": SGD state has no 'step'");
      auto s = std::make_unique<optim::SGDParamState>();
      s->momentum_buffer(take("momentum_buffer", true));
      out = std::move(s);
      break;
    }
    case kAdam:
    case kAdamW: {
      needStep();
      at::Tensor ea = take("exp_avg", true), eas = take("exp_avg_sq", true), mx = take("max_exp_avg_sq", false);
      if (kind == kAdam) {
        auto s = std::make_unique<optim::AdamParamState>();
        s->step(step).exp_avg(ea).exp_avg_sq(eas).max_exp_avg_sq(mx);
        out = std::move(s);
      } else {
        auto s = std::make_unique<optim::AdamWParamState>();
        s->step(step).exp_avg(ea).exp_avg_sq(eas).max_exp_avg_sq(mx);
        out = std::move(s);
      }
      break;
    }
    default: {
      needStep();
      auto s = std::make_unique<optim::RMSpropParamState>();
      s->step(step).square_avg(take("square_avg", true)).momentum_buffer(take("momentum_buffer", false)).grad_avg(take("grad_avg", false));
      out = std::move(s);
      break;
    }
  }
  if (!ts.empty()) throw ArgError(ErrorKind::Value, where + ": unexpected key '" + ts.begin()->first + "' for " + kindName(kind));
  return out;
}

// Before a step: state that a later option change made incomplete (amsgrad switched on, momentum
// or centered added to RMSprop after the first step) gets its missing buffers as zeros, where
// LibTorch would otherwise read an undefined tensor.
static void completeState(optim::Optimizer& o, int kind) {
  if (kind == kSGD) return;
  auto& st = o.state();
  for (auto& g : o.param_groups()) {
    std::vector<double> v = readOptions(kind, g.options());
    for (auto& p : g.params()) {
      auto it = st.find(stateKey(st, p));
      if (it == st.end()) continue;
      if (kind == kAdam || kind == kAdamW) {
        if (v[5] == 0) continue;
        if (kind == kAdam) {
          auto& s = static_cast<optim::AdamParamState&>(*it->second);
          if (!s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        } else {
          auto& s = static_cast<optim::AdamWParamState&>(*it->second);
          if (!s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        }
      } else {
        auto& s = static_cast<optim::RMSpropParamState&>(*it->second);
        if (v[4] > 0 && !s.momentum_buffer().defined()) s.momentum_buffer(at::zeros_like(p, at::MemoryFormat::Preserve));
        if (v[5] != 0 && !s.grad_avg().defined()) s.grad_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
      }
    }
  }
}

// ---- the functions -----------------------------------------------------------------------------------
void registerOptim(Instance& inst, Napi::Env env) {
  // (kind, params per group: id[][], options per group: number[][]) -> optimizer id
  DEF("optimCreate", {
    int64_t kind = c.i64(0);
    if (kind < 0 || kind >= kKinds) throw ArgError(ErrorKind::Value, "unknown optimizer kind " + std::to_string(kind));
    if (!c.info[1].IsArray() || !c.info[2].IsArray()) throw ArgError(ErrorKind::Type, "optimCreate: expected arrays of groups");
    Napi::Array ps = c.info[1].As<Napi::Array>(), os = c.info[2].As<Napi::Array>();
    if (ps.Length() == 0 || ps.Length() != os.Length()) throw ArgError(ErrorKind::Value, "optimizer got no parameter groups");
    std::vector<optim::OptimizerParamGroup> groups;
    std::vector<double> first;
    std::unordered_set<const void*> seen;
    for (uint32_t g = 0; g < ps.Length(); g++) {
      Napi::Value pv = ps.Get(g), ov = os.Get(g);
      if (!pv.IsArray() || !ov.IsArray()) throw ArgError(ErrorKind::Type, "param group " + std::to_string(g) + ": expected arrays");
      Napi::Array pa = pv.As<Napi::Array>();
      std::vector<at::Tensor> params;
      for (uint32_t k = 0; k < pa.Length(); k++) {
        double id;
        if (napi_get_value_double(c.env, pa.Get(k), &id) != napi_ok) throw ArgError(ErrorKind::Type, "param group " + std::to_string(g) + ": expected tensors");
        at::Tensor* t = c.inst.table.find(id);
        if (!t) throw ArgError(ErrorKind::Base, "param group " + std::to_string(g) + ": tensor " + std::to_string(k) + " was disposed");
        params.push_back(*t);
      }
      if (params.empty()) throw ArgError(ErrorKind::Value, "param group " + std::to_string(g) + " has no parameters");
      checkParams(params, seen);
      Napi::Array oa = ov.As<Napi::Array>();
      std::vector<double> v(oa.Length());
      for (uint32_t k = 0; k < oa.Length(); k++) v[k] = oa.Get(k).ToNumber().DoubleValue();
      if (g == 0) first = v;
      groups.emplace_back(std::move(params), makeOptions(int(kind), v));
    }
    std::unique_ptr<optim::Optimizer> o;
    auto defaults = makeOptions(int(kind), first);
    switch (kind) {
      case kSGD: o = std::make_unique<optim::SGD>(groups, static_cast<optim::SGDOptions&>(*defaults)); break;
      case kAdam: o = std::make_unique<optim::Adam>(groups, static_cast<optim::AdamOptions&>(*defaults)); break;
      case kAdamW: o = std::make_unique<optim::AdamW>(groups, static_cast<optim::AdamWOptions&>(*defaults)); break;
      default: o = std::make_unique<optim::RMSprop>(groups, static_cast<optim::RMSpropOptions&>(*defaults)); break;
    }
    return Napi::Number::New(c.env, putOptim(c.inst.optims, std::move(o), int(kind)));
  })
  // (id, params: id[], options: number[])
  DEF("optimAddParamGroup", {
    Opt op = getOpt(c, 0);
    std::vector<at::Tensor> params = c.tensors(1);
    if (params.empty()) throw ArgError(ErrorKind::Value, "the new param group has no parameters");
    std::unordered_set<const void*> seen;
    for (auto& p : allParams(op.o)) seen.insert(p.unsafeGetTensorImpl());
    checkParams(params, seen);
    op.o.add_param_group(optim::OptimizerParamGroup(std::move(params), makeOptions(op.kind, numbers(c, 2, "options"))));
    return c.undef();
  })
  DEF("optimFree", {
    uint32_t s = findSlot(c, 0);
    OptimTable& tb = c.inst.optims;
    tb.slots[s].reset();
    tb.gens[s] = (tb.gens[s] + 1) & uint32_t(kGenMask);
    tb.freeSlots.push_back(s);
    return c.undef();
  })
  DEF("optimStep", {
    Opt op = getOpt(c, 0);
    completeState(op.o, op.kind);
    op.o.step();
    return c.undef();
  })
  // (id, setToNone): PyTorch's Optimizer.zero_grad, the same on 1.13 and 2.x (whose defaults differ).
  DEF("optimZeroGrad", {
    Opt op = getOpt(c, 0);
    bool setToNone = c.b(1);
    for (auto& g : op.o.param_groups()) {
      for (auto& p : g.params()) {
        at::Tensor& grad = p.mutable_grad();
        if (!grad.defined()) continue;
        if (setToNone) {
          grad = at::Tensor();
        } else {
          if (grad.grad_fn()) grad.detach_();
          else grad.requires_grad_(false);
          grad.zero_();
        }
      }
    }
    return c.undef();
  })
  DEF("optimNumGroups", {
    Opt op = getOpt(c, 0);
    return Napi::Number::New(c.env, double(op.o.param_groups().size()));
  })
  DEF("optimGetLr", {
    Opt op = getOpt(c, 0);
    return Napi::Number::New(c.env, group(op, c, 1).options().get_lr());
  })
  DEF("optimSetLr", {
    Opt op = getOpt(c, 0);
    auto& g = group(op, c, 1);
    double lr = c.num(2);
    if (!std::isfinite(lr)) throw ArgError(ErrorKind::Value, "lr: expected a finite number, got " + std::to_string(lr));
    g.options().set_lr(lr);
    return c.undef();
  })
  DEF("optimGetOptions", {
    Opt op = getOpt(c, 0);
    return numArray(c.env, readOptions(op.kind, group(op, c, 1).options()));
  })
  DEF("optimSetOptions", {
    Opt op = getOpt(c, 0);
    auto& g = group(op, c, 1);
    writeOptions(op.kind, g.options(), numbers(c, 2, "options"));
    return c.undef();
  })
  // (id) -> per parameter, numbered across groups as PyTorch does: null or { step?, name: tensor }.
  // The tensors are new handles to the optimizer's own buffers (as PyTorch's state_dict()).
  DEF("optimGetState", {
    Opt op = getOpt(c, 0);
    auto& st = op.o.state();
    std::vector<at::Tensor> ps = allParams(op.o);
    Napi::Array out = Napi::Array::New(c.env, ps.size());
    for (size_t k = 0; k < ps.size(); k++) {
      auto it = st.find(stateKey(st, ps[k]));
      out.Set(uint32_t(k), it == st.end() ? c.env.Null() : exportState(c, op.kind, *it->second));
    }
    return out;
  })
  // (id, states: (null | { step?, name: tensor })[] one per parameter): replaces the whole state.
  DEF("optimSetState", {
    Opt op = getOpt(c, 0);
    if (!c.info[1].IsArray()) throw ArgError(ErrorKind::Type, "state: expected an array");
    Napi::Array a = c.info[1].As<Napi::Array>();
    std::vector<at::Tensor> ps = allParams(op.o);
    if (a.Length() != ps.size())
      throw ArgError(ErrorKind::Value, "state: expected " + std::to_string(ps.size()) + " entries (one per parameter), got " + std::to_string(a.Length()));
    auto& st = op.o.state();
    using Map = std::remove_reference_t<decltype(st)>;
    // Build everything first so a bad entry leaves the optimizer unchanged.
    std::vector<std::pair<typename Map::key_type, std::unique_ptr<optim::OptimizerParamState>>> next;
    for (uint32_t k = 0; k < a.Length(); k++) {
      Napi::Value v = a.Get(k);
      if (v.IsNull() || v.IsUndefined()) continue;
      if (!v.IsObject()) throw ArgError(ErrorKind::Type, "state[" + std::to_string(k) + "]: expected an object or null");
      next.emplace_back(stateKey(st, ps[k]), importState(c, op.kind, ps[k], v.As<Napi::Object>(), k));
    }
    st.clear();
    for (auto& kv : next) st[kv.first] = std::move(kv.second);
    return c.undef();
  })
  // (params[], maxNorm, normType, errorIfNonfinite) -> total norm: torch.nn.utils.clip_grad_norm_.
  DEF("clipGradNorm", {
    std::vector<at::Tensor> ps = c.tensors(0);
    double maxNorm = c.num(1), normType = c.num(2);
    bool errorIfNonfinite = c.bOr(3, false);
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> grads;
    for (auto& p : ps)
      if (p.grad().defined()) grads.push_back(p.grad());
    if (grads.empty()) return Napi::Number::New(c.env, 0.0);
    std::vector<at::Tensor> norms;
    for (auto& g : grads) norms.push_back(at::linalg_vector_norm(g, normType).to(grads[0].device()));
    at::Tensor total = at::linalg_vector_norm(at::stack(norms), normType);
    if (errorIfNonfinite && (total.isnan().item<bool>() || total.isinf().item<bool>()))
      throw ArgError(ErrorKind::Value, "clipGradNorm: the total norm of order " + std::to_string(normType) +
                                           " for gradients from `parameters` is non-finite, so it cannot be clipped. "
                                           "To disable this error and scale the gradients by the non-finite norm anyway, "
                                           "set errorIfNonfinite: false");
    // Python's max_norm / t is t.reciprocal() * max_norm (Tensor.__rtruediv__): the same rounding here.
    at::Tensor coef = ((total + 1e-6).reciprocal() * maxNorm).clamp_max(1.0);
    for (auto& g : grads) g.mul_(coef.to(g.device()));
    return Napi::Number::New(c.env, total.item<double>());
  })
  // (params[], clipValue): torch.nn.utils.clip_grad_value_.
  DEF("clipGradValue", {
    std::vector<at::Tensor> ps = c.tensors(0);
    double v = c.num(1);
    at::NoGradGuard noGrad;
    for (auto& p : ps)
      if (p.grad().defined()) p.grad().clamp_(-v, v);
    return c.undef();
  })
}

}  // namespace tmx
