package io.carpathia.bench;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Parallel;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.ops.Arithmetic;
import io.carpathia.engine.ops.Attention;
import io.carpathia.engine.ops.LinearAlgebra;
import io.carpathia.engine.ops.Losses;
import io.carpathia.engine.ops.Normalization;
import io.carpathia.engine.ops.Softmax;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner.ProfilingMode;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Microseconds per forward + backward of the engine's core ops at a small (64-wide) and a medium (768-wide) size,
 * with the fresh native allocations and ND4J op executions each iteration costs at steady state. Its twin,
 * {@code bench/engine_ops_torch.py}, runs the same cases in PyTorch; {@code bench/engine-ops.sh} runs both and
 * prints them side by side (see BENCHMARKS.md).
 *
 * <p>One iteration is what a training step does with the op:
 * <pre>{@code
 * try (var scope = Scope.open()) { out = op(inputs); out.backward(gradOut) }   // or loss.backward()
 * for (input : inputs) input.zeroGrad();
 * }</pre>
 * Each case warms up, then runs {@code reps} repetitions of a calibrated number of iterations; the figure is the
 * median of the repetitions' means.
 *
 * <p>Arguments: {@code --round N} (a label in the JSON), {@code --json FILE} (append one JSON object per line),
 * {@code --only op,op} (a subset), {@code --reps N}, {@code --rep-ms MS} (time per repetition), {@code --warmup-ms MS}.
 */
public final class EngineOpsBench {
    private EngineOpsBench() {}

    private static final Random RNG = new Random(20261123);

    /** One benchmarked case: its inputs and what one forward + backward does with them. */
    private record Case(String op, String size, String shape, List<Tensor> inputs, Runnable forwardBackward) {}

    /** What a case measured. */
    private record Result(double medianMicros, double[] repMicros, long itersPerRep, double freshAllocsPerIter,
                          double nd4jOpsPerIter, String error) {}

