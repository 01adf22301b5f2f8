"""One PyTorch measurement in its own process (run.py starts it), so that the
peak RSS it reports is this measurement's alone.

    /usr/bin/python3 torch_worker.py MODEL --threads T --seconds S [--min-steps N]
    /usr/bin/python3 torch_worker.py sgemm --size 1024 --threads T --seconds S
    /usr/bin/python3 torch_worker.py probe

Prints one JSON object on stdout. MODEL is a key of torch_models.SPECS.
A training step is what ModuleLab's bench times: zero the gradients, the
forward pass(es), the summed loss (read back, as ModuleLab's trainer reads
its loss), backward, SGD step (lr 0.01, momentum 0.9), model in train mode.
"""

import argparse
import json
import os
import resource
import sys
import time


def peak_rss_mb():
    """VmHWM of this process (ru_maxrss as a fallback), in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blas_libraries():
    """The BLAS/LAPACK shared objects actually mapped into this process."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name or "lapack" in name or "mkl" in name:
                    libs.add(path)
    except OSError:
        pass
    return sorted(libs)


def timed_loop(step, seconds, min_steps, warmup_seconds, max_steps=1_000_000):
    """Warm up for a while, then time single steps until both the time and
    the step count are reached. Returns the sorted per-step times in ms."""
    t_end = time.perf_counter() + warmup_seconds
    warm = 0
    while warm < 3 or time.perf_counter() < t_end:
        step()
        warm += 1
    ms = []
    start = time.perf_counter()
    while len(ms) < max_steps and (len(ms) < min_steps or time.perf_counter() - start < seconds):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    return ms, warm


def summary(ms):
    n = len(ms)
    return {"steps": n, "ms_per_step": ms[n // 2], "ms_p10": ms[n // 10], "ms_p90": ms[n * 9 // 10],
            "steps_per_sec": 1e3 / ms[n // 2]}


def run_model(name, threads, seconds, min_steps, warmup_seconds, trunk_once=False):
    import torch
    from torch import nn

    import torch_models

    torch.set_num_threads(threads)
    baseline = peak_rss_mb()
    path, batch, build, sample, objectives = torch_models.SPECS[name]
    torch.manual_seed(1)
    model = build()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    # Four batches of random data, cycled, as ModuleLab's bench does (4 x batch rows).
    batches = []
    for _ in range(4):
        x = torch.randn([batch] + sample)
        targets = []
        for _, loss, width in objectives:
            if loss == "cross_entropy":
                targets.append(torch.randint(0, width, (batch,)))
            else:
                targets.append(torch.randint(0, 2, (batch, width)).float())
        batches.append((x, targets))

    ce = nn.CrossEntropyLoss()
    mse = nn.MSELoss()
    calls = []
    for index, _, _ in objectives:
        calls.append((index,))

    state = {"i": 0}

    # forward(x, task_index) runs the trunk on every call; --trunk-once is the
    # hand-written alternative that runs it once and feeds every head.
    shared = trunk_once and hasattr(model, "task_layers")

    def step():
        x, targets = batches[state["i"] % 4]
        state["i"] += 1
        opt.zero_grad()
        total = None
        h = torch.relu(model.shared_layer(x)) if shared else None
        for (index, loss, _), t in zip(objectives, targets):
            if shared:
                y = model.task_layers[index](h)
            else:
                y = model(x) if index is None else model(x, index)
            term = ce(y, t) if loss == "cross_entropy" else mse(y, t)
            total = term if total is None else total + term
        total.backward()
        opt.step()
        return total.item()

    x0 = batches[0][0]
    macs = torch_models.forward_multiply_adds(
        model, [(x0,) if index is None else (x0, index) for index, _, _ in objectives])
    ms, warm = timed_loop(step, seconds, min_steps, warmup_seconds)
    out = {"framework": "pytorch", "model": name, "batch": batch, "threads": torch.get_num_threads(),
           "warmup_steps": warm, "forward_passes_per_step": len(objectives), "trunk_once": shared,
           "parameters": torch_models.count_parameters(model), "forward_multiply_adds": macs,
           "state_dict": [[k, list(v.shape)] for k, v in model.state_dict().items()],
           "peak_rss_mb": peak_rss_mb(), "rss_after_import_mb": baseline}
    out.update(summary(ms))
    return out


def run_sgemm(size, threads, seconds, min_steps, warmup_seconds):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    c = torch.empty(size, size)
    ms, warm = timed_loop(lambda: torch.mm(a, b, out=c), seconds, min_steps, warmup_seconds)
    med = ms[len(ms) // 2]
    return {"framework": "pytorch", "sgemm": size, "threads": torch.get_num_threads(), "steps": len(ms),
            "warmup_steps": warm, "ms": med, "gflops": 2.0 * size ** 3 / (med * 1e6), "peak_rss_mb": peak_rss_mb()}


def probe():
    import torch

    import torch_models

    config = torch.__config__.show()
    libs = blas_libraries()
    return {"torch": torch.__version__, "python": sys.version.split()[0], "blas_libraries": libs,
            "openblas": any("openblas" in os.path.basename(p).lower() for p in libs),
            "default_threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
            "specs": {k: [v[0], v[1]] for k, v in torch_models.SPECS.items()}, "config": config}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--min-steps", type=int, default=10)
    p.add_argument("--warmup-seconds", type=float, default=0.5)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--trunk-once", action="store_true", help="multi-task: run the shared trunk once per step")
    a = p.parse_args()
    if a.what == "probe":
        out = probe()
    elif a.what == "sgemm":
        out = run_sgemm(a.size, a.threads, a.seconds, a.min_steps, a.warmup_seconds)
    else:
        out = run_model(a.what, a.threads, a.seconds, a.min_steps, a.warmup_seconds, a.trunk_once)
    out["blas_libraries"] = blas_libraries()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
