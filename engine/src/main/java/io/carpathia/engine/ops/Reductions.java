package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Node;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Reduce;
import java.util.concurrent.atomic.LongAdder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reductions over dimensions (accumulated in double), with keepDim as in PyTorch. */
public final class Reductions {
    private Reductions() {}

    /** Sum of all elements (a scalar). */
    public static Tensor sum(Tensor x) {
        return sum(x, allDims(x.rank()), false);
    }

    /** Sum over {@code dims}; keepDim leaves them as size 1. */
    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        return sumScaled("sum", x, dims, keepDim, 1.0);
    }

    /** Mean of all elements. */
    public static Tensor mean(Tensor x) {
        return mean(x, allDims(x.rank()), false);
    }

    /** Mean over {@code dims}. */
    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        boolean[] reduced = reducedDims("mean", dims, x.rank());
        long count = 1;
        for (int d = 0; d < reduced.length; d++) if (reduced[d]) count *= x.shape()[d];
        return sumScaled("mean", x, dims, keepDim, 1.0 / count);
    }

    /** scale · Σ_dims x; its gradient broadcasts scale · g back over the reduced dimensions. */
    private static Tensor sumScaled(String op, Tensor x, int[] dims, boolean keepDim, double scale) {
        boolean[] reduced = reducedDims(op, dims, x.rank());
        long[] in = x.shape();
        DataType dt = Autograd.floatType(x);
        Tensor out = Autograd.result(dt, reducedShape(in, reduced, keepDim));
        Reduce.over(x.value(), reduced, out.value(), Reduce.Kind.SUM, null);
        if (scale != 1.0) scaleInPlace(out.value(), scale);
        long[] kept = reducedShape(in, reduced, true);
        Autograd.record(out, op, g -> {
            // every input element contributed once: its gradient is scale · g, broadcast over the reduced dims
            INDArray gx = Autograd.temp(dt, in);
            INDArray gk = g.reshape('c', kept);
            Chunks.zip(gx, gk, gx, (a, b, n) -> {
                for (int i = 0; i < n; i++) a[i] = scale * b[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * The largest element along {@code dim}. Its gradient goes to the element that won: the first one on ties, as
     * in PyTorch's max(dim) (a NaN wins over numbers).
     */
    public static Tensor max(Tensor x, int dim, boolean keepDim) {
        boolean[] reduced = reducedDims("max", new int[] {dim}, x.rank());
        long[] in = x.shape();
        requireNonEmpty("max", in, reduced);
        DataType dt = Autograd.floatType(x);
        Tensor out = Autograd.result(dt, reducedShape(in, reduced, keepDim));
        long[] winner = new long[(int) out.numel()]; // flat index in x of each output's maximum
        Reduce.over(x.value(), reduced, out.value(), Reduce.Kind.MAX, winner);
        Autograd.record(out, "max", g -> {
            // d max / d x is 1 at the winning element and 0 elsewhere
            INDArray gx = Autograd.temp(dt, in);
            Native.fill(gx, 0);
            Native.View vg = Native.view(g);
            Native.View vx = Native.view(gx);
            for (int o = 0; o < winner.length; o++) vx.set(winner[o], vg.get(o));
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * The largest of all elements (a scalar). As in PyTorch's max(), its gradient is shared evenly by all elements
     * equal to the maximum (by all NaNs when the maximum is NaN).
     */
    public static Tensor max(Tensor x) {
        boolean[] reduced = reducedDims("max", allDims(x.rank()), x.rank());
        long[] in = x.shape();
        requireNonEmpty("max", in, reduced);
        DataType dt = Autograd.floatType(x);
        Tensor out = Autograd.result(dt);
        Reduce.over(x.value(), reduced, out.value(), Reduce.Kind.MAX, null);
        Autograd.record(out, "max", g -> {
            // the maximum is one of x's elements, so ties compare exactly equal in either precision
            double top = Native.view(out.value()).get(0);
            INDArray gx = Autograd.temp(dt, in);
            LongAdder ties = new LongAdder();
            Chunks.map(x.value(), gx, (v, n) -> {
                int count = 0;
                for (int i = 0; i < n; i++) {
                    boolean tie = v[i] == top || Double.isNaN(v[i]) && Double.isNaN(top);
                    v[i] = tie ? 1 : 0;
                    if (tie) count++;
                }
                ties.add(count);
            });
            scaleInPlace(gx, Native.view(g).get(0) / ties.sum());
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * Variance over {@code dims}: Σ (x - mean)² / (n - 1) when {@code unbiased} (PyTorch's default), else / n. With
     * n = 1 the unbiased variance is NaN, as in PyTorch. Gradient: 2 (x - mean) / (n - 1 or n) · g; the mean's own
     * dependence on x drops out because the deviations sum to zero.
     */
    public static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepDim) {
        boolean[] reduced = reducedDims("var", dims, x.rank());
        long[] in = x.shape();
        long n = 1;
        for (int d = 0; d < reduced.length; d++) if (reduced[d]) n *= in[d];
        double divisor = unbiased ? n - 1 : n;
        DataType dt = Autograd.floatType(x);
        long[] kept = reducedShape(in, reduced, true);
        // mean: kept shape [.., 1, ..]; deviation = x - mean: x's shape, kept for the backward
        INDArray mean = Autograd.temp(dt, kept);
        Reduce.over(x.value(), reduced, mean, Reduce.Kind.SUM, null);
        scaleInPlace(mean, 1.0 / n);
        INDArray deviation = Autograd.temp(dt, in);
        Chunks.zip(x.value(), mean, deviation, (v, m, k) -> {
            for (int i = 0; i < k; i++) v[i] -= m[i];
        });
        Autograd.release(mean);
        INDArray squares = Autograd.temp(dt, in);
        Chunks.map(deviation, squares, (v, k) -> {
            for (int i = 0; i < k; i++) v[i] *= v[i];
        });
        Tensor out = Autograd.result(dt, reducedShape(in, reduced, keepDim));
        Reduce.over(squares, reduced, out.value(), Reduce.Kind.SUM, null);
        Autograd.release(squares);
        scaleInPlace(out.value(), 1.0 / divisor);
        double slope = 2.0 / divisor;
        Node node = Autograd.record(out, "var", g -> {
            INDArray gx = Autograd.temp(dt, in);
            Chunks.zip(deviation, g.reshape('c', kept), gx, (v, gg, k) -> {
                for (int i = 0; i < k; i++) v[i] *= slope * gg[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        Autograd.saveOrRelease(node, deviation);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Max has no value over an empty dimension (PyTorch refuses too). */
    private static void requireNonEmpty(String op, long[] shape, boolean[] reduced) {
        for (int d = 0; d < shape.length; d++) {
            if (reduced[d] && shape[d] == 0) {
                throw new io.carpathia.engine.ShapeException(op + ": cannot reduce dimension " + d + " of size 0 (tensor "
                        + Shapes.str(shape) + ")");
            }
        }
    }

    static int[] allDims(int rank) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = i;
        return d;
    }

    /** Flags the reduced dimensions (negatives count from the end); an empty list reduces nothing. */
    static boolean[] reducedDims(String op, int[] dims, int rank) {
        boolean[] r = new boolean[rank];
        for (int d : dims) {
            int k = Shapes.dim(op, d, rank);
            if (rank == 0) continue;
            if (r[k]) throw new io.carpathia.engine.ShapeException(op + ": dimension " + d + " listed twice");
            r[k] = true;
        }
        return r;
    }

    static long[] reducedShape(long[] shape, boolean[] reduced, boolean keepDim) {
        int n = 0;
        for (int d = 0; d < shape.length; d++) if (keepDim || !reduced[d]) n++;
        long[] s = new long[n];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (reduced[d]) {
                if (keepDim) s[j++] = 1;
            } else {
                s[j++] = shape[d];
            }
        }
        return s;
    }

    static void scaleInPlace(INDArray a, double c) {
        Chunks.map(a, a, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] *= c;
        });
    }
}
