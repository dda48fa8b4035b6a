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
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Loss functions, fused: the forward is one pass over the input and the backward one pass over its gradient. */
public final class Losses {
    private Losses() {}

    /** How per-element losses are combined. */
    public enum Reduction { MEAN, SUM, NONE }

    /** Cross-entropy with mean reduction, no ignore index, no smoothing. logits [..., C], target integer [...]. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, -100, 0.0, Reduction.MEAN);
    }

    /**
     * Fused log-softmax + NLL. Targets equal to {@code ignoreIndex} contribute nothing and are not counted in the
     * mean; {@code labelSmoothing} mixes the one-hot target with the uniform distribution (PyTorch's definition).
     *
     * <p>logits: [..., C] (classes last, unlike PyTorch's [N, C, d...]); target: integer class indices with the
     * logits' shape minus the last dimension. With ε = labelSmoothing and log p = logSoftmax(logits), a row with a
     * target t that is not ignored has the loss
     * <pre>  l = −(1 − ε) · log p[t] − (ε / C) · Σ_c log p[c]</pre>
     * and an ignored row has l = 0. MEAN divides Σ l by the number of rows that are not ignored, so a batch whose
     * targets are all ignored has a NaN mean (0 / 0), exactly as PyTorch; SUM adds them; NONE returns l with the
     * target's shape. A target outside [0, C) that is not the ignore index is an error.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, long ignoreIndex, double labelSmoothing,
                                      Reduction reduction) {
        long[] ls = logits.shape();
        if (ls.length == 0) {
            throw new ShapeException("crossEntropy: logits must be [..., C] with the classes last, got a scalar");
        }
        long[] rowShape = Arrays.copyOf(ls, ls.length - 1);
        if (!Shapes.same(target.shape(), rowShape)) {
            throw new ShapeException("crossEntropy: target must have the logits' shape without the class dimension, "
                    + Shapes.str(rowShape) + " for logits " + Shapes.str(ls) + ", got " + Shapes.str(target.shape()));
        }
        if (target.dtype().isFPType()) {
            throw new IllegalArgumentException("crossEntropy: target must hold integer class indices (see "
                    + "Tensor.indices), got a " + target.dtype() + " tensor");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0, 1], got " + labelSmoothing);
        }
        int c = Math.toIntExact(ls[ls.length - 1]);
        if (c == 0) throw new ShapeException("crossEntropy: logits " + Shapes.str(ls) + " have no classes");
        int rows = Math.toIntExact(Shapes.numel(rowShape));
        long[] targets = classIndices(target, rows);
        long counted = 0;
        for (long t : targets) {
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= c) {
                throw new IllegalArgumentException("crossEntropy: target " + t + " is out of range for " + c
                        + " classes (expected 0 ≤ target < " + c + ", or the ignore index " + ignoreIndex + ")");
            }
            counted++;
        }
        double eps = labelSmoothing;
        DataType dt = Autograd.floatType(logits);
        boolean precise = dt == DataType.DOUBLE;

        // per row: the loss l and log Σ_c e^z (the log-softmax's normaliser, all the backward needs besides z)
        boolean keep = Autograd.needsGrad(logits);
        double[] loss = new double[rows];
        Native.View vz = Native.view(logits.value());
        // float32 logits: rows in float[], reduced and exponentiated by FloatRows (as PyTorch, in float32). Their
        // backward recomputes the row's softmax as the forward did, so it needs no saved log Σ e^z
        boolean f32 = vz.isFloat();
        INDArray logSumExp = keep && !f32 ? Autograd.temp(DataType.DOUBLE, rows) : null;
        Native.View vlse = logSumExp != null ? Native.view(logSumExp) : null;
        if (f32) Parallel.forRange(rows, grain(c), (from, to) -> {
            float[] z = new float[c];
            for (int r = (int) from; r < to; r++) {
                long t = targets[r];
                if (t == ignoreIndex) continue;
                vz.loadFloats((long) r * c, c, z, 0);
                float max = FloatRows.max(z, c);
                double sumZ = eps == 0 ? 0 : FloatRows.sum(z, c);
                double zt = z[(int) t];
                double lse = max + Math.log(FloatRows.expShifted(z, c, max));
                loss[r] = rowLoss(lse, zt, sumZ, eps, c);
            }
        });
        else Parallel.forRange(rows, grain(c), (from, to) -> {
            double[] z = new double[c];
            for (int r = (int) from; r < to; r++) {
                long t = targets[r];
                if (t == ignoreIndex) {
                    if (vlse != null) vlse.set(r, 0);
                    continue;
                }
                vz.load((long) r * c, c, z, 0);
                double max = Rows.max(z, c);
                double sumZ = Rows.sum(z, c);
                double zt = z[(int) t];
                for (int i = 0; i < c; i++) z[i] -= max;
                Rows.exp(z, c, precise);
                double lse = max + Math.log(Rows.sum(z, c));
                loss[r] = rowLoss(lse, zt, sumZ, eps, c);
                if (vlse != null) vlse.set(r, lse);
            }
        });

        Tensor out;
        if (reduction == Reduction.NONE) {
            out = Autograd.result(dt, rowShape);
            Native.fromDoubles(loss, out.value());
        } else {
            double total = 0;
            for (double l : loss) total += l;
            out = Autograd.result(dt);
            Native.view(out.value()).set(0, reduction == Reduction.MEAN ? total / counted : total);
        }
        double meanScale = 1.0 / counted; // +inf when nothing is counted; then every row is ignored and unused

        Node node = Autograd.record(out, "crossEntropy", g -> {
            // dl/dz_k = p_k − (1 − ε)·[k = t] − ε/C for a counted row (0 for an ignored one), times that row's
            // share of g: g for SUM, g/counted for MEAN, g[row] for NONE
            INDArray gz = Autograd.temp(dt, ls);
            Native.View vg = Native.view(g);
            Native.View vgz = Native.view(gz);
            double scalar = reduction == Reduction.NONE ? 0 : vg.get(0) * (reduction == Reduction.MEAN ? meanScale : 1);
            if (f32) Parallel.forRange(rows, grain(c), (from, to) -> {
                float[] z = new float[c];
                for (int r = (int) from; r < to; r++) {
                    long t = targets[r];
                    if (t == ignoreIndex) {
                        Arrays.fill(z, 0);
                    } else {
                        double share = reduction == Reduction.NONE ? vg.get(r) : scalar;
                        vz.loadFloats((long) r * c, c, z, 0);
                        // p = e^(z − max) / Σ e^(z − max), the forward's softmax to the last bit
                        double sum = FloatRows.expShifted(z, c, FloatRows.max(z, c));
                        float a = (float) (share / sum);
                        float b = (float) (share * eps / c);
                        for (int i = 0; i < c; i++) z[i] = a * z[i] - b;
                        z[(int) t] -= (float) (share * (1 - eps));
                    }
                    vgz.storeFloats(z, 0, c, (long) r * c);
                }
            });
            else Parallel.forRange(rows, grain(c), (from, to) -> {
                double[] z = new double[c];
                for (int r = (int) from; r < to; r++) {
                    long t = targets[r];
                    if (t == ignoreIndex) {
                        Arrays.fill(z, 0);
                    } else {
                        double share = reduction == Reduction.NONE ? vg.get(r) : scalar;
                        double lse = vlse.get(r);
                        vz.load((long) r * c, c, z, 0);
                        double smooth = eps / c;
                        for (int i = 0; i < c; i++) z[i] -= lse;
                        Rows.exp(z, c, precise);            // p = e^(z − lse)
                        for (int i = 0; i < c; i++) z[i] = share * (z[i] - smooth);
                        z[(int) t] -= share * (1 - eps);
                    }
                    vgz.store(z, 0, c, (long) r * c);
                }
            });
            Autograd.accumulate(logits, gz, true);
        }, logits);
        if (logSumExp != null) Autograd.saveOrRelease(node, logSumExp);
        return out;
    }

    /**
     * One counted row's loss from its log Σ_c e^z ({@code lse}), its target's logit and the sum of its logits:
     * log p[t] = z[t] − lse and Σ_c log p[c] = Σ_c z[c] − C · lse.
     */
    private static double rowLoss(double lse, double zTarget, double sumZ, double eps, int c) {
        double nll = lse - zTarget;
        return eps == 0 ? nll : (1 - eps) * nll + eps / c * (c * lse - sumZ);
    }

