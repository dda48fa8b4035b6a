package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.ops.Attention;
import java.util.List;
import java.util.Random;

/** GPT-2's causal self-attention: one projection to q, k, v ({@code c_attn}), scaled dot products, {@code c_proj}. */
public final class Gpt2Attention extends Module {
    private final int nHead;
    private final int nEmbd;
    private final Conv1D cAttn;
    private final Conv1D cProj;
    private final Dropout residDropout;
    private final double attnPdrop;
    private final Random rng;
    /** [T, T]: 0 on and below the diagonal, -inf above; rebuilt when T changes (training with attention dropout). */
    private Tensor causalMask;

    public Gpt2Attention(Gpt2Config config, Random rng) {
        this.nHead = config.nHead();
        this.nEmbd = config.nEmbd();
        double std = config.initializerRange();
        this.cAttn = registerModule("c_attn", new Conv1D(nEmbd, 3 * nEmbd, std, rng));
        // residual projections start smaller: std / √(2·n_layer), so the residual stream's variance stays put
        this.cProj = registerModule("c_proj", new Conv1D(nEmbd, nEmbd, std / Math.sqrt(2.0 * config.nLayer()), rng));
        this.residDropout = registerModule("resid_dropout", new Dropout(config.residPdrop(), rng));
        this.attnPdrop = config.attnPdrop();
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        long b = x.size(0);
        long t = x.size(1);
        long hs = nEmbd / nHead;
        // x: [B, T, C] -> qkv: [B, T, 3C] -> q, k, v: [B, T, C] each ([q | k | v] columns)
        List<Tensor> qkv = cAttn.forward(x).split(nEmbd, 2);
        // [B, T, C] -> [B, T, nh, hs] -> [B, nh, T, hs]
        Tensor q = qkv.get(0).view(b, t, nHead, hs).transpose(1, 2);
        Tensor k = qkv.get(1).view(b, t, nHead, hs).transpose(1, 2);
        Tensor v = qkv.get(2).view(b, t, nHead, hs).transpose(1, 2);
        Tensor y;                                                                // [B, nh, T, hs]
        if (isTraining() && attnPdrop > 0) {
            // attn_pdrop drops attention probabilities, which the fused op never forms: compose it instead
            Tensor scores = q.matmul(k.t()).mul(1 / Math.sqrt(hs)).add(causalMask(t));   // [B, nh, T, T]
            Tensor probs = io.carpathia.engine.ops.Dropout.dropout(scores.softmax(-1), attnPdrop, true, rng);
            y = probs.matmul(v);
        } else {
            y = Attention.scaledDotProductAttention(q, k, v, null, true);
        }
        // re-assemble the heads side by side: [B, nh, T, hs] -> [B, T, nh, hs] -> [B, T, C]
        y = y.transpose(1, 2).reshape(b, t, nEmbd);
        return emit(residDropout.forward(cProj.forward(y)), x);
    }

    private Tensor causalMask(long t) {
        if (causalMask == null || causalMask.size(0) != t) {
            double[] m = new double[(int) (t * t)];
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) m[i * (int) t + j] = j <= i ? 0 : Double.NEGATIVE_INFINITY;
            }
            causalMask = Tensor.of(m, t, t);
        }
        return causalMask;
    }

    /**
     * Inference over new tokens with a key/value cache: x: [1, n, C] at positions cache.length() ... + n - 1.
     * The first call (the prompt) attends causally; later single tokens attend to everything cached.
     */
    Tensor forwardCached(Tensor x, Gpt2KvCache cache, int layer) {
        long n = x.size(1);
        long hs = nEmbd / nHead;
        List<Tensor> qkv = cAttn.forward(x).split(nEmbd, 2);
        Tensor q = qkv.get(0).view(1, n, nHead, hs).transpose(1, 2);
        Tensor k = qkv.get(1).view(1, n, nHead, hs).transpose(1, 2);
        Tensor v = qkv.get(2).view(1, n, nHead, hs).transpose(1, 2);
        Tensor[] kv = cache.append(layer, k, v);   // [1, nh, past + n, hs]
        Tensor mask = null;
        boolean causal = false;
        if (n > 1) {
            if (cache.length() == 0) {
                causal = true;
            } else {
                // query i sits at position past + i: it may see keys 0 .. past + i
                int past = cache.length();
                double[] m = new double[(int) (n * (past + n))];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < past + n; j++) m[(int) (i * (past + n) + j)] = j <= past + i ? 0 : Double.NEGATIVE_INFINITY;
                }
                mask = Tensor.of(m, n, past + n);
            }
        }
        Tensor y = Attention.scaledDotProductAttention(q, kv[0], kv[1], mask, causal);
        y = y.transpose(1, 2).reshape(1, n, nEmbd);
        return cProj.forward(y);
    }
}
