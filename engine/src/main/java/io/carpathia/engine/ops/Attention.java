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
import io.carpathia.engine.device.MatMul;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fused scaled-dot-product attention. For a group of heads, the scores q·kᵀ/√d and the product P·v are each one
 * strided-batched product over q, k, v and the output ({@link MatMul}: a BLAS call per head on the CPU, which BLAS
 * threads itself, or one launch on a GPU); between them one pass over the score rows, split across our threads,
 * adds the mask and turns the scores into probabilities in place. The probabilities are the one array the backward
 * saves; without a backward they live in a scratch for a group of heads at a time.
 *
 * <p>Masks follow PyTorch's {@code scaled_dot_product_attention}:
 * <ul>
 *   <li>{@code attnMask} is a FLOAT or DOUBLE tensor added to the scores (0 keeps a key, -inf drops it; an ALiBi or
 *   relative-position bias works too, and receives a gradient when it requires one), or a BOOL tensor where true
 *   means "may attend". It broadcasts to [..., Tq, Tk]: a padding mask is [B, 1, 1, Tk].</li>
 *   <li>{@code causal} lets query i see keys j ≤ i, aligned top-left like PyTorch's {@code is_causal}: when Tq ≠ Tk
 *   query 0 sees key 0 only. For decoding with a key/value cache (one new query against all cached keys) pass
 *   {@code causal = false}, or a mask aligned the way you need.</li>
 *   <li>A query row whose keys are all dropped (-inf everywhere) gets all-zero probabilities, so its output and its
 *   gradients are 0. PyTorch's math path gives NaN there; a padded query row then poisons nothing.</li>
 * </ul>
 */
public final class Attention {
    private Attention() {}

    /** The attention output and the probabilities softmax(q·kᵀ/√d + mask) that weighted v, [..., Tq, Tk]. */
    public record Result(Tensor output, Tensor probs) {}

    /**
     * softmax(q·kᵀ/√d + mask) · v. q: [..., Tq, d], k: [..., Tk, d], v: [..., Tk, dv] -> [..., Tq, dv].
     * {@code attnMask} (nullable) is added to the scores and broadcasts to [..., Tq, Tk] (0 to keep, -inf or a
     * large negative to drop: padding masks are [B, 1, 1, Tk]); {@code causal} drops keys after the query's position.
     * q, k and v must have the same leading (batch, head) dimensions. See the class comment for the mask rules.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal) {
        return attend(q, k, v, attnMask, causal, false).output();
    }

    /**
     * The same attention, also returning the probabilities [..., Tq, Tk] for whoever studies them (attention maps,
     * forward hooks). The probabilities are a copy outside the graph: read them, do not differentiate through them.
     */
    public static Result attentionWithProbs(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal) {
        return attend(q, k, v, attnMask, causal, true);
    }

