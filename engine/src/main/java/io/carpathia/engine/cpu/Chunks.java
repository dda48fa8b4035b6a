package io.carpathia.engine.cpu;

import io.carpathia.engine.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The loop every elementwise kernel runs in. Operands are read a chunk at a time into per-thread {@code double[]}
 * scratch (widening float32, gathering broadcast operands), the op's arithmetic runs on those plain arrays — where
 * the JIT compiles it to vector instructions — and the result is narrowed back into the output. One implementation
 * of each op thus serves float32 and float64, and chunks split across cores for large arrays.
 *
 * <p>An op supplies only its arithmetic on a chunk, e.g. {@code (a, b, n) -> { for (i < n) a[i] *= b[i]; }}: the
 * first chunk holds the result.
 */
public final class Chunks {
    private Chunks() {}

    /** Elements per chunk: large enough to amortise the call, small enough to stay in L1/L2. */
    public static final int CHUNK = 4096;
    /** Below this many elements a loop stays on one thread. */
    public static final long GRAIN = 1 << 15;

    @FunctionalInterface
    public interface Unary {
        /** {@code x[i] = f(x[i])} for i < n. */
        void apply(double[] x, int n);
    }

    @FunctionalInterface
    public interface Binary {
        /** {@code a[i] = f(a[i], b[i])} for i < n. */
        void apply(double[] a, double[] b, int n);
    }

    @FunctionalInterface
    public interface Ternary {
        /** {@code a[i] = f(a[i], b[i], c[i])} for i < n. */
        void apply(double[] a, double[] b, double[] c, int n);
    }

    @FunctionalInterface
    public interface Body {
        /** Processes elements [from, from + n) with a per-thread scratch chunk {@code buf}. */
        void run(long from, int n, double[] buf);
    }

    /** Runs {@code body} over [0, n) chunk by chunk, on several threads when n is large. */
    public static void each(long n, Body body) {
        Parallel.forRange(n, GRAIN, (from, to) -> {
            double[] buf = Scratch.doubles(0, CHUNK);
            for (long s = from; s < to; s += CHUNK) {
                body.run(s, (int) Math.min(CHUNK, to - s), buf);
            }
        });
    }

    /** out = f(x), elementwise; x and out have the same number of elements (out may be x). */
    public static void map(INDArray x, INDArray out, Unary f) {
        Native.View vx = Native.view(x);
        Native.View vo = Native.view(out);
        each(vo.length, (from, n, buf) -> {
            vx.load(from, n, buf, 0);
            f.apply(buf, n);
            vo.store(buf, 0, n, from);
        });
    }

    /** out = f(a, b), elementwise, with a and b broadcast to out's shape. out may be a or b when shapes agree. */
    public static void zip(INDArray a, INDArray b, INDArray out, Binary f) {
        long[] shape = out.shape();
        Operand oa = new Operand(a, shape);
        Operand ob = new Operand(b, shape);
        Native.View vo = Native.view(out);
        Parallel.forRange(vo.length, GRAIN, (from, to) -> {
            double[] ba = Scratch.doubles(0, CHUNK);
            double[] bb = Scratch.doubles(1, CHUNK);
            for (long s = from; s < to; s += CHUNK) {
                int n = (int) Math.min(CHUNK, to - s);
                oa.read(s, n, ba);
                ob.read(s, n, bb);
                f.apply(ba, bb, n);
                vo.store(ba, 0, n, s);
            }
        });
    }

    /** out = src broadcast to out's shape (a bias repeated over rows, say); out is only written. */
    public static void broadcast(INDArray src, INDArray out) {
        Operand os = new Operand(src, out.shape());
        Native.View vo = Native.view(out);
        each(vo.length, (from, n, buf) -> {
            os.read(from, n, buf);
            vo.store(buf, 0, n, from);
        });
    }

    /** out = f(a, b, c), elementwise, all broadcast to out's shape. */
    public static void zip3(INDArray a, INDArray b, INDArray c, INDArray out, Ternary f) {
        long[] shape = out.shape();
        Operand oa = new Operand(a, shape);
        Operand ob = new Operand(b, shape);
        Operand oc = new Operand(c, shape);
        Native.View vo = Native.view(out);
        Parallel.forRange(vo.length, GRAIN, (from, to) -> {
            double[] ba = Scratch.doubles(0, CHUNK);
            double[] bb = Scratch.doubles(1, CHUNK);
            double[] bc = Scratch.doubles(2, CHUNK);
            for (long s = from; s < to; s += CHUNK) {
                int n = (int) Math.min(CHUNK, to - s);
                oa.read(s, n, ba);
                ob.read(s, n, bb);
                oc.read(s, n, bc);
                f.apply(ba, bb, bc, n);
                vo.store(ba, 0, n, s);
            }
        });
    }

    /**
     * One input of a zip, read as if broadcast to the output's shape. Same shape: bulk loads. One element: a fill.
     * Otherwise a gather that walks the output's multi-index with the input's broadcast strides (0 on broadcast
     * dimensions), loading whole runs at once when the input's last dimension is not broadcast.
     */
    static final class Operand {
        private final Native.View view;
        private final long[] outShape;
        private final long[] strides;
        private final boolean direct;
        private final boolean scalar;

        Operand(INDArray a, long[] outShape) {
            this.view = Native.view(a);
            this.outShape = outShape;
            // broadcasting only repeats size-1 dimensions, so the same element count means the same layout
            this.direct = a.length() == Shapes.numel(outShape);
            this.scalar = a.length() == 1;
            this.strides = Shapes.broadcastStrides(a.shape(), outShape);
        }

        void read(long start, int n, double[] dst) {
            if (direct) {
                view.load(start, n, dst, 0);
            } else if (scalar) {
                java.util.Arrays.fill(dst, 0, n, view.get(0));
            } else {
                gather(start, n, dst);
            }
        }

        private void gather(long start, int n, double[] dst) {
            int rank = outShape.length;
            long[] idx = new long[rank];
            long rem = start;
            long offset = 0;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % outShape[d];
                rem /= outShape[d];
                offset += idx[d] * strides[d];
            }
            int last = rank - 1;
            long inner = outShape[last];
            int i = 0;
            while (i < n) {
                // the rest of the current innermost run
                int run = (int) Math.min(n - i, inner - idx[last]);
                if (strides[last] == 1) {
                    view.load(offset, run, dst, i);
                } else if (strides[last] == 0) {
                    java.util.Arrays.fill(dst, i, i + run, view.get(offset));
                } else {
                    for (int k = 0; k < run; k++) dst[i + k] = view.get(offset + k * strides[last]);
                }
                i += run;
                // advance the multi-index by `run` positions: carry into outer dimensions
                offset += run * strides[last];
                idx[last] += run;
                for (int d = last; d > 0 && idx[d] == outShape[d]; d--) {
                    offset -= idx[d] * strides[d];
                    idx[d] = 0;
                    idx[d - 1]++;
                    offset += strides[d - 1];
                }
            }
        }
    }
}
