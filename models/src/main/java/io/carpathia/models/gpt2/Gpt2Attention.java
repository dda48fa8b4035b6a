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
     * This step's keys and values are written into the cache, and the queries attend to everything cached up to
     * their own position (the prompt causally, a later single token to all).
     */
    Tensor forwardCached(Tensor x, Gpt2KvCache cache, int layer) {
        int n = (int) x.size(1);
        // x: [1, n, C] -> qkv: [1, n, 3C] -> q, k, v: [1, n, C] each, the heads side by side
        List<Tensor> qkv = cAttn.forward(x).split(nEmbd, 2);
        cache.append(layer, qkv.get(1), qkv.get(2));
        // [1, n, C], the keys and values read where they lie in the cache, [1, nh, capacity, hs]
        Tensor y = Attention.cachedAttention(qkv.get(0), cache.keys(layer), cache.values(layer), cache.length() + n);
        return cProj.forward(y);
    }
}
