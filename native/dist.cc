// c10d process groups (torch.distributed): a TCPStore rendezvous, Gloo on CPU, and the collectives
// lib/distributed needs. Everything that can block (connecting to or serving the store, waiting for
// the other ranks, building the Gloo mesh, Work::wait) runs on a libuv worker thread and settles a
// Promise, so Node's event loop keeps running. Collectives are *issued* on the JS thread (cheap:
// Gloo queues them on its own threads), which keeps their order the program's order on every rank.
// The tensors of a collective are held by the worker until the work has finished.
// NCCL is not built here (see docs/ARCHITECTURE.md, "Distributed").
#include "ops.h"

#ifdef TORCHMIX_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

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
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;  // a Backend on 2.x, a ProcessGroup on 1.13
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
// join key per rank so a missing rank can be named, then the Gloo mesh.
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
    o.Set("nccl", false);
    return o;
  })
#ifdef TORCHMIX_GLOO
  // (host, port, rank, size, isServer, timeoutMs) → Promise<group>
  DEF("distInit", {
    auto g = std::make_shared<Group>();
    std::string host = c.str(0);
    int port = int(c.i64(1));
    g->rank = int(c.i64(2));
    g->size = int(c.i64(3));
    bool isServer = c.b(4);
    g->timeout = std::chrono::milliseconds(c.i64(5));
    g->where = host + ":" + std::to_string(port);
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
  for (const char* name : {"distInit", "distAllReduce", "distBroadcast", "distAllGather", "distBarrier", "distDestroy"}) inst.def(env, name, missing);
#endif
}

}  // namespace tmx
