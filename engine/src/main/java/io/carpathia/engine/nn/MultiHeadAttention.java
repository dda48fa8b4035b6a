package io.carpathia.engine.nn;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.ops.Attention;
import io.carpathia.engine.ops.Softmax;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head attention with separate query, key, value and output projections ({@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code out_proj}, each a {@link Linear} of [E, E]): self-attention with {@link #forward(Tensor)},
 * cross-attention with {@link #forward(Tensor, Tensor, Tensor, Tensor)}. Optionally causal (query i sees keys 0..i),
 * optionally with a padding mask over the keys.
 *
 * <p>Attention runs in the fused {@link Attention#scaledDotProductAttention}; only while training with dropout > 0
 * is it composed of primitive ops, because dropout applies to the attention probabilities, which the fused op never
 * materialises. Padded keys get the dtype's lowest finite score rather than -inf, as Hugging Face models do, so a
 * query whose keys are all padding attends uniformly (on both paths) instead of producing NaN.
 */
public class MultiHeadAttention extends Module {
    public final int embedDim;
    public final int numHeads;
    public final int headDim;
    public final double dropout;
    public final boolean causal;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;
    private final Random rng;

    /**
     * @param bias    whether the four projections have biases
     * @param dropout probability of dropping an attention weight while training
     * @param rng     initialises the projections (q, k, v, out in that order) and draws the dropout masks
     */
    public MultiHeadAttention(int embedDim, int numHeads, boolean bias, double dropout, boolean causal, Random rng) {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiHeadAttention: embed_dim " + embedDim + " must be a positive "
                    + "multiple of num_heads " + numHeads);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("MultiHeadAttention: dropout must be in [0, 1), got " + dropout);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        this.dropout = dropout;
        this.causal = causal;
        this.rng = rng;
        this.qProj = registerModule("q_proj", new Linear(embedDim, embedDim, bias, rng));
        this.kProj = registerModule("k_proj", new Linear(embedDim, embedDim, bias, rng));
        this.vProj = registerModule("v_proj", new Linear(embedDim, embedDim, bias, rng));
        this.outProj = registerModule("out_proj", new Linear(embedDim, embedDim, bias, rng));
    }

    /** Self-attention. x: [B, T, E] -> [B, T, E] */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null);
    }

    /** Self-attention over a padded batch. x: [B, T, E], paddingMask: [B, T] with 1 = token, 0 = padding. */
    public Tensor forward(Tensor x, Tensor paddingMask) {
        return forward(x, x, x, paddingMask);
    }

    /**
     * query: [B, Tq, E], key and value: [B, Tk, E], paddingMask: [B, Tk] (1 = attend, 0 = padding; any numeric
     * dtype) or null -> [B, Tq, E].
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor paddingMask) {
        return attend(query, key, value, paddingMask, false).output();
    }

    /**
     * The same forward, also returning the attention probabilities [B, nh, Tq, Tk] of every head (before dropout),
     * for attention maps. The probabilities are a copy outside the graph.
     */
    public Attention.Result forwardWithProbs(Tensor query, Tensor key, Tensor value, Tensor paddingMask) {
        return attend(query, key, value, paddingMask, true);
    }

    private Attention.Result attend(Tensor query, Tensor key, Tensor value, Tensor paddingMask, boolean wantProbs) {
        long[] qs = query.shape();
        long[] ks = key.shape();
        checkShapes(qs, ks, value.shape());
        long batch = qs[0];
        long tq = qs[1];
        long tk = ks[1];
        // [B, T, E] -> [B, T, nh, hs] -> [B, nh, T, hs]
        Tensor q = splitHeads(qProj.forward(query), batch, tq);
        Tensor k = splitHeads(kProj.forward(key), batch, tk);
        Tensor v = splitHeads(vProj.forward(value), batch, tk);
        Tensor mask = paddingMask == null ? null : additivePaddingMask(paddingMask, batch, tk, q.dtype());
        Attention.Result heads;
        if (isTraining() && dropout > 0) {
            heads = attendWithDropout(q, k, v, mask, wantProbs);
        } else if (wantProbs) {
            heads = Attention.attentionWithProbs(q, k, v, mask, causal);
        } else {
            heads = new Attention.Result(Attention.scaledDotProductAttention(q, k, v, mask, causal), null);
        }
        // [B, nh, Tq, hs] -> [B, Tq, nh, hs] -> [B, Tq, E]
        Tensor y = heads.output().transpose(1, 2).reshape(batch, tq, embedDim);
        Tensor out = emit(outProj.forward(y), query, key, value, paddingMask);
        return new Attention.Result(out, heads.probs());
    }

    private void checkShapes(long[] qs, long[] ks, long[] vs) {
        if (qs.length != 3 || ks.length != 3 || vs.length != 3 || qs[2] != embedDim || ks[2] != embedDim
                || vs[2] != embedDim || qs[0] != ks[0] || ks[0] != vs[0] || ks[1] != vs[1]) {
            throw new ShapeException("MultiHeadAttention: expected query [B, Tq, " + embedDim + "] and key, value [B, Tk, "
                    + embedDim + "], got query " + Shapes.str(qs) + ", key " + Shapes.str(ks) + ", value "
                    + Shapes.str(vs));
        }
    }

    private Tensor splitHeads(Tensor x, long batch, long t) {
        return x.reshape(batch, t, numHeads, headDim).transpose(1, 2);
    }

    /**
     * The unfused path: softmax(q·kᵀ/√hs + mask), dropout on those probabilities, then ·v.
     * q: [B, nh, Tq, hs], k, v: [B, nh, Tk, hs] -> [B, nh, Tq, hs]; probs (before dropout) when asked for.
     */
    Attention.Result attendWithDropout(Tensor q, Tensor k, Tensor v, Tensor mask, boolean wantProbs) {
        Tensor scores = q.matmul(k.t()).mul(1 / Math.sqrt(headDim)); // [B, nh, Tq, Tk]
        if (mask != null) scores = scores.add(mask);
        if (causal) scores = scores.add(causalMask(q.size(2), k.size(2), q.dtype()));
        Tensor probs = Softmax.softmax(scores, -1);
        Tensor kept = wantProbs ? probs.copy() : null;
        Tensor dropped = io.carpathia.engine.ops.Dropout.dropout(probs, dropout, isTraining(), rng);
        return new Attention.Result(dropped.matmul(v), kept);
    }

    /**
     * [Tq, Tk]: 0 where key j ≤ query i (top-left aligned, as the fused op and PyTorch's is_causal), -inf elsewhere,
     * so hidden keys get exactly zero weight even in a row whose visible keys are all padding.
     */
    private static Tensor causalMask(long tq, long tk, DataType dtype) {
        Tensor m = Autograd.result(dtype, tq, tk);
        Native.View view = Native.view(m.value());
        for (long i = 0; i < tq; i++) {
            for (long j = 0; j < tk; j++) view.set(i * tk + j, j <= i ? 0 : Double.NEGATIVE_INFINITY);
        }
        return m;
    }

    /** [B, Tk] of 1/0 -> additive [B, 1, 1, Tk]: 0 to attend, the dtype's lowest finite value for padding. */
    private static Tensor additivePaddingMask(Tensor paddingMask, long batch, long tk, DataType dtype) {
        long[] ms = paddingMask.shape();
        if (ms.length != 2 || ms[0] != batch || ms[1] != tk) {
            throw new ShapeException("MultiHeadAttention: padding mask must be [B, Tk] = [" + batch + ", " + tk
                    + "], got " + Shapes.str(ms));
        }
        INDArray raw = paddingMask.value();
        boolean readable = raw.dataType() == DataType.FLOAT || raw.dataType() == DataType.DOUBLE;
        double[] keep = Native.toDoubles(readable ? raw : raw.castTo(DataType.DOUBLE));
        Tensor m = Autograd.result(dtype, batch, 1, 1, tk);
        Native.View view = Native.view(m.value());
        double blocked = lowest(dtype);
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] != 0 && keep[i] != 1) {
                throw new IllegalArgumentException("MultiHeadAttention: padding mask holds " + keep[i] + " at [" + i / tk
                        + ", " + i % tk + "]; expected 1 (attend) or 0 (padding)");
            }
            view.set(i, keep[i] == 1 ? 0 : blocked);
        }
        return m;
    }

    private static double lowest(DataType dtype) {
        return dtype == DataType.DOUBLE ? -Double.MAX_VALUE : -Float.MAX_VALUE;
    }

    public Linear qProj() {
        return qProj;
    }

    public Linear kProj() {
        return kProj;
    }

    public Linear vProj() {
        return vProj;
    }

    public Linear outProj() {
        return outProj;
    }

    @Override
    protected String extraRepr() {
        return "embed_dim=" + embedDim + ", num_heads=" + numHeads + ", dropout=" + dropout + ", causal=" + causal;
    }
}
