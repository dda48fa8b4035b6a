package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Reduce;
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

    public static Tensor max(Tensor x, int dim, boolean keepDim) {
        throw new UnsupportedOperationException("max");
    }

    public static Tensor max(Tensor x) {
        throw new UnsupportedOperationException("max");
    }

    public static Tensor var(Tensor x, int[] dims, boolean unbiased, boolean keepDim) {
        throw new UnsupportedOperationException("var");
    }

    // ------------------------------------------------------------------------------------------------ helpers

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