    private static Result attend(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal, boolean wantProbs) {
        Dims s = new Dims(q, k, v);
        int tq = s.tq;
        int tk = s.tk;
        int d = s.d;
        int dv = s.dv;
        long heads = s.heads;
        long[] probsShape = s.withLast2(tq, tk);
        Mask mask = attnMask == null ? null : new Mask(attnMask, probsShape);
        double scale = d == 0 ? 1 : 1 / Math.sqrt(d);
        DataType dt = Autograd.floatType(q, k, v);
        INDArray qv = LinearAlgebra.computeType(q.value(), dt);
        INDArray kv = LinearAlgebra.computeType(k.value(), dt);
        INDArray vv = LinearAlgebra.computeType(v.value(), dt);

        Tensor out = Autograd.result(dt, s.withLast2(tq, dv));
        boolean keep = Autograd.needsGrad(q, k, v, attnMask);
        Tensor probsOut = wantProbs ? Autograd.result(dt, probsShape) : null;
        // P for every head when the backward or the caller needs it, else a scratch for a group of heads at a time
        INDArray probs = keep ? Autograd.temp(dt, probsShape) : wantProbs ? probsOut.value() : null;
        long group = probs != null ? heads : headsPerGroup(heads, tq, tk);
        INDArray p = probs != null ? probs : Autograd.temp(dt, group, tq, tk);
        INDArray ov = out.value();
        long tqk = (long) tq * tk;
        try {
            // per group of heads: the products on BLAS (which threads them itself), the softmax rows on our threads
            for (long h0 = 0; h0 < heads; h0 += group) {
                long h1 = Math.min(heads, h0 + group);
                long base = probs != null ? h0 * tqk : 0; // where head h0's [Tq, Tk] block starts in p
                int n = (int) (h1 - h0);
                // per head h: S = q·kᵀ/√d: [Tq, d] × [d, Tk] (k read transposed in place)
                MatMul.gemmStrided(false, true, tq, tk, d, scale, qv, h0 * tq * d, (long) tq * d, kv, h0 * tk * d,
                        (long) tk * d, 0, p, base, tqk, n);
                softmaxRows(p, base, h0, h1, tq, tk, mask, causal);
                // per head h: out = P·v: [Tq, Tk] × [Tk, dv]
                MatMul.gemmStrided(false, false, tq, dv, tk, 1, p, base, tqk, vv, h0 * tk * dv, (long) tk * dv, 0, ov,
                        h0 * tq * dv, (long) tq * dv, n);
            }
        } finally {
            if (probs == null) Autograd.release(p);
        }

        Node node = Autograd.record(out, "scaledDotProductAttention", g0 -> {
            // with S = q·kᵀ/√d + mask, P = softmax(S) by rows, O = P·v and dO = g:
            //   dv = Pᵀ·dO,  dP = dO·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),
            //   dq = dS·k/√d,  dk = dSᵀ·q/√d,  dmask = dS (summed over the dimensions it was broadcast along)
            INDArray g = LinearAlgebra.computeType(g0, dt);
            boolean needQ = q.requiresGrad();
            boolean needK = k.requiresGrad();
            boolean needV = v.requiresGrad();
            boolean needMask = attnMask != null && attnMask.requiresGrad();
            boolean needScores = needQ || needK || needMask;
            INDArray gq = needQ ? Autograd.temp(dt, q.shape()) : null;
            INDArray gk = needK ? Autograd.temp(dt, k.shape()) : null;
            INDArray gv = needV ? Autograd.temp(dt, v.shape()) : null;
            // dS for every head when the mask needs it, else a scratch for a group of heads at a time
            long dsGroup = needMask ? heads : headsPerGroup(heads, tq, tk);
            INDArray ds = !needScores ? null : needMask ? Autograd.temp(dt, probsShape) : Autograd.temp(dt, dsGroup, tq, tk);
            for (long h0 = 0; h0 < heads; h0 += dsGroup) {
                long h1 = Math.min(heads, h0 + dsGroup);
                long dsBase = needMask ? h0 * tqk : 0;
                int n = (int) (h1 - h0);
                long oOff = h0 * tq * dv;   // where head h0's [Tq, dv] block starts in dO
                // per head h: dv = Pᵀ·dO: [Tk, Tq] × [Tq, dv]
                if (needV) {
                    MatMul.gemmStrided(true, false, tk, dv, tq, 1, probs, h0 * tqk, tqk, g, oOff, (long) tq * dv, 0,
                            gv, h0 * tk * dv, (long) tk * dv, n);
                }
                if (!needScores) continue;
                // per head h: dP = dO·vᵀ: [Tq, dv] × [dv, Tk]
                MatMul.gemmStrided(false, true, tq, tk, dv, 1, g, oOff, (long) tq * dv, vv, h0 * tk * dv,
                        (long) tk * dv, 0, ds, dsBase, tqk, n);
                softmaxBackwardRows(probs, h0 * tqk, ds, dsBase, (h1 - h0) * tq, tk);
                // per head h: dq = dS·k/√d: [Tq, Tk] × [Tk, d];  dk = dSᵀ·q/√d: [Tk, Tq] × [Tq, d]
                if (needQ) {
                    MatMul.gemmStrided(false, false, tq, d, tk, scale, ds, dsBase, tqk, kv, h0 * tk * d, (long) tk * d,
                            0, gq, h0 * tq * d, (long) tq * d, n);
                }
                if (needK) {
                    MatMul.gemmStrided(true, false, tk, d, tq, scale, ds, dsBase, tqk, qv, h0 * tq * d, (long) tq * d,
                            0, gk, h0 * tk * d, (long) tk * d, n);
                }
            }
            if (needQ) Autograd.accumulate(q, gq, true);
            if (needK) Autograd.accumulate(k, gk, true);
            if (needV) Autograd.accumulate(v, gv, true);
            if (needMask) Autograd.accumulate(attnMask, ds, true);
            else if (ds != null) Autograd.release(ds);
        }, q, k, v, attnMask);
        if (keep) {
            if (probsOut != null) Native.copy(probs, probsOut.value());
            Autograd.saveOrRelease(node, probs);
        }
        return new Result(out, probsOut);
    }

