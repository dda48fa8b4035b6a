package io.carpathia.engine.ops;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Node;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.FloatRows;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import io.carpathia.engine.cpu.Rows;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fused layer normalisation over the last dimension: one pass per row forward, one per row backward. float64 rows are
 * computed in double; float32 rows in float32 (as PyTorch does), with their sums by {@link FloatRows} and the
 * weight and bias gradients gathered in float over at most {@value #FOLD_ROWS} rows before they are added up in
 * double.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * Rows shorter than this stay in double even in float32: vectors gain them nothing, and the shortest are where
     * float32 would lose digits (with C = 2 the output is ±1 whatever x, and x's gradient cancels to the size of
     * eps).
     */
    private static final int MIN_FLOAT_ROW = 32;

    /** Rows whose weight and bias gradients are summed in float32 before they join the double totals. */
    private static final int FOLD_ROWS = 32;

    /**
     * (x - mean) / sqrt(var + eps) · weight + bias over the last dim; weight and bias [C] may be null. The variance
     * is the biased one (divided by C), as in PyTorch's LayerNorm. x: [..., C] -> [..., C].
     */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        long[] xs = x.shape();
        if (xs.length == 0) {
            throw new ShapeException("layerNorm: the input must have at least one dimension (the normalised one), "
                    + "got a scalar");
        }
        int c = Math.toIntExact(xs[xs.length - 1]);
        checkAffine("weight", weight, c, xs);
        checkAffine("bias", bias, c, xs);
        if (!(eps >= 0)) throw new IllegalArgumentException("layerNorm: eps must be ≥ 0, got " + eps);
        long rows = c == 0 ? 0 : x.numel() / c;
        DataType dt = Autograd.floatType(x, weight, bias);
        Tensor out = Autograd.result(dt, xs);

        // the per-row statistics the backward needs; kept in double whatever the storage type
        boolean keep = Autograd.needsGrad(x, weight, bias);
        INDArray mean = keep ? Autograd.temp(DataType.DOUBLE, rows) : null;
        INDArray rstd = keep ? Autograd.temp(DataType.DOUBLE, rows) : null;
        double[] w = weight == null ? null : weight.toDoubleArray();
        double[] b = bias == null ? null : bias.toDoubleArray();
        Native.View vx = Native.view(x.value());
        Native.View vy = Native.view(out.value());
        Native.View vMean = keep ? Native.view(mean) : null;
        Native.View vRstd = keep ? Native.view(rstd) : null;
        boolean f32 = c >= MIN_FLOAT_ROW && isFloat(x) && out.value().dataType() == DataType.FLOAT
                && (weight == null || isFloat(weight)) && (bias == null || isFloat(bias));
        float[] wf = f32 && weight != null ? floats(weight) : null;
        float[] bf = f32 && bias != null ? floats(bias) : null;
        if (f32) Parallel.forRange(rows, grain(c), (from, to) -> {
            float[] row = new float[c];
            for (long r = from; r < to; r++) {
                vx.loadFloats(r * c, c, row, 0);
                double m = FloatRows.sum(row, c) / c;
                center(row, c, m);
                // two passes: Σ(x - mean)² loses nothing to cancellation, unlike E[x²] - mean²
                float s = (float) (1 / Math.sqrt(FloatRows.dot(row, row, c) / c + eps));
                if (wf != null && bf != null) {
                    for (int i = 0; i < c; i++) row[i] = row[i] * s * wf[i] + bf[i];
                } else if (wf != null) {
                    for (int i = 0; i < c; i++) row[i] = row[i] * s * wf[i];
                } else if (bf != null) {
                    for (int i = 0; i < c; i++) row[i] = row[i] * s + bf[i];
                } else {
                    for (int i = 0; i < c; i++) row[i] *= s;
                }
                vy.storeFloats(row, 0, c, r * c);
                if (vMean != null) {
                    vMean.set(r, m);
                    vRstd.set(r, s);
                }
            }
        });
        else Parallel.forRange(rows, grain(c), (from, to) -> {
            double[] row = new double[c];
            for (long r = from; r < to; r++) {
                vx.load(r * c, c, row, 0);
                double m = Rows.sum(row, c) / c;
                for (int i = 0; i < c; i++) row[i] -= m;
                // two passes: Σ(x - mean)² loses nothing to cancellation, unlike E[x²] - mean²
                double var = Rows.dot(row, row, c) / c;
                double s = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < c; i++) row[i] *= s;
                if (w != null) for (int i = 0; i < c; i++) row[i] *= w[i];
                if (b != null) for (int i = 0; i < c; i++) row[i] += b[i];
                vy.store(row, 0, c, r * c);
                if (vMean != null) {
                    vMean.set(r, m);
                    vRstd.set(r, s);
                }
            }
        });

        Node node = Autograd.record(out, "layerNorm", g -> {
            // xhat = (x - mean)·rstd, y = xhat·w + b, dxhat = g·w:
            //   dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
            //   dw = Σ_rows g · xhat,  db = Σ_rows g
            boolean needX = x.requiresGrad();
            boolean needW = weight != null && weight.requiresGrad();
            boolean needB = bias != null && bias.requiresGrad();
            INDArray gx = needX ? Autograd.temp(dt, xs) : null;
            Native.View vg = Native.view(g);
            Native.View vgx = needX ? Native.view(gx) : null;
            // per-piece partial sums of dw and db, added up in piece order so the result is reproducible
            Map<Long, double[][]> partials = new TreeMap<>();
            if (f32 && g.dataType() == DataType.FLOAT) Parallel.forRange(rows, grain(c), (from, to) -> {
                float[] xhat = new float[c];
                float[] dxhat = new float[c];
                float[] dwf = needW ? new float[c] : null;
                float[] dbf = needB ? new float[c] : null;
                double[] dw = needW ? new double[c] : null;
                double[] db = needB ? new double[c] : null;
                int folded = 0;
                for (long r = from; r < to; r++) {
                    vx.loadFloats(r * c, c, xhat, 0);
                    vg.loadFloats(r * c, c, dxhat, 0); // g for now; g·w below
                    center(xhat, c, vMean.get(r));
                    float s = (float) vRstd.get(r);
                    for (int i = 0; i < c; i++) xhat[i] *= s;
                    if (dwf != null) for (int i = 0; i < c; i++) dwf[i] += dxhat[i] * xhat[i];
                    if (dbf != null) for (int i = 0; i < c; i++) dbf[i] += dxhat[i];
                    if (++folded == FOLD_ROWS || r == to - 1) {
                        fold(dwf, dw);
                        fold(dbf, db);
                        folded = 0;
                    }
                    if (vgx == null) continue;
                    if (wf != null) for (int i = 0; i < c; i++) dxhat[i] *= wf[i];
                    float meanDxhat = (float) (FloatRows.sum(dxhat, c) / c);
                    float meanDxhatXhat = (float) (FloatRows.dot(dxhat, xhat, c) / c);
                    for (int i = 0; i < c; i++) dxhat[i] = s * (dxhat[i] - meanDxhat - xhat[i] * meanDxhatXhat);
                    vgx.storeFloats(dxhat, 0, c, r * c);
                }
                if (needW || needB) {
                    synchronized (partials) {
                        partials.put(from, new double[][] {dw, db});
                    }
                }
            });
            else Parallel.forRange(rows, grain(c), (from, to) -> {
                double[] xhat = new double[c];
                double[] dxhat = new double[c];
                double[] dw = needW ? new double[c] : null;
                double[] db = needB ? new double[c] : null;
                for (long r = from; r < to; r++) {
                    vx.load(r * c, c, xhat, 0);
                    vg.load(r * c, c, dxhat, 0); // g for now; g·w below
                    double m = vMean.get(r);
                    double s = vRstd.get(r);
                    for (int i = 0; i < c; i++) xhat[i] = (xhat[i] - m) * s;
                    if (dw != null) for (int i = 0; i < c; i++) dw[i] += dxhat[i] * xhat[i];
                    if (db != null) for (int i = 0; i < c; i++) db[i] += dxhat[i];
                    if (vgx == null) continue;
                    if (w != null) for (int i = 0; i < c; i++) dxhat[i] *= w[i];
                    double meanDxhat = Rows.sum(dxhat, c) / c;
                    double meanDxhatXhat = Rows.dot(dxhat, xhat, c) / c;
                    for (int i = 0; i < c; i++) dxhat[i] = s * (dxhat[i] - meanDxhat - xhat[i] * meanDxhatXhat);
                    vgx.store(dxhat, 0, c, r * c);
                }
                if (needW || needB) {
                    synchronized (partials) {
                        partials.put(from, new double[][] {dw, db});
                    }
                }
            });
            if (needX) Autograd.accumulate(x, gx, true);
            if (needW) Autograd.accumulate(weight, sumOf(partials, 0, c, dt), true);
            if (needB) Autograd.accumulate(bias, sumOf(partials, 1, c, dt), true);
        }, x, weight, bias);
        if (keep) {
            Autograd.saveOrRelease(node, mean);
            Autograd.saveOrRelease(node, rstd);
        }
        return out;
    }

    /** A float32 tensor's values, copied as they are (a decoding step calls this per layer norm, per token). */
    private static float[] floats(Tensor t) {
        float[] f = new float[Math.toIntExact(t.numel())];
        if (f.length > 0) Native.view(Native.dense(t.value())).loadFloats(0, f.length, f, 0);
        return f;
    }

    private static boolean isFloat(Tensor t) {
        return t.value().dataType() == DataType.FLOAT;
    }

    /**
     * row[i] −= mean in float32, the mean taken as a float plus a float remainder: x − hi is exact for the x near
     * the mean, so a large mean (say 100, spread 5) costs the centred values no digits.
     */
    private static void center(float[] row, int c, double mean) {
        float hi = (float) mean;
        float lo = (float) (mean - hi);
        for (int i = 0; i < c; i++) row[i] = (row[i] - hi) - lo;
    }

    /** total += part, then part = 0 (part may be null: nothing to do). */
    private static void fold(float[] part, double[] total) {
        if (part == null) return;
        for (int i = 0; i < part.length; i++) {
            total[i] += part[i];
            part[i] = 0;
        }
    }

    private static void checkAffine(String name, Tensor t, int c, long[] xs) {
        if (t != null && (t.rank() != 1 || t.size(0) != c)) {
            throw new ShapeException("layerNorm: " + name + " must have shape [" + c + "] (the last dimension of the "
                    + "input " + Shapes.str(xs) + "), got " + Shapes.str(t.shape()));
        }
    }

    /** Rows per piece of parallel work: about {@link Chunks#GRAIN} values. */
    private static long grain(int c) {
        return Math.max(1, Chunks.GRAIN / Math.max(c, 1));
    }

    /** The sum over pieces of partial[slot], in piece order, as a pooled [c] array. */
    private static INDArray sumOf(Map<Long, double[][]> partials, int slot, int c, DataType dt) {
        double[] total = new double[c];
        for (double[][] p : partials.values()) {
            for (int i = 0; i < c; i++) total[i] += p[slot][i];
        }
        INDArray a = Autograd.temp(dt, c);
        Native.fromDoubles(total, a);
        return a;
    }
}
