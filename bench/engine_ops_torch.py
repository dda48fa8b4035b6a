#!/usr/bin/env python3
"""PyTorch's side of the engine-ops benchmark: the cases of EngineOpsBench.java, same shapes, same protocol.

Microseconds per forward + backward, float32, on the CPU:

    out = op(*inputs); out.backward(grad_out)     # or loss.backward()
    for x in inputs: x.grad = None                # what Carpathia's zeroGrad() does

Each case warms up, then runs `reps` repetitions of a calibrated number of iterations; the figure is the median of
the repetitions' means. Run it through bench/engine-ops.sh, which points Debian's python3-torch at OpenBLAS (as
installed it uses the reference BLAS) and prints both sides together.

Arguments: --round N, --json FILE (append one JSON object per line), --only op,op, --reps N, --rep-ms MS,
--warmup-ms MS, --threads N (torch.set_num_threads, default 2).
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

OPS = ["add", "mul", "matmul", "layerNorm", "softmax", "crossEntropy", "attention"]


def shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def param(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32).requires_grad_(True)


def attention(q, k, v, causal_mask):
    """softmax(q·kᵀ/√d, causal) · v composed from primitives (torch 1.13 has no scaled_dot_product_attention).

    q, k, v: [B, nh, T, hs] -> [B, nh, T, hs]
    """
    scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.size(-1)))
    scores = scores.masked_fill(causal_mask, float("-inf"))
    return torch.matmul(F.softmax(scores, dim=-1), v)


def make_case(op, size, gen):
    """Returns (shape description, inputs, step) for one case; the shapes match EngineOpsBench.java."""
    small = size == "small"
    act = (64, 64) if small else (8, 128, 768)
    width = act[-1]

    def with_grad_out(desc, inputs, f, out_shape):
        grad_out = torch.randn(*out_shape, generator=gen, dtype=torch.float32)

        def step():
            f(*inputs).backward(grad_out)
            for x in inputs:
                x.grad = None
        return desc, inputs, step

    if op in ("add", "mul"):
        sign = "+" if op == "add" else "*"
        f = torch.add if op == "add" else torch.mul
        return with_grad_out(f"{shape_str(act)} {sign} {shape_str(act)}", [param(gen, *act), param(gen, *act)], f, act)
    if op == "matmul":
        a_shape = (64, 64) if small else (1024, 768)
        b_shape = (64, 64) if small else (768, 768)
        return with_grad_out(f"{shape_str(a_shape)} x {shape_str(b_shape)}",
                             [param(gen, *a_shape), param(gen, *b_shape)], torch.matmul, (a_shape[0], b_shape[1]))
    if op == "layerNorm":
        return with_grad_out(f"{shape_str(act)}, weight/bias [{width}]",
                             [param(gen, *act), param(gen, width), param(gen, width)],
                             lambda x, w, b: F.layer_norm(x, (width,), w, b, 1e-5), act)
    if op == "softmax":
        return with_grad_out(f"{shape_str(act)}, dim -1", [param(gen, *act)], lambda x: F.softmax(x, dim=-1), act)
    if op == "crossEntropy":
        rows, classes = (64, 64) if small else (1024, 768)
        logits = param(gen, rows, classes)
        target = torch.randint(0, classes, (rows,), generator=gen)

        def step():
            F.cross_entropy(logits, target).backward()
            logits.grad = None
        return f"logits [{rows}, {classes}], target [{rows}], mean", [logits], step
    if op == "attention":
        qkv = (1, 1, 64, 64) if small else (8, 12, 128, 64)
        t = qkv[-2]
        causal_mask = torch.ones(t, t, dtype=torch.bool).triu(1)  # True above the diagonal: keys after the query
        return with_grad_out(f"q, k, v {shape_str(qkv)}, causal",
                             [param(gen, *qkv), param(gen, *qkv), param(gen, *qkv)],
                             lambda q, k, v: attention(q, k, v, causal_mask), qkv)
    raise ValueError(f"unknown op {op}")


def run_for(step, ms):
    """Runs step for at least ms milliseconds and 5 iterations; returns the mean seconds per iteration."""
    end = time.perf_counter() + ms / 1e3
    iters = 0
    t0 = time.perf_counter()
    while iters < 5 or time.perf_counter() < end:
        step()
        iters += 1
    return (time.perf_counter() - t0) / iters


def measure(step, args):
    iter_s = run_for(step, args.warmup_ms)
    iters = max(3, round(args.rep_ms / 1e3 / iter_s))
    reps = []
    for _ in range(args.reps):
        s = time.perf_counter()
        for _ in range(iters):
            step()
        reps.append((time.perf_counter() - s) * 1e6 / iters)
    return statistics.median(reps), reps, iters


def loaded_blas():
    """The BLAS libraries this process mapped, and what OpenBLAS says about itself when it is one of them."""
    paths = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if ("blas" in name or "lapack" in name) and path not in paths:
                paths.append(path)
    cwd = os.getcwd() + os.sep
    info = {"blas_libraries": [path[len(cwd):] if path.startswith(cwd) else path for path in paths]}
    for path in paths:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_corename"):
            for fn in ("openblas_get_corename", "openblas_get_config"):
                getattr(lib, fn).restype = ctypes.c_char_p
            info["blas"] = lib.openblas_get_config().decode()
            info["blas_core"] = lib.openblas_get_corename().decode()
            info["blas_threads"] = lib.openblas_get_num_threads()
            break
    else:
        info["blas"] = "not OpenBLAS (reference BLAS?): " + ", ".join(paths)
    return info


def config_entry(name):
    """One entry of torch.__config__.show(), e.g. BLAS_INFO=generic (the BLAS torch was built for)."""
    for part in torch.__config__.show().replace("\n", ",").split(","):
        if name in part:
            return part.strip().lstrip("- ").replace("Build settings: ", "")
    return "?"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--round", type=int, default=1)
    p.add_argument("--json")
    p.add_argument("--only")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--rep-ms", type=float, default=150)
    p.add_argument("--warmup-ms", type=float, default=400)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    only = set(args.only.split(",")) if args.only else None

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20261123)
    json_out = open(args.json, "a") if args.json else None

    env = {"torch": torch.__version__, "python": sys.version.split()[0], "torch_threads": torch.get_num_threads(),
           "torch_config": config_entry("BLAS_INFO"), "cpu_capability": config_entry("CPU capability usage"),
           "malloc": os.environ.get("GLIBC_TUNABLES", "glibc defaults"),
           "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset: OpenBLAS detects the core)"),
           "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "(unset)")}
    env.update(loaded_blas())
    print(f"PyTorch engine ops, forward + backward, float32 (round {args.round})")
    for k, v in env.items():
        print(f"  {k}: {v}")
    if json_out:
        json_out.write(json.dumps({"side": "torch", "kind": "env", "round": args.round, **env}) + "\n")

    print(f"{'op':<13} {'size':<7} {'shape':<44} {'µs/iter':>12}")
    cases = [(op, size, *make_case(op, size, gen)) for size in ("small", "medium") for op in OPS
             if not only or op in only]
    # a short pass over every case first, as the Java side does (there for its JIT)
    for case in cases:
        run_for(case[-1], args.warmup_ms / 2)
    for op, size, desc, _inputs, step in cases:
        us, reps, iters = measure(step, args)
        print(f"{op:<13} {size:<7} {desc:<44} {us:12.1f}", flush=True)
        if json_out:
            json_out.write(json.dumps({"side": "torch", "kind": "result", "round": args.round, "op": op, "size": size,
                                       "shape": desc, "us": us, "rep_us": reps, "iters_per_rep": iters}) + "\n")
            json_out.flush()
    if json_out:
        json_out.close()


if __name__ == "__main__":
    main()