    /**
     * Attention of the last n positions over a key/value cache, for inference (decoding).
     * <ul>
     *   <li>q: [B, n, H·d], the queries of positions length-n .. length-1 with the heads side by side, as the
     *   projection makes them;</li>
     *   <li>keys: [B, H, capacity, d] and values: [B, H, capacity, dv], storage whose first {@code length} rows per
     *   head hold the keys and values of positions 0 .. length-1. The rows after them are never read, so a cache can
     *   grow in place and is read where it lies: per head the products step capacity·d elements, nothing is
     *   copied.</li>
     * </ul>
     * Query i sees keys 0 .. length-n+i (causal, aligned bottom-right: a prompt of n tokens into an empty cache is
     * ordinary causal attention, one new token sees every cached key) -> [B, n, H·dv], heads side by side again.
     *
     * <p>Inference only: it records no backward, so it refuses inputs that would need one (run it under
     * {@code GradMode.off()}). q, keys and values share one type, FLOAT or DOUBLE: converting the storage would copy
     * the whole cache.
     */
    public static Tensor cachedAttention(Tensor q, Tensor keys, Tensor values, int length) {
        if (Autograd.needsGrad(q, keys, values)) {
            throw new IllegalStateException("cachedAttention: inference only (it has no backward), but an input "
                    + "requires grad: run it under GradMode.off()");
        }
        CacheDims s = new CacheDims(q, keys, values, length);
        int n = s.n;
        int d = s.d;
        int dv = s.dv;
        int cap = s.capacity;
        long heads = s.batch * s.heads;
        DataType dt = keys.dtype();
        Tensor out = Autograd.result(dt, s.batch, n, s.heads * dv);
        if (n == 0 || heads == 0) return out;
        // the products want each head's rows together, [B·H, n, d]; one position's [B, 1, H·d] already is that
        boolean oneQuery = n == 1;
        INDArray qh = oneQuery ? q.value() : Autograd.temp(dt, heads, n, d);
        INDArray oh = oneQuery ? out.value() : Autograd.temp(dt, heads, n, dv);
        if (!oneQuery) moveHeads(q.value(), qh, s.batch, n, s.heads, d, true);
        double scale = d == 0 ? 1 : 1 / Math.sqrt(d);
        // scores of a group of heads, [group, n, capacity]: head h's n×length block starts at h·n·capacity. Sized by
        // the capacity, not the length, so the same scratch serves every step until the cache grows.
        long group = headsPerGroup(heads, n, cap);
        long perHead = (long) n * cap;
        INDArray p = Autograd.temp(dt, group, n, cap);
        INDArray kv = keys.value();
        INDArray vv = values.value();
        try {
            for (long h0 = 0; h0 < heads; h0 += group) {
                int g = (int) (Math.min(heads, h0 + group) - h0);
                // per head h: S = q·K[0:length]ᵀ/√d: [n, d] × [d, length], K read transposed where it lies
                MatMul.gemmStrided(false, true, n, length, d, scale, qh, h0 * n * d, (long) n * d, kv, h0 * cap * d,
                        (long) cap * d, 0, p, 0, perHead, g);
                cachedSoftmaxRows(p, g, n, length, perHead);
                // per head h: out = P·V[0:length]: [n, length] × [length, dv]
                MatMul.gemmStrided(false, false, n, dv, length, 1, p, 0, perHead, vv, h0 * cap * dv, (long) cap * dv,
                        0, oh, h0 * n * dv, (long) n * dv, g);
            }
            if (!oneQuery) moveHeads(oh, out.value(), s.batch, n, s.heads, dv, false);
        } finally {
            Autograd.release(p);
            if (!oneQuery) {
                Autograd.release(qh);
                Autograd.release(oh);
            }
        }
        return out;
    }

