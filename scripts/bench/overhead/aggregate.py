"""Aggregates the JSON lines of scripts/bench/overhead/run.sh into markdown tables (stdlib only).

    python3 aggregate.py build-bench/overhead-pip.jsonl

Median over rounds per implementation and metric, and the median of the per-round ratios (round r's
three processes ran back to back, so each round's ratio sees about the same machine load). Targets:
per-op add (torchmix − C++) ≤ 0.25 × (Python − C++) (issue: Foundation); mixup step ≤ 0.30 × (issue
14). The step is given in wall time and in process CPU time (all threads: V8's background threads count).
"""
import json
import statistics
import sys

TARGETS = {"add_us": 0.25, "step_ms": 0.30, "step_cpu_ms": 0.30}


def fmt(v, nd=3):
    return "—" if v is None else f"{v:.{nd}f}"


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip().startswith("{")]
    by = {}
    for r in rows:
        by.setdefault(r["impl"], []).append(r)

    def med(impl, key):
        vals = [r[key] for r in by.get(impl, []) if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    def vals(impl, key):
        return [r[key] for r in by.get(impl, []) if r.get(key) is not None]

    versions = {impl: sorted({r["libtorch"] for r in rs}) for impl, rs in by.items()}
    threads = sorted({r["threads"] for r in rows})
    betas = sorted({r.get("beta", "?") for r in rows})
    mm = {".".join(v.split("+")[0].split(".")[:2]) for vs in versions.values() for v in vs}
    rounds = max(len(rs) for rs in by.values())
    print("LibTorch: " + ", ".join(f"{impl} {'/'.join(v)}" for impl, v in versions.items())
          + f"; threads: {'/'.join(map(str, threads))}; Beta built: {'/'.join(betas)}; rounds: {rounds} (median)")
    if len(mm) != 1 or len(threads) != 1 or len(betas) != 1:
        print("WARNING: implementations ran on different LibTorch versions, thread counts or Beta modes")
    print()
    print("| workload | C++ floor | Python | torchmix | torchmix−C++ | Python−C++ | ratio | ratio (median per round) | target | |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    rows_spec = (("add_us", "per-op `a.add(b)`, 4 floats (µs)"),
                 ("step_ms", "mixup step, MLP 2→64→64→2, batch 128 (ms)"),
                 ("step_cpu_ms", "mixup step, process CPU time (ms)"))
    for key, label in rows_spec:
        c, p, t = med("cpp", key), med("python", key), med("torchmix", key)
        if c is None or t is None:  # e.g. rows from before a metric existed
            continue
        target = TARGETS[key]
        dt = t - c
        dp = None if p is None else p - c
        if dp is None:
            ratio, mark = None, "n/a (no Python)"
        elif dp <= 0:
            ratio, mark = None, "n/a (Python ≤ C++)"
        else:
            ratio = dt / dp
            mark = "PASS" if ratio <= target else "MISS"
        per_round = [(tr - cr) / (pr - cr) for cr, pr, tr in zip(vals("cpp", key), vals("python", key), vals("torchmix", key)) if pr > cr]
        paired = statistics.median(per_round) if per_round else None
        print(f"| {label} | {fmt(c)} | {fmt(p)} | {fmt(t)} | {fmt(dt)} | {fmt(dp)} | {fmt(ratio)} | {fmt(paired)} | ≤ {target} | {mark} |")

    # Profiling variants of the add loop (torchmix only).
    c = med("cpp", "add_us")
    extra = [("add_us", "`a.add(b)` in `torch.tidy` blocks of 1000 (the row above)"),
             ("add_dispose_us", "`a.add(b).dispose()` at top level (GC-tracked, then freed)"),
             ("add_native_us", "raw addon `N.free(N.add(idA, idB))`, no wrapper")]
    if any(med("torchmix", k) is not None for k, _ in extra[1:]):
        print()
        print("| torchmix add variant | µs/op | −C++ (µs) |")
        print("|---|---:|---:|")
        for k, label in extra:
            v = med("torchmix", k)
            print(f"| {label} | {fmt(v)} | {fmt(None if v is None or c is None else v - c)} |")

    print()
    print("Per-round values:")
    for impl in ("cpp", "python", "torchmix"):
        if impl in by:
            print(f"- {impl}: add_us {vals(impl, 'add_us')}; step_ms {vals(impl, 'step_ms')}; step_cpu_ms {vals(impl, 'step_cpu_ms')}; "
                  f"final_loss {sorted(set(vals(impl, 'final_loss')))}")


if __name__ == "__main__":
    main()