    /** The class indices of an integer tensor, flattened. */
    private static long[] classIndices(Tensor target, int rows) {
        INDArray t = Native.dense(target.value());
        long[] out = new long[rows];
        long offset = t.offset();
        for (int i = 0; i < rows; i++) out[i] = t.data().getLong(offset + i);
        return out;
    }

    public static Tensor mseLoss(Tensor x, Tensor target) {
        return mseLoss(x, target, Reduction.MEAN);
    }

    /**
     * (x − target)², averaged (MEAN), added (SUM) or elementwise (NONE). x and target must have the same shape (no
     * broadcasting: a mismatch is nearly always a bug). Both may require grad. The MEAN of no elements is NaN.
     */
    public static Tensor mseLoss(Tensor x, Tensor target, Reduction reduction) {
        if (!Shapes.same(x.shape(), target.shape())) {
            throw new ShapeException("mseLoss: input " + Shapes.str(x.shape()) + " and target "
                    + Shapes.str(target.shape()) + " must have the same shape");
        }
        DataType dt = Autograd.floatType(x, target);
        long n = x.numel();
        Tensor out;
        if (reduction == Reduction.NONE) {
            out = Autograd.result(dt, x.shape());
            Chunks.zip(x.value(), target.value(), out.value(), (a, b, len) -> {
                for (int i = 0; i < len; i++) {
                    double d = a[i] - b[i];
                    a[i] = d * d;
                }
            });
        } else {
            double total = sumOfSquaredDifferences(x.value(), target.value());
            out = Autograd.result(dt);
            Native.view(out.value()).set(0, reduction == Reduction.MEAN ? total / n : total);
        }
        Autograd.record(out, "mseLoss", g -> {
            // d(x − t)²/dx = 2(x − t) = −d(x − t)²/dt, times g (a scalar for MEAN, with 1/n, and SUM)
            INDArray gx = Autograd.temp(dt, x.shape());
            if (reduction == Reduction.NONE) {
                Chunks.zip3(x.value(), target.value(), g, gx, (a, b, gg, len) -> {
                    for (int i = 0; i < len; i++) a[i] = 2 * (a[i] - b[i]) * gg[i];
                });
            } else {
                double k = 2 * Native.view(g).get(0) / (reduction == Reduction.MEAN ? n : 1);
                Chunks.zip(x.value(), target.value(), gx, (a, b, len) -> {
                    for (int i = 0; i < len; i++) a[i] = k * (a[i] - b[i]);
                });
            }
            if (target.requiresGrad()) Autograd.accumulate(target, Arithmetic.scaled(gx, -1), true);
            Autograd.accumulate(x, gx, true);
        }, x, target);
        return out;
    }

    /** Σ (a − b)² in double, summed per piece and then in piece order, so the result does not depend on timing. */
    private static double sumOfSquaredDifferences(INDArray a, INDArray b) {
        Native.View va = Native.view(a);
        Native.View vb = Native.view(b);
        Map<Long, Double> partials = new TreeMap<>();
        Parallel.forRange(va.length, Chunks.GRAIN, (from, to) -> {
            double[] ba = new double[Chunks.CHUNK];
            double[] bb = new double[Chunks.CHUNK];
            double s = 0;
            for (long start = from; start < to; start += Chunks.CHUNK) {
                int len = (int) Math.min(Chunks.CHUNK, to - start);
                va.load(start, len, ba, 0);
                vb.load(start, len, bb, 0);
                for (int i = 0; i < len; i++) {
                    double d = ba[i] - bb[i];
                    s += d * d;
                }
            }
            synchronized (partials) {
                partials.put(from, s);
            }
        });
        double total = 0;
        for (double s : partials.values()) total += s;
        return total;
    }

    /** Rows per piece of parallel work: about {@link Chunks#GRAIN} values. */
    private static long grain(int c) {
        return Math.max(1, Chunks.GRAIN / Math.max(c, 1));
    }
}
