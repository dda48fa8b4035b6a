#!/usr/bin/env python3
"""Joins the JSON lines of EngineOpsBench.java and engine_ops_torch.py into one side-by-side table.

Usage: engine_ops_table.py RESULTS.jsonl [--markdown OUT.md] [--java-blas-log LOG]

For each case the repetitions of every round of a side are pooled; the table shows their median and their minimum
(the best repetition). ratio = Carpathia µs / PyTorch µs (below 1: Carpathia is faster).
"""
import argparse
import json
import re
import statistics
import sys

OPS = ["add", "mul", "matmul", "layerNorm", "softmax", "crossEntropy", "attention"]
SIZES = ["small", "medium"]


def load(path):
    env = {}
    results = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            side = rec["side"]
            if rec["kind"] == "env":
                env.setdefault(side, rec)
                continue
            key = (side, rec["op"], rec["size"])
            agg = results.setdefault(key, {"shape": rec["shape"], "reps": [], "rounds": 0, "fresh": [], "nd4j": [],
                                           "error": None})
            agg["rounds"] += 1
            if "error" in rec:
                agg["error"] = rec["error"]
                continue
            agg["reps"].extend(rec["rep_us"])
            if rec.get("fresh_allocs_per_iter") is not None:
                agg["fresh"].append(rec["fresh_allocs_per_iter"])
            if rec.get("nd4j_ops_per_iter") is not None:
                agg["nd4j"].append(rec["nd4j_ops_per_iter"])
    return env, results


def fmt_us(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--markdown")
    p.add_argument("--java-blas-log", help="stderr of the Java runs (OPENBLAS_VERBOSE=2 prints the core in use)")
    args = p.parse_args()
    env, results = load(args.results)

    lines = []
    java_cores = []
    if args.java_blas_log:
        with open(args.java_blas_log) as f:
            java_cores = sorted(set(m.group(1) for m in re.finditer(r"Core: (\S+)", f.read())))
    je, te = env.get("carpathia", {}), env.get("torch", {})
    lines.append(f"Carpathia: {je.get('java', '?')}, ND4J {je.get('nd4j', '?')}, BLAS {je.get('blas', '?')}, "
                 f"kernel core in use {'/'.join(java_cores) or '?'} (OPENBLAS_CORETYPE={je.get('OPENBLAS_CORETYPE')}), "
                 f"BLAS threads {je.get('blas_threads', '?')}, engine threads {je.get('engine_threads', '?')}, float row kernels {je.get('float_row_kernels', '?')}")
    lines.append(f"PyTorch:   torch {te.get('torch', '?')} (python {te.get('python', '?')}), {te.get('blas', '?')}, "
                 f"core {te.get('blas_core', '?')} (OPENBLAS_CORETYPE={te.get('OPENBLAS_CORETYPE')}), BLAS threads "
                 f"{te.get('blas_threads', '?')}, torch threads {te.get('torch_threads', '?')}, "
                 f"malloc {te.get('malloc', '?')}")

    header = ["op", "size", "shape", "Carpathia µs", "PyTorch µs", "ratio", "best C µs", "best P µs", "best ratio",
              "fresh allocs/iter", "ND4J ops/iter"]
    rows = []
    for size in SIZES:
        for op in OPS:
            c = results.get(("carpathia", op, size))
            t = results.get(("torch", op, size))
            if c is None and t is None:
                continue
            c_us = statistics.median(c["reps"]) if c and c["reps"] else None
            t_us = statistics.median(t["reps"]) if t and t["reps"] else None
            shape = (c or t)["shape"]
            if c and t and c["shape"] != t["shape"]:
                shape += f" (PyTorch: {t['shape']})"
            ratio = f"{c_us / t_us:.2f}" if c_us and t_us else "—"
            c_best = min(c["reps"]) if c and c["reps"] else None
            t_best = min(t["reps"]) if t and t["reps"] else None
            best_ratio = f"{c_best / t_best:.2f}" if c_best and t_best else "—"
            fresh = f"{max(c['fresh']):.2f}" if c and c["fresh"] else "—"
            nd4j = f"{max(c['nd4j']):.2f}" if c and c["nd4j"] else "—"
            c_cell = fmt_us(c_us) if c_us is not None else (c["error"] if c and c["error"] else "—")
            rows.append([op, size, shape, c_cell, fmt_us(t_us), ratio, fmt_us(c_best), fmt_us(t_best), best_ratio,
                         fresh, nd4j])

    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    right = set(range(3, len(header)))

    def text_row(cells):
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells))

    out = lines + ["", text_row(header), text_row(["-" * w for w in widths])] + [text_row(r) for r in rows]
    out.append("")
    out.append("µs: median over the repetitions of all rounds (each the mean of a calibrated number of iterations),\n"
               "forward + backward, float32. best: the fastest repetition, what the side does when nothing else\n"
               "takes its CPUs. ratio = Carpathia / PyTorch (below 1: Carpathia faster). fresh allocs/iter: arrays\n"
               "the pool could not serve at steady state (goal 0). ND4J ops/iter: op executions ND4J's profiler\n"
               "counted.")
    print("\n".join(out))

    if args.markdown:
        md = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i in right else "---"
                                                               for i in range(len(header))) + "|"]
        md += ["| " + " | ".join(r) + " |" for r in rows]
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n\n" + "\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