    public static void main(String[] args) throws IOException {
        Options opt = Options.parse(args);
        Tensor.setDefaultDtype(DataType.FLOAT);
        PrintWriter json = opt.jsonFile == null ? null : new PrintWriter(Files.newBufferedWriter(opt.jsonFile,
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true);

        Map<String, Object> env = environment();
        System.out.println("Carpathia engine ops, forward + backward, float32 (round " + opt.round + ")");
        env.forEach((k, v) -> System.out.println("  " + k + ": " + v));
        boolean counterWorks = nd4jCounterWorks();
        env.put("nd4j_op_counter_verified", counterWorks);
        if (!counterWorks) System.out.println("  ND4J's op profiler did not count a test op: ND4J ops/iter is n/a");
        if (json != null) json.println(toJson(withHeader(opt, "env", env)));

        System.out.printf(Locale.ROOT, "%-13s %-7s %-44s %12s %10s %10s%n",
                "op", "size", "shape", "µs/iter", "fresh/it", "nd4j/it");
        List<Case> cases = new ArrayList<>();
        for (String size : List.of("small", "medium")) {
            for (String op : List.of("add", "mul", "matmul", "layerNorm", "softmax", "crossEntropy", "attention")) {
                if (opt.only == null || opt.only.contains(op)) cases.add(makeCase(op, size));
            }
        }
        // A short pass over every case first: the code the ops share (chunk loops, pool, backward walk) meets all
        // its callers before any case is timed, as in a training process, so the JIT does not recompile it in the
        // middle of one case's repetitions.
        for (Case c : cases) {
            try {
                runFor(c.forwardBackward(), opt.warmupMs / 2);
            } catch (UnsupportedOperationException e) {
                // an op not written yet: measure() reports it
            }
        }
        for (Case c : cases) {
            Result r = measure(c, opt, counterWorks);
            printRow(c, r);
            if (json != null) json.println(toJson(resultJson(opt, c, r)));
        }
        if (json != null) json.close();
    }

    // ------------------------------------------------------------------------------------------------ the cases

    /**
     * small: 64-wide ([64, 64]; matmul 64³; attention one head of 64 positions × 64). medium: GPT-2-small width
     * ([8, 128, 768] = batch 8 × 128 tokens × 768 channels; matmul [1024, 768] × [768, 768]; cross-entropy over
     * 1024 rows of 768 classes; attention [8, 12, 128, 64], causal).
     */
    private static Case makeCase(String op, String size) {
        boolean small = size.equals("small");
        long[] act = small ? new long[] {64, 64} : new long[] {8, 128, 768};
        long width = act[act.length - 1];
        switch (op) {
            case "add", "mul" -> {
                Tensor a = param(act);
                Tensor b = param(act);
                Function<List<Tensor>, Tensor> f = op.equals("add")
                        ? in -> Arithmetic.add(in.get(0), in.get(1))
                        : in -> Arithmetic.mul(in.get(0), in.get(1));
                return withGradOut(op, size, str(act) + " " + (op.equals("add") ? "+" : "*") + " " + str(act),
                        List.of(a, b), f, act);
            }
            case "matmul" -> {
                long[] as = small ? new long[] {64, 64} : new long[] {1024, 768};
                long[] bs = small ? new long[] {64, 64} : new long[] {768, 768};
                return withGradOut(op, size, str(as) + " x " + str(bs), List.of(param(as), param(bs)),
                        in -> LinearAlgebra.matmul(in.get(0), in.get(1)), new long[] {as[0], bs[1]});
            }
            case "layerNorm" -> {
                return withGradOut(op, size, str(act) + ", weight/bias [" + width + "]",
                        List.of(param(act), param(width), param(width)),
                        in -> Normalization.layerNorm(in.get(0), in.get(1), in.get(2), 1e-5), act);
            }
            case "softmax" -> {
                return withGradOut(op, size, str(act) + ", dim -1", List.of(param(act)),
                        in -> Softmax.softmax(in.get(0), -1), act);
            }
            case "crossEntropy" -> {
                // logits [N, C], integer targets [N], mean over N
                long rows = small ? 64 : 1024;
                long classes = small ? 64 : 768;
                Tensor logits = param(rows, classes);
                long[] t = new long[(int) rows];
                for (int i = 0; i < t.length; i++) t[i] = RNG.nextInt((int) classes);
                Tensor target = Tensor.indices(t, rows);
                List<Tensor> inputs = List.of(logits);
                Runnable step = () -> {
                    try (var scope = Scope.open()) {
                        Losses.crossEntropy(logits, target).backward();
                    }
                    logits.zeroGrad();
                };
                return new Case(op, size, "logits [" + rows + ", " + classes + "], target [" + rows + "], mean",
                        inputs, step);
            }
            case "attention" -> {
                // q, k, v: [B, nh, T, hs] -> [B, nh, T, hs]
                long[] qkv = small ? new long[] {1, 1, 64, 64} : new long[] {8, 12, 128, 64};
                return withGradOut(op, size, "q, k, v " + str(qkv) + ", causal",
                        List.of(param(qkv), param(qkv), param(qkv)),
                        in -> Attention.scaledDotProductAttention(in.get(0), in.get(1), in.get(2), null, true), qkv);
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
    }

    /** A case whose output is not a scalar: backward from a fixed random upstream gradient of its shape. */
    private static Case withGradOut(String op, String size, String shape, List<Tensor> inputs,
                                    Function<List<Tensor>, Tensor> f, long[] outShape) {
        Tensor gradOut = Tensor.randn(RNG, outShape);
        Runnable step = () -> {
            try (var scope = Scope.open()) {
                f.apply(inputs).backward(gradOut);
            }
            for (Tensor t : inputs) t.zeroGrad();
        };
        return new Case(op, size, shape, inputs, step);
    }

    private static Tensor param(long... shape) {
        return Tensor.randn(RNG, shape).requiresGrad(true);
    }

    private static String str(long[] shape) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i]);
        return b.append(']').toString();
    }

    // ------------------------------------------------------------------------------------------------ measuring

