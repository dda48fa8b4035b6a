#!/usr/bin/env python3
"""The cuBLAS side of the kernel benchmarks: torch.matmul at 4096^3 in FP32 (TF32 off), TF32 and BF16, and
device-to-device copies of the buffers NF4 dequantization writes (4096^2 float32 and bfloat16), timed like GpuCheck
times the Carpathia kernels (CUDA events; 3 warm-up runs, then the median of 5 rounds of 10).

Writes key=value lines (milliseconds per operation) that GpuCheck --torch reads, and prints them.
"""
import argparse
import statistics
import sys

SIZE = 4096
WARMUP, ROUNDS, PER_ROUND = 3, 5, 10


def median_ms(torch, run):
    for _ in range(WARMUP):
        run()
    torch.cuda.synchronize()
    times = []
    for _ in range(ROUNDS):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(PER_ROUND):
            run()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / PER_ROUND)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="torch.properties")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("bench_torch.py: PyTorch is not installed; no cuBLAS comparison")
        return 2
    if not torch.cuda.is_available():
        print("bench_torch.py: torch sees no GPU; no cuBLAS comparison")
        return 2

    results = {
        "torch_version": torch.__version__,
        "cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0),
    }
    generator = torch.Generator(device="cuda").manual_seed(1)
    a = torch.rand(SIZE, SIZE, device="cuda", generator=generator) * 2 - 1
    b = torch.rand(SIZE, SIZE, device="cuda", generator=generator) * 2 - 1
    c = torch.empty(SIZE, SIZE, device="cuda")

    torch.backends.cuda.matmul.allow_tf32 = False
    results["matmul_fp32_ms"] = median_ms(torch, lambda: torch.matmul(a, b, out=c))
    torch.backends.cuda.matmul.allow_tf32 = True
    results["matmul_tf32_ms"] = median_ms(torch, lambda: torch.matmul(a, b, out=c))
    torch.backends.cuda.matmul.allow_tf32 = False
    a16, b16, c16 = a.bfloat16(), b.bfloat16(), c.bfloat16()
    # cuBLAS's BF16 GEMM: bfloat16 in and out, float32 accumulation. The Carpathia kernel writes a float32 C, 32 MiB
    # more traffic that is immaterial next to 4096^3 multiply-adds.
    results["matmul_bf16_ms"] = median_ms(torch, lambda: torch.matmul(a16, b16, out=c16))

    source, target = torch.empty(SIZE * SIZE, device="cuda"), torch.empty(SIZE * SIZE, device="cuda")
    results["copy_f32_ms"] = median_ms(torch, lambda: target.copy_(source))
    source16, target16 = source.bfloat16(), target.bfloat16()
    results["copy_bf16_ms"] = median_ms(torch, lambda: target16.copy_(source16))

    with open(args.out, "w") as out:
        for key, value in results.items():
            out.write(f"{key}={value}\n")
    flops = 2 * SIZE ** 3
    print(f"torch {results['torch_version']} (CUDA {results['cuda']}) on {results['device']}")
    for key in ("matmul_fp32_ms", "matmul_tf32_ms", "matmul_bf16_ms"):
        print(f"  {key:16s} {results[key]:8.3f} ms  {flops / results[key] / 1e9:6.1f} TFLOP/s")
    for key, bytes_ in (("copy_f32_ms", 4 * SIZE * SIZE), ("copy_bf16_ms", 2 * SIZE * SIZE)):
        print(f"  {key:16s} {results[key]:8.3f} ms  {2 * bytes_ / results[key] / 1e6:6.0f} GB/s (read + write)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
