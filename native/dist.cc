// c10d process groups (torch.distributed): a TCPStore rendezvous, Gloo on CPU, and the collectives
// lib/distributed needs. Everything that can block (connecting to or serving the store, waiting for
// the other ranks, building the Gloo mesh, Work::wait) runs on a libuv worker thread and settles a
// Promise, so Node's event loop keeps running. Collectives are *issued* on the JS thread (cheap:
// Gloo queues them on its own threads), which keeps their order the program's order on every rank.
// The tensors of a collective are held by the worker until the work has finished.
// NCCL (CUDA tensors) comes from native/dist_nccl.cc where the build has its headers (pip torch
// with CUDA); the store, the join and every collective below are the same for both backends.
#include "ops.h"

#ifdef TORCHMIX_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/variable.h>
#endif
#include "dist_backend.h"

#include <chrono>
#include <functional>
#include <thread>

namespace tmx {

namespace {

// The message of the exception in flight (c10 errors without their C++ backtrace).
std::string currentMessage() {
  try {
    throw;
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", double(ms.count()) / 1000.0);
  return buf;
}

// Runs `work` on a libuv worker thread; resolves with `done(env)` (JS thread) or rejects with the
// exception `work` threw, mapped to the TorchError classes by the one guard (rethrowAsJs).
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "torchmix.distributed"), def_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), done_(std::move(done)) {}
  Napi::Promise promise() { return def_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (...) {
      err_ = std::current_exception();
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!err_) {
      try {
        def_.Resolve(done_ ? done_(env) : env.Undefined());
        return;
      } catch (...) {
        err_ = std::current_exception();
      }
    }
    try {
      try {
        std::rethrow_exception(err_);
      } catch (...) {
        rethrowAsJs(env);
      }
    } catch (const Napi::Error& e) {
      def_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred def_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::exception_ptr err_;
};

Napi::Value run(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done = nullptr) {
  auto* t = new Task(env, std::move(work), std::move(done));  // deletes itself when settled
  Napi::Promise p = t->promise();
  t->Queue();
  return p;
}

#ifdef TORCHMIX_GLOO

// One process group. JS holds it as a type-tagged External of a shared_ptr; every pending task
// holds another reference, so destroying the group (or its wrapper being collected) while work is in
// flight frees it only when that work has settled.
struct Group {
  int rank = 0;
  int size = 1;
  std::string where;  // host:port of the store, for messages
  std::chrono::milliseconds timeout{300000};
  c10::intrusive_ptr<c10d::TCPStore> tcp;
  c10::intrusive_ptr<c10d::Store> store;  // PrefixStore over tcp, as torch's default group
  std::string backend = "gloo";
  c10::intrusive_ptr<PgBase> pg;
};
using GroupPtr = std::shared_ptr<Group>;

const napi_type_tag kGroupTag = {0x746f7263686d6978ULL, 0x6469737467726f75ULL};

GroupPtr groupArg(Ctx& c, size_t i, const char* what) {
  Napi::Value v = c.info[i];
  if (!v.IsExternal() || !v.As<Napi::External<GroupPtr>>().CheckTypeTag(&kGroupTag))
    throw ArgError(ErrorKind::Type, std::string(what) + ": expected a process group from initProcessGroup");
  GroupPtr g = *v.As<Napi::External<GroupPtr>>().Data();
  if (!g->pg) throw ArgError(ErrorKind::Value, std::string(what) + ": the process group was destroyed (destroyProcessGroup)");
  return g;
}

std::string rankOf(const Group& g) { return "rank " + std::to_string(g.rank) + " of " + std::to_string(g.size); }

// The whole rendezvous, on a worker thread: the store (rank 0 serves unless told otherwise), a
// join key per rank so a missing rank can be named, then the Gloo mesh or the NCCL backend.
void rendezvous(Group& g, const std::string& host, int port, bool isServer) {
  const auto start = std::chrono::steady_clock::now();
  c10d::TCPStoreOptions so;
  so.port = uint16_t(port);
  so.isServer = isServer;
  so.numWorkers = size_t(g.size);
  so.waitWorkers = false;  // the join keys below wait, and can say who is missing
  so.timeout = g.timeout;
  so.multiTenant = true;  // as torch's env:// and tcp:// rendezvous
  try {
    g.tcp = c10::make_intrusive<c10d::TCPStore>(host, so);
  } catch (...) {
    const std::string why = currentMessage();
    if (isServer) throw ArgError(ErrorKind::Base, "initProcessGroup: " + rankOf(g) + " could not serve the store at " + g.where + ": " + why);
    throw ArgError(ErrorKind::Base, "initProcessGroup: " + rankOf(g) + " could not connect to the store at " + g.where + " within " + seconds(g.timeout) +
                                        " (is rank 0, which serves it, running?): " + why);
  }
  const std::string pre = "torchmix/join/";
  g.tcp->set(pre + std::to_string(g.rank), std::vector<uint8_t>{1});
  std::vector<int> missing;
  for (;;) {
    missing.clear();
    for (int r = 0; r < g.size; r++)
      if (!g.tcp->check({pre + std::to_string(r)})) missing.push_back(r);
    if (missing.empty()) break;
    if (std::chrono::steady_clock::now() - start >= g.timeout) {
      std::string who;
      for (size_t k = 0; k < missing.size(); k++) who += (k ? (k + 1 == missing.size() ? " and " : ", ") : "") + std::to_string(missing[k]);
      throw ArgError(ErrorKind::Base, "initProcessGroup: rank" + std::string(missing.size() > 1 ? "s " : " ") + who + " of " + std::to_string(g.size) +
                                          " did not join the store at " + g.where + " within " + seconds(g.timeout));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  g.store = c10::make_intrusive<c10d::PrefixStore>("0/", g.tcp);  // torch 2.x names the default group "0"
  if (g.backend == "nccl") {
    try {
      g.pg = makeNcclBackend(g.store, g.rank, g.size, g.timeout);
    } catch (...) {
      throw ArgError(ErrorKind::Base, "initProcessGroup: " + rankOf(g) + " could not create the NCCL backend: " + currentMessage());
    }
    return;
  }
  auto opts = c10d::ProcessGroupGloo::Options::create(g.timeout);
  // GLOO_SOCKET_IFNAME as torch honours it (a comma-separated list); else the hostname's address,
  // falling back to loopback.
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname && *ifname) {
    std::string s(ifname);
    size_t a = 0;
    while (a <= s.size()) {
      size_t b = s.find(',', a);
      if (b == std::string::npos) b = s.size();
      if (b > a) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(s.substr(a, b - a)));
      a = b + 1;
    }
  }
  if (opts->devices.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  opts->threads = 2;
  // The mesh waits for every rank's address in the store; they have all joined, so this is quick
  // unless a rank dies right now.
  try {
    g.pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g.store, g.rank, g.size, opts);
  } catch (...) {
    throw ArgError(ErrorKind::Base, "initProcessGroup: " + rankOf(g) + " could not connect the Gloo mesh: " + currentMessage());
  }
}

// Waits on the worker thread; a failure names the collective and this rank.
void waitWork(const c10::intrusive_ptr<c10d::Work>& w, const Group& g, const char* what) {
  try {
    w->wait();
  } catch (...) {
    throw ArgError(ErrorKind::Base, std::string(what) + ": failed on " + rankOf(g) + " (a peer may have exited or not called it within " + seconds(g.timeout) +
                                        "): " + currentMessage());
  }
}

at::Tensor& tensorArg(Ctx& c, size_t i) { return c.t(i); }

// DistributedDataParallel's gradient reducer (lib/nn/parallel): a post-hook on each parameter's
// gradient accumulator marks it ready as backward produces it; when every parameter of a bucket is
// ready (and every earlier bucket has been launched: the same collective order on every rank) the
// bucket's gradients are copied into its flat buffer and its async allreduce (SUM) is issued. On the
// CPU the autograd engine runs on the calling thread, the JS thread, so the hooks issue collectives
// in backward order while Gloo reduces on its own threads. ddpSynchronize launches what is left,
// waits on a worker thread, divides by the world size and copies the averages back into the grads.
// The hooks are armed by ddpPrepare (DDP's forward) and fire at most once per parameter until then.
struct Reducer {
  GroupPtr g;
  std::vector<at::Tensor> params;
  std::vector<std::string> names;
  std::vector<std::shared_ptr<torch::autograd::Node>> accs;  // kept alive: a tensor holds only a weak pointer
  std::vector<uintptr_t> keys;
  struct Bucket {
    std::vector<size_t> idx;
    std::vector<int64_t> off;
    at::Tensor buf;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf, slot;
  std::vector<char> ready;
  size_t next = 0;
  bool armed = false;
  bool findUnused = false;
  bool syncing = false;
  at::Tensor used;     // int32 [nparams] on the CPU, with findUnused (the hooks write it directly)
  at::Tensor usedDev;  // `used` on the parameters' device for its all-reduce (the same tensor on the CPU)
  c10::intrusive_ptr<c10d::Work> usedWork;

  void reset(size_t b) {
    Bucket& k = buckets[b];
    k.pending = k.idx.size();
    k.work.reset();
  }
  void arm() {
    for (size_t b = 0; b < buckets.size(); b++) reset(b);
    std::fill(ready.begin(), ready.end(), 0);
    next = 0;
    usedWork.reset();
    if (findUnused) used.zero_();
    armed = true;
  }
  void copyIn(size_t i) {
    Bucket& k = buckets[bucketOf[i]];
    at::Tensor dst = k.buf.narrow(0, k.off[slot[i]], params[i].numel());
    const at::Tensor& gr = params[i].grad();
    if (gr.defined()) {
      dst.copy_(gr.reshape({-1}));
      if (findUnused) used.data_ptr<int>()[i] = 1;
    } else
      dst.zero_();
  }
  void launchReady() {
    while (next < buckets.size() && buckets[next].pending == 0) {
      Bucket& k = buckets[next++];
      std::vector<at::Tensor> ts{k.buf};
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
      k.work = g->pg->allreduce(ts, o);
    }
  }
  void markReady(size_t i) {
    if (!armed) return;  // a backward DDP's forward did not prepare (noSync, or the module used directly)
    if (ready[i])
      throw std::runtime_error("DistributedDataParallel: parameter '" + names[i] +
                               "' received its gradient twice in one iteration (a second backward before synchronize()); call await ddp.synchronize() after each backward, or use noSync()");
    at::NoGradGuard ng;
    ready[i] = 1;
    copyIn(i);
    if (--buckets[bucketOf[i]].pending == 0) launchReady();
  }
};
using ReducerPtr = std::shared_ptr<Reducer>;
const napi_type_tag kReducerTag = {0x746f7263686d6978ULL, 0x6464707265647563ULL};

struct ReadyHook : torch::autograd::FunctionPostHook {
  std::weak_ptr<Reducer> r;
  size_t i;
  ReadyHook(std::weak_ptr<Reducer> r_, size_t i_) : r(std::move(r_)), i(i_) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) override {
    if (auto p = r.lock()) p->markReady(i);
    return outputs;
  }
};

ReducerPtr reducerArg(Ctx& c, size_t i, const char* what) {
  Napi::Value v = c.info[i];
  if (!v.IsExternal() || !v.As<Napi::External<ReducerPtr>>().CheckTypeTag(&kReducerTag))
    throw ArgError(ErrorKind::Type, std::string(what) + ": expected a DistributedDataParallel reducer");
  ReducerPtr r = *v.As<Napi::External<ReducerPtr>>().Data();
  if (!r->g) throw ArgError(ErrorKind::Value, std::string(what) + ": the DistributedDataParallel reducer was destroyed");
  return r;
}

void destroyReducer(Reducer& r) {
  for (size_t i = 0; i < r.accs.size(); i++) r.accs[i]->del_post_hook(r.keys[i]);
  r.accs.clear();
  r.keys.clear();
}

#endif  // TORCHMIX_GLOO

}  // namespace

void registerDist(Instance& inst, Napi::Env env) {
  DEF("distAvailable", {
    Napi::Object o = Napi::Object::New(c.env);
#ifdef TORCHMIX_GLOO
    o.Set("gloo", true);
#else
    o.Set("gloo", false);
#endif
    o.Set("nccl", TORCHMIX_HAS_NCCL != 0);
    return o;
  })
#ifdef TORCHMIX_GLOO
  // (host, port, rank, size, isServer, timeoutMs, backend) → Promise<group>
  DEF("distInit", {
    auto g = std::make_shared<Group>();
    std::string host = c.str(0);
    int port = int(c.i64(1));
    g->rank = int(c.i64(2));
    g->size = int(c.i64(3));
    bool isServer = c.b(4);
    g->timeout = std::chrono::milliseconds(c.i64(5));
    g->where = host + ":" + std::to_string(port);
    g->backend = c.str(6);
    if (g->backend != "gloo" && !(g->backend == "nccl" && TORCHMIX_HAS_NCCL)) throw ArgError(ErrorKind::Value, "initProcessGroup: backend '" + g->backend + "' is not built into this addon");
    return run(c.env, [g, host, port, isServer] { rendezvous(*g, host, port, isServer); }, [g](Napi::Env env) -> Napi::Value {
      auto ext = Napi::External<GroupPtr>::New(env, new GroupPtr(g), [](Napi::Env, GroupPtr* p) { delete p; });
      ext.TypeTag(&kGroupTag);
      return ext;
    });
  })
  // (group, tensor, op code, divide) — in place; divide: AVG done as SUM then ÷ size (1.13's Gloo).
  DEF("distAllReduce", {
    GroupPtr g = groupArg(c, 0, "allReduce");
    std::vector<at::Tensor> ts{tensorArg(c, 1)};
    int op = int(c.i64(2));
    bool divide = c.b(3);
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp(static_cast<c10d::ReduceOp::RedOpType>(op));
    auto w = g->pg->allreduce(ts, o);
    return run(c.env, [g, ts, w, divide] {
      waitWork(w, *g, "allReduce");
      if (divide) {
        at::NoGradGuard ng;
        ts[0].div_(g->size);
      }
    });
  })
  DEF("distBroadcast", {
    GroupPtr g = groupArg(c, 0, "broadcast");
    std::vector<at::Tensor> ts{tensorArg(c, 1)};
    c10d::BroadcastOptions o;
    o.rootRank = c.i64(2);
    auto w = g->pg->broadcast(ts, o);
    return run(c.env, [g, ts, w] { waitWork(w, *g, "broadcast"); });
  })
  // (group, outputs[], input)
  DEF("distAllGather", {
    GroupPtr g = groupArg(c, 0, "allGather");
    std::vector<std::vector<at::Tensor>> outs{c.tensors(1)};
    std::vector<at::Tensor> in{tensorArg(c, 2)};
    auto w = g->pg->allgather(outs, in);
    return run(c.env, [g, outs, in, w] { waitWork(w, *g, "allGather"); });
  })
  DEF("distBarrier", {
    GroupPtr g = groupArg(c, 0, "barrier");
    auto w = g->pg->barrier(c10d::BarrierOptions());
    return run(c.env, [g, w] { waitWork(w, *g, "barrier"); });
  })
  // (group, params[], names[], buckets: int[][] of param indices, findUnused) → reducer
  DEF("ddpReducer", {
    GroupPtr g = groupArg(c, 0, "DistributedDataParallel");
    auto r = std::make_shared<Reducer>();
    r->g = g;
    r->params = c.tensors(1);
    Napi::Array names = c.info[2].As<Napi::Array>();
    for (uint32_t k = 0; k < names.Length(); k++) r->names.push_back(names.Get(k).As<Napi::String>().Utf8Value());
    r->findUnused = c.b(4);
    const size_t n = r->params.size();
    r->bucketOf.assign(n, SIZE_MAX);
    r->slot.assign(n, 0);
    r->ready.assign(n, 0);
    const at::Device dev = n ? r->params[0].device() : at::Device(at::kCPU);  // the buckets live there (the GPU with NCCL)
    Napi::Array bs = c.info[3].As<Napi::Array>();
    for (uint32_t b = 0; b < bs.Length(); b++) {
      Napi::Array ids = bs.Get(b).As<Napi::Array>();
      Reducer::Bucket k;
      int64_t total = 0;
      at::ScalarType dt = at::kFloat;
      for (uint32_t j = 0; j < ids.Length(); j++) {
        size_t i = size_t(ids.Get(j).As<Napi::Number>().Int64Value());
        if (i >= n || r->bucketOf[i] != SIZE_MAX) throw ArgError(ErrorKind::Value, "DistributedDataParallel: bad bucket assignment");
        r->bucketOf[i] = b;
        r->slot[i] = k.idx.size();
        k.idx.push_back(i);
        k.off.push_back(total);
        total += r->params[i].numel();
        dt = r->params[i].scalar_type();
      }
      k.buf = at::zeros({total}, at::TensorOptions().dtype(dt).device(dev));
      k.pending = k.idx.size();
      r->buckets.push_back(std::move(k));
    }
    for (size_t i = 0; i < n; i++)
      if (r->bucketOf[i] == SIZE_MAX) throw ArgError(ErrorKind::Value, "DistributedDataParallel: parameter without a bucket");
    if (r->findUnused) r->used = at::zeros({int64_t(n)}, at::kInt);
    std::weak_ptr<Reducer> weak = r;
    for (size_t i = 0; i < n; i++) {
      auto acc = torch::autograd::impl::grad_accumulator(r->params[i]);
      if (!acc) throw ArgError(ErrorKind::Value, "DistributedDataParallel: parameter '" + r->names[i] + "' has no gradient accumulator (not a leaf requiring grad)");
      r->keys.push_back(acc->add_post_hook(std::make_unique<ReadyHook>(weak, i)));
      r->accs.push_back(std::move(acc));
    }
    auto ext = Napi::External<ReducerPtr>::New(c.env, new ReducerPtr(r), [](Napi::Env, ReducerPtr* p) {
      if ((*p)->g) destroyReducer(**p);
      delete p;
    });
    ext.TypeTag(&kReducerTag);
    return ext;
  })
  // Arms the hooks for the next backward (DDP's forward). Returns false when a synced backward has
  // already produced some gradients that were not synchronized (the caller reports it).
  DEF("ddpPrepare", {
    ReducerPtr r = reducerArg(c, 0, "DistributedDataParallel.forward");
    if (r->syncing) throw ArgError(ErrorKind::Value, "DistributedDataParallel.forward: called while synchronize() is pending; await it first");
    if (r->armed) {
      for (char x : r->ready)
        if (x) return Napi::Boolean::New(c.env, false);
      return Napi::Boolean::New(c.env, true);
    }
    r->arm();
    return Napi::Boolean::New(c.env, true);
  })
  // Disarms without reducing (noSync entered after a forward, or an abandoned iteration).
  DEF("ddpDisarm", {
    ReducerPtr r = reducerArg(c, 0, "DistributedDataParallel");
    if (r->next > 0) throw ArgError(ErrorKind::Value, "DistributedDataParallel: gradients are being reduced; await synchronize() first");
    r->armed = false;
    return c.undef();
  })
  // → Promise<{ unused: string[] }>: launches the buckets not launched yet (with findUnused; else
  // rejects naming the parameters that got no gradient), waits, averages into the grads.
  DEF("ddpSynchronize", {
    ReducerPtr r = reducerArg(c, 0, "DistributedDataParallel.synchronize");
    if (r->syncing) throw ArgError(ErrorKind::Value, "DistributedDataParallel.synchronize: already pending");
    if (!r->armed) return run(c.env, [] {}, [](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, false); });
    std::vector<std::string> missing;
    for (size_t i = 0; i < r->params.size(); i++)
      if (!r->ready[i]) missing.push_back(r->names[i]);
    if (!missing.empty() && !r->findUnused) {
      r->armed = false;
      r->next = r->buckets.size();  // nothing more launches; wait for what did
      std::string who;
      for (size_t k = 0; k < missing.size() && k < 5; k++) who += (k ? ", " : "") + missing[k];
      if (missing.size() > 5) who += ", …";
      throw ArgError(ErrorKind::Value, "DistributedDataParallel.synchronize: " + std::to_string(missing.size()) + " parameter(s) received no gradient in this backward (" + who +
                                           "); every parameter must take part in the loss on every rank, or pass findUnusedParameters: true");
    }
    {
      at::NoGradGuard ng;
      for (size_t i = 0; i < r->params.size(); i++)
        if (!r->ready[i]) {
          r->ready[i] = 1;
          r->copyIn(i);
          --r->buckets[r->bucketOf[i]].pending;
        }
      r->launchReady();
    }
    if (r->findUnused) {
      r->usedDev = r->used.to(r->params[0].device());
      std::vector<at::Tensor> ts{r->usedDev};
      r->usedWork = r->g->pg->allreduce(ts, c10d::AllreduceOptions());
    }
    r->syncing = true;
    return run(
        c.env,
        [r] {
          try {
            for (auto& k : r->buckets) waitWork(k.work, *r->g, "DistributedDataParallel.synchronize");
            if (r->usedWork) waitWork(r->usedWork, *r->g, "DistributedDataParallel.synchronize");
            at::NoGradGuard ng;
            if (r->usedWork) r->used.copy_(r->usedDev);  // a no-op alias on the CPU
            for (auto& k : r->buckets) {
              k.buf.div_(r->g->size);
              for (size_t j = 0; j < k.idx.size(); j++) {
                const at::Tensor& p = r->params[k.idx[j]];
                at::Tensor gr = p.grad();
                if (gr.defined()) gr.copy_(k.buf.narrow(0, k.off[j], p.numel()).view(p.sizes()));
              }
            }
          } catch (...) {
            r->syncing = false;
            r->armed = false;
            throw;
          }
        },
        [r](Napi::Env env) -> Napi::Value {
          // Parameters without a grad here: the average if some rank produced one (findUnused).
          at::NoGradGuard ng;
          for (size_t i = 0; i < r->params.size(); i++) {
            at::Tensor& p = r->params[i];
            if (p.grad().defined()) continue;
            if (r->findUnused && r->used.data_ptr<int>()[i] > 0) {
              Reducer::Bucket& k = r->buckets[r->bucketOf[i]];
              p.mutable_grad() = k.buf.narrow(0, k.off[r->slot[i]], p.numel()).view(p.sizes()).clone();
            }
          }
          r->syncing = false;
          r->armed = false;
          return Napi::Boolean::New(env, true);
        });
  })
  DEF("ddpDestroy", {
    Napi::Value v = c.info[0];
    if (!v.IsExternal() || !v.As<Napi::External<ReducerPtr>>().CheckTypeTag(&kReducerTag)) throw ArgError(ErrorKind::Type, "expected a DistributedDataParallel reducer");
    ReducerPtr r = *v.As<Napi::External<ReducerPtr>>().Data();
    if (r->g && !r->syncing) {
      destroyReducer(*r);
      r->g.reset();
    }
    return c.undef();
  })
  // Drops the group's Gloo mesh and store (rank 0 stops serving); joins Gloo's threads off the JS
  // thread. Idempotent.
  DEF("distDestroy", {
    Napi::Value v = c.info[0];
    if (!v.IsExternal() || !v.As<Napi::External<GroupPtr>>().CheckTypeTag(&kGroupTag))
      throw ArgError(ErrorKind::Type, "destroyProcessGroup: expected a process group from initProcessGroup");
    GroupPtr g = *v.As<Napi::External<GroupPtr>>().Data();
    // Only the JS thread touches pg/store; pending tasks hold the Group, not these.
    auto held = std::make_shared<Group>();
    held->pg = std::move(g->pg);
    held->store = std::move(g->store);
    held->tcp = std::move(g->tcp);
    return run(c.env, [held] {
      held->pg.reset();
      held->store.reset();
      held->tcp.reset();
    });
  })
#else
  const auto missing = [](Ctx& c) -> Napi::Value {
    throw ArgError(ErrorKind::NotImplemented, "torch.distributed: this addon was built without Gloo's headers; install libgloo-dev (bash scripts/setup.sh) and rebuild");
  };
  for (const char* name : {"distInit", "distAllReduce", "distBroadcast", "distAllGather", "distBarrier", "distDestroy", "ddpReducer", "ddpPrepare", "ddpDisarm", "ddpSynchronize", "ddpDestroy"}) inst.def(env, name, missing);
#endif
}

}  // namespace tmx