    private static Result measure(Case c, Options opt, boolean counterWorks) {
        Runnable step = c.forwardBackward();
        try {
            // warm-up: the JIT compiles the kernels and the pool fills with every shape the op asks for
            double iterNs = runFor(step, opt.warmupMs);
            long itersPerRep = Math.max(3, Math.round(opt.repMs * 1e6 / iterNs));

            long freshBefore = ArrayPool.freshAllocations();
            double[] reps = new double[opt.reps];
            for (int r = 0; r < opt.reps; r++) {
                long s = System.nanoTime();
                for (long i = 0; i < itersPerRep; i++) step.run();
                reps[r] = (System.nanoTime() - s) / 1e3 / itersPerRep;
            }
            double fresh = (ArrayPool.freshAllocations() - freshBefore) / (double) (itersPerRep * opt.reps);

            double nd4jOps = Double.NaN;
            if (counterWorks) {
                // counted apart from the timing: the profiler's bookkeeping would slow any op it sees
                long countIters = Math.max(3, Math.min(itersPerRep, 50));
                Nd4j.getExecutioner().setProfilingMode(ProfilingMode.OPERATIONS);
                try {
                    long before = OpProfiler.getInstance().getInvocationsCount();
                    for (long i = 0; i < countIters; i++) step.run();
                    nd4jOps = (OpProfiler.getInstance().getInvocationsCount() - before) / (double) countIters;
                } finally {
                    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.DISABLED);
                }
            }
            return new Result(median(reps), reps, itersPerRep, fresh, nd4jOps, null);
        } catch (UnsupportedOperationException e) {
            return new Result(Double.NaN, new double[0], 0, Double.NaN, Double.NaN,
                    "not implemented: " + e.getMessage());
        }
    }

    /** Runs {@code step} for at least {@code ms} and 5 iterations; returns the mean ns per iteration. */
    private static double runFor(Runnable step, long ms) {
        long end = System.nanoTime() + ms * 1_000_000L;
        long iters = 0;
        long t0 = System.nanoTime();
        do {
            step.run();
            iters++;
        } while (iters < 5 || System.nanoTime() < end);
        return (System.nanoTime() - t0) / (double) iters;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** ND4J's profiler counts op executions only in a profiling mode: check that it sees one before trusting it. */
    private static boolean nd4jCounterWorks() {
        INDArray a = Nd4j.ones(DataType.FLOAT, 4);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, 4);
        Nd4j.getExecutioner().setProfilingMode(ProfilingMode.OPERATIONS);
        try {
            long before = OpProfiler.getInstance().getInvocationsCount();
            Nd4j.exec(new AddOp(a, a, out));
            return OpProfiler.getInstance().getInvocationsCount() - before == 1;
        } finally {
            Nd4j.getExecutioner().setProfilingMode(ProfilingMode.DISABLED);
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    private static void printRow(Case c, Result r) {
        if (r.error() != null) {
            System.out.printf(Locale.ROOT, "%-13s %-7s %-44s %s%n", c.op(), c.size(), c.shape(), r.error());
            return;
        }
        System.out.printf(Locale.ROOT, "%-13s %-7s %-44s %12.1f %10.2f %10s%n", c.op(), c.size(), c.shape(),
                r.medianMicros(), r.freshAllocsPerIter(),
                Double.isNaN(r.nd4jOpsPerIter()) ? "n/a" : String.format(Locale.ROOT, "%.2f", r.nd4jOpsPerIter()));
    }

    /** The BLAS the engine's matrix products run on, and the threads each side of it uses. */
    private static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("nd4j", Nd4j.class.getPackage().getImplementationVersion() == null
                ? "1.0.0-M2.1" : Nd4j.class.getPackage().getImplementationVersion());
        env.put("nd4j_backend", Nd4j.getBackend().getClass().getSimpleName());
        Properties nd4jEnv = Nd4j.getExecutioner().getEnvironmentInformation();
        for (String key : List.of("blas.vendor", "omp.threads", "cores")) {
            if (nd4jEnv.get(key) != null) env.put("nd4j." + key, String.valueOf(nd4jEnv.get(key)));
        }
        // the engine calls cblas_?gemm of the OpenBLAS that ND4J itself links (org.bytedeco:openblas 0.3.19)
        env.put("blas", "OpenBLAS " + openblasVersion() + " (org.bytedeco openblas_nolapack, DYNAMIC_ARCH build, "
                + "target " + openblas_nolapack.OPENBLAS_CHAR_CORENAME + ")");
        env.put("blas_vendor_code", openblas_nolapack.blas_get_vendor()); // 2: OpenBLAS
        env.put("blas_threads", io.carpathia.engine.cpu.Blas.openBlasThreads());
        String coretype = System.getenv("OPENBLAS_CORETYPE");
        env.put("OPENBLAS_CORETYPE", coretype == null ? "(unset: OpenBLAS detects the core)" : coretype);
        env.put("blas_libraries", loadedLibraries("openblas"));
        env.put("engine_threads", Parallel.THREADS);
        env.put("float_row_kernels", io.carpathia.engine.cpu.FloatRows.implementation());
        env.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        return env;
    }

    /** File names of the shared libraries this process mapped that contain {@code part} (Linux; else "?"). */
    private static String loadedLibraries(String part) {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return String.join(", ", lines.map(l -> Path.of(l.substring(l.lastIndexOf(' ') + 1)).getFileName())
                    .filter(name -> name != null && name.toString().contains(part))
                    .map(Path::toString).distinct().toList());
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String openblasVersion() {
        Package p = openblas_nolapack.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "0.3.19" : v;
    }

    private static Map<String, Object> withHeader(Options opt, String kind, Map<String, Object> body) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("side", "carpathia");
        m.put("kind", kind);
        m.put("round", opt.round);
        m.putAll(body);
        return m;
    }

    private static Map<String, Object> resultJson(Options opt, Case c, Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", c.op());
        m.put("size", c.size());
        m.put("shape", c.shape());
        if (r.error() != null) {
            m.put("error", r.error());
        } else {
            m.put("us", r.medianMicros());
            m.put("rep_us", r.repMicros());
            m.put("iters_per_rep", r.itersPerRep());
            m.put("fresh_allocs_per_iter", r.freshAllocsPerIter());
            m.put("nd4j_ops_per_iter", r.nd4jOpsPerIter());
        }
        return withHeader(opt, "result", m);
    }

    /** A flat JSON object: strings, numbers (NaN as null), booleans and number arrays. */
    private static String toJson(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (b.length() > 1) b.append(", ");
            b.append(quote(e.getKey())).append(": ").append(jsonValue(e.getValue()));
        }
        return b.append('}').toString();
    }

    private static String jsonValue(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean) return v.toString();
        if (v instanceof Double d) return d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.4f", d);
        if (v instanceof Number) return v.toString();
        if (v instanceof double[] a) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < a.length; i++) b.append(i == 0 ? "" : ", ").append(jsonValue(a[i]));
            return b.append(']').toString();
        }
        return quote(v.toString());
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }

    // ------------------------------------------------------------------------------------------------ arguments

    private static final class Options {
        int round = 1;
        Path jsonFile;
        Set<String> only;
        int reps = 7;
        long repMs = 150;
        long warmupMs = 400;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) throw new IllegalArgumentException("EngineOpsBench: " + a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--round" -> o.round = Integer.parseInt(v);
                    case "--json" -> o.jsonFile = Path.of(v);
                    case "--only" -> o.only = Set.copyOf(Arrays.asList(v.split(",")));
                    case "--reps" -> o.reps = Integer.parseInt(v);
                    case "--rep-ms" -> o.repMs = Long.parseLong(v);
                    case "--warmup-ms" -> o.warmupMs = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("EngineOpsBench: unknown argument " + a
                            + " (expected --round, --json, --only, --reps, --rep-ms, --warmup-ms)");
                }
            }
            if (o.reps < 1) throw new IllegalArgumentException("EngineOpsBench: --reps must be at least 1");
            return o;
        }
    }
}
