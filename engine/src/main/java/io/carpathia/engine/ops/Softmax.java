package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.FloatRows;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import io.carpathia.engine.cpu.Rows;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fused softmax and log-softmax over any dimension, in one pass over the input per output element.
 *
 * <p>The tensor is read as [outer, n, inner], with n the size of the softmax dimension. Each lane (fixed outer and
 * inner index) is n values {@code inner} apart. The kernels work on blocks of lanes: for one outer index, the n × w
 * values of w neighbouring lanes are loaded into a {@code double[]} laid out [n][w] (one bulk load when the block
 * covers all of inner, as it always does for the last dimension), so the inner loops run along w contiguous values.
 * Arithmetic is in double; the exponentials of a whole block are taken at once (vectorised for float32, see
 * {@link Rows#exp}).
 *
 * <p>float32 tensors along their last dimension — nearly every softmax in a model — take a faster path: each row is
 * copied as it is into a {@code float[]} and reduced and exponentiated by {@link FloatRows}, as PyTorch computes it
 * in float32.
 */
public final class Softmax {
    private Softmax() {}

    /** Largest block of lanes a thread holds at once, in values: fits L2 with room to spare. */
    private static final int BLOCK = 1 << 14;

    /**
     * softmax(x)_i = e^(x_i - max) / Σ_j e^(x_j - max) along {@code dim}. A lane whose values are all -inf gives NaN,
     * as in PyTorch.
     */
    public static Tensor softmax(Tensor x, int dim) {
        Lanes lanes = new Lanes("softmax", x, dim);
        DataType dt = Autograd.floatType(x);
        boolean precise = dt == DataType.DOUBLE;
        Tensor out = Autograd.result(dt, x.shape());
        boolean rows = lanes.floatRows(x.value(), out.value());
        if (rows) {
            lanes.runRows(x.value(), null, out.value(), (v, unused, n) -> {
                // an all -inf row gives -inf - (-inf) = NaN here, as in PyTorch
                double sum = FloatRows.expShifted(v, n, FloatRows.max(v, n));
                FloatRows.scale(v, n, (float) (1 / sum));
            });
        } else {
            lanes.runBlocks(x.value(), null, out.value(), (v, unused, w, n) -> {
                // an all -inf lane gives -inf - (-inf) = NaN here, as in PyTorch
                for (int j = 0; j < w; j++) add(v, j, w, n, -laneMax(v, j, w, n));
                Rows.exp(v, n * w, precise);            // the whole block at once
                for (int j = 0; j < w; j++) scale(v, j, w, n, 1 / laneSum(v, j, w, n));
            });
        }
        Autograd.record(out, "softmax", g -> {
            // y = softmax(x):  dx_i = y_i · (g_i − Σ_j g_j·y_j)
            INDArray gx = Autograd.temp(dt, x.shape());
            if (rows && lanes.floatRows(g)) {
                lanes.runRows(g, out.value(), gx, (gy, y, n) -> {
                    float dot = (float) FloatRows.dot(gy, y, n);
                    for (int i = 0; i < n; i++) gy[i] = y[i] * (gy[i] - dot);
                });
            } else {
                lanes.run(g, out.value(), gx, (gy, y, off, stride, n) -> {
                    double dot = laneDot(gy, y, off, stride, n);
                    for (int i = 0, p = off; i < n; i++, p += stride) gy[p] = y[p] * (gy[p] - dot);
                });
            }
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** log softmax(x)_i = x_i - max - log Σ_j e^(x_j - max) along {@code dim}: no overflow, no log of 0. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        Lanes lanes = new Lanes("logSoftmax", x, dim);
        DataType dt = Autograd.floatType(x);
        boolean precise = dt == DataType.DOUBLE;
        Tensor out = Autograd.result(dt, x.shape());
        boolean rows = lanes.floatRows(x.value(), out.value());
        if (rows) {
            lanes.runRows(x.value(), null, out.value(), (v, e, n) -> {
                float max = FloatRows.max(v, n);
                System.arraycopy(v, 0, e, 0, n);
                // log Σ e^x = max + log Σ e^(x - max); subtracted in two steps, so a small result keeps its digits
                float logSum = (float) Math.log(FloatRows.expShifted(e, n, max));
                for (int i = 0; i < n; i++) v[i] = (v[i] - max) - logSum;
            });
        } else {
            lanes.runBlocks(x.value(), null, out.value(), (v, unused, w, n) -> {
                for (int j = 0; j < w; j++) add(v, j, w, n, -laneMax(v, j, w, n));
                double[] e = Chunks.scratch(n * w);
                System.arraycopy(v, 0, e, 0, n * w);
                Rows.exp(e, n * w, precise);
                // log Σ e^x = max + log Σ e^(x - max), and v holds x - max already
                for (int j = 0; j < w; j++) add(v, j, w, n, -Math.log(laneSum(e, j, w, n)));
            });
        }
        Autograd.record(out, "logSoftmax", g -> {
            // y = log softmax(x), so softmax = e^y:  dx_i = g_i − e^(y_i) · Σ_j g_j
            INDArray gx = Autograd.temp(dt, x.shape());
            if (rows && lanes.floatRows(g)) {
                lanes.runRows(g, out.value(), gx, (gy, y, n) -> {
                    float sum = (float) FloatRows.sum(gy, n);
                    FloatRows.expShifted(y, n, 0f);     // y's row is a loaded copy: it becomes the softmax
                    for (int i = 0; i < n; i++) gy[i] -= y[i] * sum;
                });
            } else {
                lanes.runBlocks(g, out.value(), gx, (gy, y, w, n) -> {
                    Rows.exp(y, n * w, precise);        // y's block is a loaded copy: it becomes the softmax
                    for (int j = 0; j < w; j++) {
                        double sum = laneSum(gy, j, w, n);
                        for (int i = 0, p = j; i < n; i++, p += w) gy[p] -= y[p] * sum;
                    }
                });
            }
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    // Lane loops: lane j of a block holds n values at j, j + w, j + 2w, ... (contiguous when w = 1)

    /** The largest value of a lane; NaN if it holds one, so that NaN propagates to the whole lane. */
    private static double laneMax(double[] v, int off, int stride, int n) {
        if (stride == 1) return Rows.max(v, n);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0, p = off; i < n; i++, p += stride) max = Math.max(max, v[p]);
        return max;
    }

    private static double laneSum(double[] v, int off, int stride, int n) {
        if (stride == 1) return Rows.sum(v, n);
        double sum = 0;
        for (int i = 0, p = off; i < n; i++, p += stride) sum += v[p];
        return sum;
    }

    private static double laneDot(double[] a, double[] b, int off, int stride, int n) {
        if (stride == 1) return Rows.dot(a, b, n);
        double dot = 0;
        for (int i = 0, p = off; i < n; i++, p += stride) dot += a[p] * b[p];
        return dot;
    }

    private static void add(double[] v, int off, int stride, int n, double c) {
        for (int i = 0, p = off; i < n; i++, p += stride) v[p] += c;
    }

    private static void scale(double[] v, int off, int stride, int n, double c) {
        for (int i = 0, p = off; i < n; i++, p += stride) v[p] *= c;
    }

    /**
     * The arithmetic on one lane of a block: n values at {@code off, off + stride, ...} of {@code a} (loaded, and
     * overwritten with the result) and of {@code b} (a second operand, or null).
     */
    @FunctionalInterface
    interface LaneOp {
        void apply(double[] a, double[] b, int off, int stride, int n);
    }

    /**
     * The arithmetic on a whole block: w lanes of n values, laid out [n][w] in {@code a} (loaded, and overwritten
     * with the result) and in {@code b} (a second operand, or null). Stride-1 lanes (w = 1) start at 0.
     */
    @FunctionalInterface
    interface BlockOp {
        void apply(double[] a, double[] b, int w, int n);
    }

    /**
     * The arithmetic on one contiguous float32 row of n values in {@code a} (loaded, and overwritten with the
     * result) and {@code b} (a second operand's row when one is given, else a scratch row of n).
     */
    @FunctionalInterface
    interface FloatRowOp {
        void apply(float[] a, float[] b, int n);
    }

    /** The lanes of a tensor along one dimension, and the block loop over them. */
    static final class Lanes {
        final long outer;
        final int n;
        final long inner;
        /** Lanes per block: all of inner when n·inner fits {@link #BLOCK}, else as many as fit (at least 1). */
        final int width;

        Lanes(String op, Tensor x, int dim) {
            long[] s = x.shape();
            int d = Shapes.dim(op, dim, Math.max(s.length, 1)); // a scalar accepts 0 and -1, as in PyTorch
            if (s.length == 0) {
                // a scalar is a single lane of one value, as in PyTorch (dim 0 or -1)
                outer = 1;
                n = 1;
                inner = 1;
            } else {
                long o = 1;
                for (int i = 0; i < d; i++) o *= s[i];
                long in = 1;
                for (int i = d + 1; i < s.length; i++) in *= s[i];
                outer = o;
                n = Math.toIntExact(s[d]);
                inner = in;
            }
            width = (int) Math.max(1, Math.min(inner, BLOCK / Math.max(n, 1)));
        }

        /**
         * For every block: loads {@code a} (and {@code b} when given) as [n][w], applies {@code op} to each of its w
         * lanes, and stores the first operand into {@code out}. All three arrays are dense with the tensor's shape.
         */
        void run(INDArray a, INDArray b, INDArray out, LaneOp op) {
            runBlocks(a, b, out, (ba, bb, w, len) -> {
                for (int j = 0; j < w; j++) op.apply(ba, bb, j, w, len);
            });
        }

        /** True when the lanes are contiguous rows (the last dimension) and every array given holds float32. */
        boolean floatRows(INDArray... arrays) {
            if (inner != 1) return false;
            for (INDArray a : arrays) {
                if (a.dataType() != DataType.FLOAT) return false;
            }
            return true;
        }

        /**
         * For every row: copies {@code a}'s (and {@code b}'s when given) into float arrays, applies {@code op} and
         * stores the first into {@code out}. Only when {@link #floatRows} holds for all three.
         */
        void runRows(INDArray a, INDArray b, INDArray out, FloatRowOp op) {
            if (n == 0 || outer == 0) return;
            Native.View va = Native.view(a);
            Native.View vb = b == null ? null : Native.view(b);
            Native.View vo = Native.view(out);
            Parallel.forRange(outer, Math.max(1, Chunks.GRAIN / n), (from, to) -> {
                float[] bufA = new float[n];
                float[] bufB = new float[n];
                for (long r = from; r < to; r++) {
                    va.loadFloats(r * n, n, bufA, 0);
                    if (vb != null) vb.loadFloats(r * n, n, bufB, 0);
                    op.apply(bufA, bufB, n);
                    vo.storeFloats(bufA, 0, n, r * n);
                }
            });
        }

        /** As {@link #run}, handing each block whole to {@code op}. */
        void runBlocks(INDArray a, INDArray b, INDArray out, BlockOp op) {
            if (n == 0 || outer == 0 || inner == 0) return;
            Native.View va = Native.view(a);
            Native.View vb = b == null ? null : Native.view(b);
            Native.View vo = Native.view(out);
            long blocksPerOuter = (inner + width - 1) / width;
            long blocks = outer * blocksPerOuter;
            long grain = Math.max(1, Chunks.GRAIN / ((long) n * width));
            Parallel.forRange(blocks, grain, (from, to) -> {
                double[] bufA = new double[n * width];
                double[] bufB = vb == null ? null : new double[n * width];
                for (long blk = from; blk < to; blk++) {
                    long o = blk / blocksPerOuter;
                    long start = (blk % blocksPerOuter) * width;
                    int w = (int) Math.min(width, inner - start);
                    long base = o * n * inner + start;
                    load(va, base, w, bufA);
                    if (vb != null) load(vb, base, w, bufB);
                    op.apply(bufA, bufB, w, n);
                    store(vo, base, w, bufA);
                }
            });
        }

        private void load(Native.View v, long base, int w, double[] buf) {
            if (w == inner) {
                v.load(base, n * w, buf, 0); // the block is contiguous
            } else {
                for (int i = 0; i < n; i++) v.load(base + i * inner, w, buf, i * w);
            }
        }

        private void store(Native.View v, long base, int w, double[] buf) {
            if (w == inner) {
                v.store(buf, 0, n * w, base);
            } else {
                for (int i = 0; i < n; i++) v.store(buf, i * w, w, base + i * inner);
            }
        }
    }
}