    /**
     * Between [B, n, H·w] (heads side by side) and [B, H, n, w] (each head's rows together): row i of head h moves as
     * one run of w elements. {@code toHeads}: from the first layout to the second, else back.
     */
    private static void moveHeads(INDArray from, INDArray to, long batch, int n, long heads, int w, boolean toHeads) {
        Native.View src = Native.view(from);
        Native.View dst = Native.view(to);
        for (long b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                for (long h = 0; h < heads; h++) {
                    long packed = ((b * n + i) * heads + h) * w;
                    long perHead = ((b * heads + h) * n + i) * w;
                    if (toHeads) src.copyTo(packed, 1, w, dst, perHead);
                    else src.copyTo(perHead, 1, w, dst, packed);
                }
            }
        }
    }

    /**
     * Softmax in place of the score rows of {@code heads} heads, each an n×length block {@code perHead} elements
     * after the previous one; row i sees its first length-n+i+1 keys (the rest become 0).
     */
    private static void cachedSoftmaxRows(INDArray p, int heads, int n, int length, long perHead) {
        Native.View vp = Native.view(p);
        Parallel.forRange((long) heads * n, rowGrain(length), (from, to) -> {
            float[] floats = vp.isFloat() ? new float[length] : null;
            double[] doubles = vp.isFloat() ? null : new double[length];
            for (long r = from; r < to; r++) {
                int i = (int) (r % n);
                long off = (r / n) * perHead + (long) i * length;
                int visible = length - n + i + 1;
                if (floats != null) {
                    vp.loadFloats(off, visible, floats, 0);
                    softmaxRow(floats, visible, length);
                    vp.storeFloats(floats, 0, length, off);
                } else {
                    vp.load(off, visible, doubles, 0);
                    softmaxRow(doubles, visible, length, true);
                    vp.store(doubles, 0, length, off);
                }
            }
        });
    }

    /**
     * Turns the scores of heads [h0, h1), stored from {@code base} in p as rows of Tk, into probabilities: mask
     * added, causal keys dropped, softmax. Rows run in parallel.
     */
    private static void softmaxRows(INDArray p, long base, long h0, long h1, int tq, int tk, Mask mask,
                                    boolean causal) {
        if (tk == 0) return;
        Native.View vp = Native.view(p);
        boolean precise = p.dataType() == DataType.DOUBLE;
        if (vp.isFloat()) {
            // float32 scores: rows in float[], as PyTorch computes them (see FloatRows)
            Parallel.forRange((h1 - h0) * tq, rowGrain(tk), (from, to) -> {
                float[] row = new float[tk];
                for (long r = from; r < to; r++) {
                    long h = h0 + r / tq;
                    int i = (int) (r % tq);
                    long off = base + r * tk;
                    int visible = causal ? Math.min(i + 1, tk) : tk;
                    vp.loadFloats(off, visible, row, 0);
                    if (mask != null) mask.addRow(h, i, row, visible);
                    softmaxRow(row, visible, tk);
                    vp.storeFloats(row, 0, tk, off);
                }
            });
            return;
        }
        Parallel.forRange((h1 - h0) * tq, rowGrain(tk), (from, to) -> {
            double[] row = new double[tk];
            for (long r = from; r < to; r++) {
                long h = h0 + r / tq;
                int i = (int) (r % tq);
                long off = base + r * tk;
                // causal, top-left aligned: query i sees keys 0..i; the others get probability 0 without an exp
                int visible = causal ? Math.min(i + 1, tk) : tk;
                vp.load(off, visible, row, 0);
                if (mask != null) mask.addRow(h, i, row, visible);
                softmaxRow(row, visible, tk, precise);
                vp.store(row, 0, tk, off);
            }
        });
    }

    /** ds = P ⊙ (dP − rowsum(dP ⊙ P)) in place over {@code rows} rows of Tk (dP is in ds on entry). */
    private static void softmaxBackwardRows(INDArray probs, long pBase, INDArray ds, long dsBase, long rows, int tk) {
        if (tk == 0) return;
        Native.View vp = Native.view(probs);
        Native.View vds = Native.view(ds);
        if (vp.isFloat() && vds.isFloat()) {
            Parallel.forRange(rows, rowGrain(tk), (from, to) -> {
                float[] pRow = new float[tk];
                float[] dRow = new float[tk];
                for (long r = from; r < to; r++) {
                    vp.loadFloats(pBase + r * tk, tk, pRow, 0);
                    vds.loadFloats(dsBase + r * tk, tk, dRow, 0);
                    float dot = (float) FloatRows.dot(dRow, pRow, tk);
                    for (int j = 0; j < tk; j++) dRow[j] = pRow[j] * (dRow[j] - dot);
                    vds.storeFloats(dRow, 0, tk, dsBase + r * tk);
                }
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(tk), (from, to) -> {
            double[] pRow = new double[tk];
            double[] dRow = new double[tk];
            for (long r = from; r < to; r++) {
                vp.load(pBase + r * tk, tk, pRow, 0);
                vds.load(dsBase + r * tk, tk, dRow, 0);
                double dot = Rows.dot(dRow, pRow, tk);
                for (int j = 0; j < tk; j++) dRow[j] = pRow[j] * (dRow[j] - dot);
                vds.store(dRow, 0, tk, dsBase + r * tk);
            }
        });
    }

    /**
     * Softmax in place of the first {@code visible} scores of a row of {@code tk}; the rest become 0. A row whose
     * visible scores are all -inf (every key dropped) becomes zeros. {@code precise}: exponentials by
     * {@link Math#exp} (float64), else vectorised (float32).
     */
    static void softmaxRow(double[] row, int visible, int tk, boolean precise) {
        double max = Rows.max(row, visible);
        if (max == Double.NEGATIVE_INFINITY) {
            Arrays.fill(row, 0, tk, 0);
            return;
        }
        for (int j = 0; j < visible; j++) row[j] -= max;
        Rows.exp(row, visible, precise);
        double inv = 1 / Rows.sum(row, visible);
        for (int j = 0; j < visible; j++) row[j] *= inv;
        Arrays.fill(row, visible, tk, 0);
    }

    /** As {@link #softmaxRow(double[], int, int, boolean)} on a float32 row, by {@link FloatRows}. */
    static void softmaxRow(float[] row, int visible, int tk) {
        float max = FloatRows.max(row, visible);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(row, 0, tk, 0f);
            return;
        }
        double sum = FloatRows.expShifted(row, visible, max);
        FloatRows.scale(row, visible, (float) (1 / sum));
        Arrays.fill(row, visible, tk, 0f);
    }

    /** Rows per piece of parallel work: about {@link Chunks#GRAIN} values. */
    private static long rowGrain(int tk) {
        return Math.max(1, Chunks.GRAIN / Math.max(tk, 1));
    }

    /** Heads whose [Tq, Tk] scores fit a scratch of about 4M values (16 MiB in float32), at least one. */
    private static long headsPerGroup(long heads, int tq, int tk) {
        long perHead = Math.max(1, (long) tq * tk);
        return Math.max(1, Math.min(heads, (1L << 22) / perHead));
    }

    /** The sizes of q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv], checked against each other. */
    private static final class Dims {
        final long[] batch;
        final long heads;
        final int tq;
        final int tk;
        final int d;
        final int dv;

        Dims(Tensor q, Tensor k, Tensor v) {
            long[] qs = q.shape();
            long[] ks = k.shape();
            long[] vs = v.shape();
            if (qs.length < 2 || ks.length < 2 || vs.length < 2) {
                throw new ShapeException("scaledDotProductAttention: q, k and v must be at least 2-D ([..., T, d]), "
                        + "got q " + Shapes.str(qs) + ", k " + Shapes.str(ks) + ", v " + Shapes.str(vs));
            }
            batch = Arrays.copyOf(qs, qs.length - 2);
            if (!Shapes.same(batch, Arrays.copyOf(ks, ks.length - 2))
                    || !Shapes.same(batch, Arrays.copyOf(vs, vs.length - 2))) {
                throw new ShapeException("scaledDotProductAttention: q, k and v must have the same leading "
                        + "dimensions, got q " + Shapes.str(qs) + ", k " + Shapes.str(ks) + ", v " + Shapes.str(vs));
            }
            tq = Math.toIntExact(qs[qs.length - 2]);
            d = Math.toIntExact(qs[qs.length - 1]);
            tk = Math.toIntExact(ks[ks.length - 2]);
            dv = Math.toIntExact(vs[vs.length - 1]);
            if (ks[ks.length - 1] != d) {
                throw new ShapeException("scaledDotProductAttention: q and k must have the same last dimension d, "
                        + "got q " + Shapes.str(qs) + " and k " + Shapes.str(ks));
            }
            if (vs[vs.length - 2] != tk) {
                throw new ShapeException("scaledDotProductAttention: k and v must have the same number of keys Tk "
                        + "(dimension -2), got k " + Shapes.str(ks) + " and v " + Shapes.str(vs));
            }
            heads = Shapes.numel(batch);
        }

        long[] withLast2(long a, long b) {
            long[] r = Arrays.copyOf(batch, batch.length + 2);
            r[batch.length] = a;
            r[batch.length + 1] = b;
            return r;
        }
    }

    /** The sizes of q [B, n, H·d], keys [B, H, capacity, d], values [B, H, capacity, dv] and length, checked. */
    private static final class CacheDims {
        final long batch;
        final long heads;
        final int n;
        final int d;
        final int dv;
        final int capacity;

        CacheDims(Tensor q, Tensor keys, Tensor values, int length) {
            long[] qs = q.shape();
            long[] ks = keys.shape();
            long[] vs = values.shape();
            String got = "got q " + Shapes.str(qs) + ", keys " + Shapes.str(ks) + ", values " + Shapes.str(vs);
            if (qs.length != 3 || ks.length != 4 || vs.length != 4) {
                throw new ShapeException("cachedAttention: q must be [B, n, H·d], keys [B, H, capacity, d] and values "
                        + "[B, H, capacity, dv], " + got);
            }
            batch = qs[0];
            heads = ks[1];
            n = Math.toIntExact(qs[1]);
            capacity = Math.toIntExact(ks[2]);
            d = Math.toIntExact(ks[3]);
            dv = Math.toIntExact(vs[3]);
            if (ks[0] != batch || vs[0] != batch || vs[1] != heads || vs[2] != capacity) {
                throw new ShapeException("cachedAttention: keys and values must agree on B, H and capacity, and with "
                        + "q on B, " + got);
            }
            if (qs[2] != heads * d) {
                throw new ShapeException("cachedAttention: q's last dimension must hold H·d = " + heads + "·" + d
                        + " values (heads side by side), " + got);
            }
            if (length < n || length > capacity) {
                throw new ShapeException("cachedAttention: length " + length + " must count the " + n
                        + " new queries and fit the capacity " + capacity + " (n <= length <= capacity), " + got);
            }
            DataType t = keys.dtype();
            if (t != DataType.FLOAT && t != DataType.DOUBLE || values.dtype() != t || q.dtype() != t) {
                throw new IllegalArgumentException("cachedAttention: q, keys and values must all be FLOAT or all "
                        + "DOUBLE, got q " + q.dtype() + ", keys " + t + " and values " + values.dtype());
            }
        }
    }

    /** An additive mask read as if broadcast to the scores' shape [..., Tq, Tk]. */
    private static final class Mask {
        private final Native.View view;
        private final long[] batchShape;
        private final long[] strides;
        private final long rowStride;
        private final long colStride;

        Mask(Tensor mask, long[] scoresShape) {
            long[] ms = mask.shape();
            if (!broadcastsTo(ms, scoresShape)) {
                throw new ShapeException("scaledDotProductAttention: attnMask " + Shapes.str(ms)
                        + " does not broadcast to the scores' shape " + Shapes.str(scoresShape) + " ([..., Tq, Tk])");
            }
            INDArray values;
            if (mask.dtype() == DataType.BOOL) {
                // true = may attend -> 0, false -> -inf, as PyTorch reads a boolean attn_mask
                values = mask.value().castTo(DataType.DOUBLE);
                Chunks.map(values, values, (x, n) -> {
                    for (int i = 0; i < n; i++) x[i] = x[i] != 0 ? 0 : Double.NEGATIVE_INFINITY;
                });
            } else if (mask.dtype() == DataType.FLOAT || mask.dtype() == DataType.DOUBLE) {
                values = mask.value();
            } else {
                throw new IllegalArgumentException("scaledDotProductAttention: attnMask must be FLOAT or DOUBLE "
                        + "(added to the scores) or BOOL (true = attend), got " + mask.dtype());
            }
            view = Native.view(values);
            int rank = scoresShape.length;
            long[] all = Shapes.broadcastStrides(ms, scoresShape);
            batchShape = Arrays.copyOf(scoresShape, rank - 2);
            strides = Arrays.copyOf(all, rank - 2);
            rowStride = all[rank - 2];
            colStride = all[rank - 1];
        }

        /** True when every dimension of {@code shape} (aligned on the last) is 1 or the target's size. */
        private static boolean broadcastsTo(long[] shape, long[] target) {
            if (shape.length > target.length) return false;
            int shift = target.length - shape.length;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] != 1 && shape[i] != target[i + shift]) return false;
            }
            return true;
        }

        /** row[0..n) += mask[h, i, 0..n), h the flat index over the batch dimensions. */
        void addRow(long h, int i, double[] row, int n) {
            long off = offset(h, i);
            if (colStride == 0) {
                double m = view.get(off);
                for (int j = 0; j < n; j++) row[j] += m;
            } else {
                for (int j = 0; j < n; j++) row[j] += view.get(off + j);
            }
        }

        /** As {@link #addRow(long, int, double[], int)} on a float32 row. */
        void addRow(long h, int i, float[] row, int n) {
            long off = offset(h, i);
            if (colStride == 0) {
                float m = (float) view.get(off);
                for (int j = 0; j < n; j++) row[j] += m;
            } else {
                for (int j = 0; j < n; j++) row[j] += (float) view.get(off + j);
            }
        }

        /** Where row i of the mask for flat batch index h starts. */
        private long offset(long h, int i) {
            long off = (long) i * rowStride;
            for (int dim = batchShape.length - 1; dim >= 0; dim--) {
                off += (h % batchShape[dim]) * strides[dim];
                h /= batchShape[dim];
            }
            return off;
        }
    }
}
