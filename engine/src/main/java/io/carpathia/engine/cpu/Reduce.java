package io.carpathia.engine.cpu;

import io.carpathia.engine.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Reductions over dimensions, accumulated in double. */
public final class Reduce {
    private Reduce() {}

    /**
     * Sums {@code src} down to {@code out}'s shape, where {@code out}'s shape broadcasts to {@code src}'s (the
     * gradient of a broadcast input). {@code out} is overwritten, or added to when {@code accumulate}.
     */
    public static void sumTo(INDArray src, INDArray out, boolean accumulate) {
        long[] shape = src.shape();
        long[] strides = Shapes.broadcastStrides(out.shape(), shape);
        Native.View vs = Native.view(src);
        Native.View vo = Native.view(out);
        double[] acc = new double[(int) vo.length];
        if (accumulate && vo.length > 0) vo.load(0, (int) vo.length, acc, 0);
        int rank = shape.length;
        // the common cases get plain loops: out is src's trailing dimensions (a bias gradient: sum over rows),
        // or src's leading dimensions (sum over each row)
        int split = 0;
        while (split < rank && strides[split] == 0) split++;
        boolean trailing = true;
        for (int d = split; d < rank; d++) trailing &= strides[d] != 0 || shape[d] == 1;
        if (trailing && vo.length > 0 && vs.isFloat()) {
            sumRowsFloat(vs, (int) vo.length, acc);
            vo.store(acc, 0, acc.length, 0);
            return;
        }
        if (trailing && vo.length > 0) {
            int inner = (int) vo.length;
            double[] row = Scratch.doubles(3, inner);
            for (long s = 0; s < vs.length; s += inner) {
                vs.load(s, inner, row, 0);
                for (int j = 0; j < inner; j++) acc[j] += row[j];
            }
            vo.store(acc, 0, acc.length, 0);
            return;
        }
        int lead = rank;
        while (lead > 0 && strides[lead - 1] == 0) lead--;
        boolean leading = lead < rank;
        for (int d = 0; d < lead; d++) leading &= strides[d] != 0 || shape[d] == 1;
        if (leading && vo.length > 0) {
            int inner = (int) (vs.length / vo.length);
            double[] row = Scratch.doubles(3, inner);
            for (int o = 0; o < acc.length; o++) {
                vs.load((long) o * inner, inner, row, 0);
                acc[o] += Rows.sum(row, inner);
            }
            vo.store(acc, 0, acc.length, 0);
            return;
        }
        long[] idx = new long[rank];
        long offset = 0;
        double[] buf = Scratch.doubles(3, Chunks.CHUNK);
        for (long s = 0; s < vs.length; s += Chunks.CHUNK) {
            int n = (int) Math.min(Chunks.CHUNK, vs.length - s);
            vs.load(s, n, buf, 0);
            for (int i = 0; i < n; i++) {
                acc[(int) offset] += buf[i];
                // advance the multi-index of src by one, tracking the offset into out
                for (int d = rank - 1; d >= 0; d--) {
                    idx[d]++;
                    offset += strides[d];
                    if (idx[d] < shape[d]) break;
                    offset -= idx[d] * strides[d];
                    idx[d] = 0;
                }
            }
        }
        if (vo.length > 0) vo.store(acc, 0, acc.length, 0);
    }

    /** The kinds of reduction {@link #over} computes. */
    public enum Kind { SUM, MAX, MIN }

    /**
     * Reduces {@code src} over the dimensions flagged in {@code reduced} into {@code out}, whose element count is
     * the product of the kept dimensions (its shape may keep the reduced dims as 1 or drop them).
     * When {@code argOut} is given (MAX/MIN), it receives the flat index in src of the winning element.
     */
    public static void over(INDArray src, boolean[] reduced, INDArray out, Kind kind, long[] argOut) {
        long[] shape = src.shape();
        int rank = shape.length;
        long[] keptShape = new long[rank];
        for (int d = 0; d < rank; d++) keptShape[d] = reduced[d] ? 1 : shape[d];
        long[] strides = Shapes.broadcastStrides(keptShape, shape);
        Native.View vs = Native.view(src);
        Native.View vo = Native.view(out);
        int m = (int) vo.length;
        double[] acc = new double[m];
        if (kind != Kind.SUM) java.util.Arrays.fill(acc, kind == Kind.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        if (argOut != null) java.util.Arrays.fill(argOut, -1);
        long[] idx = new long[rank];
        long offset = 0;
        double[] buf = Scratch.doubles(3, Chunks.CHUNK);
        for (long s = 0; s < vs.length; s += Chunks.CHUNK) {
            int n = (int) Math.min(Chunks.CHUNK, vs.length - s);
            vs.load(s, n, buf, 0);
            for (int i = 0; i < n; i++) {
                int o = (int) offset;
                double v = buf[i];
                switch (kind) {
                    case SUM -> acc[o] += v;
                    case MAX -> {
                        // NaN wins, as in PyTorch
                        if (v > acc[o] || Double.isNaN(v) && !Double.isNaN(acc[o]) || argOut != null && argOut[o] < 0) {
                            acc[o] = v;
                            if (argOut != null) argOut[o] = s + i;
                        }
                    }
                    case MIN -> {
                        if (v < acc[o] || Double.isNaN(v) && !Double.isNaN(acc[o]) || argOut != null && argOut[o] < 0) {
                            acc[o] = v;
                            if (argOut != null) argOut[o] = s + i;
                        }
                    }
                }
                for (int d = rank - 1; d >= 0; d--) {
                    idx[d]++;
                    offset += strides[d];
                    if (idx[d] < shape[d]) break;
                    offset -= idx[d] * strides[d];
                    idx[d] = 0;
                }
            }
        }
        if (m > 0) vo.store(acc, 0, m, 0);
    }

    /** Rows of float32 summed in float over at most this many rows before they join the double totals. */
    private static final int FOLD_ROWS = 32;

    /**
     * acc[j] += Σ_r src[r, j] for a float32 src of rows of {@code inner} (a bias gradient: the sum over all leading
     * dimensions). Rows are split over the engine's threads; each piece adds rows in float32, a few at a time, into
     * its own double partial sums, and the pieces are added in order, so the result does not depend on timing.
     */
    private static void sumRowsFloat(Native.View src, int inner, double[] acc) {
        long rows = src.length / inner;
        java.util.Map<Long, double[]> partials = new java.util.TreeMap<>();
        Parallel.forRange(rows, Math.max(1, Chunks.GRAIN / inner), (from, to) -> {
            float[] row = new float[inner];
            float[] some = new float[inner];
            double[] part = new double[inner];
            int pending = 0;
            for (long r = from; r < to; r++) {
                src.loadFloats(r * inner, inner, row, 0);
                for (int j = 0; j < inner; j++) some[j] += row[j];
                if (++pending == FOLD_ROWS || r == to - 1) {
                    for (int j = 0; j < inner; j++) {
                        part[j] += some[j];
                        some[j] = 0;
                    }
                    pending = 0;
                }
            }
            synchronized (partials) {
                partials.put(from, part);
            }
        });
        for (double[] part : partials.values()) {
            for (int j = 0; j < inner; j++) acc[j] += part[j];
        }
    }
}
