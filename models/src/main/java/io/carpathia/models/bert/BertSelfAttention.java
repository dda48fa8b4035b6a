package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.ops.Attention;
import io.carpathia.engine.ops.Dropout;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/**
 * Bidirectional multi-head self-attention with separate {@code query}, {@code key} and {@code value} projections
 * (Hugging Face's BertSelfAttention): softmax(q·kᵀ/√hs + mask)·v per head, heads side by side. Runs in the engine's
 * fused attention; only while training with attention dropout is it composed of primitive ops, since the dropout
 * applies to the probabilities that the fused op never materialises.
 */
public final class BertSelfAttention extends Module {
    private final int numHeads;
    private final int headSize;
    private final int hidden;
    private final double attentionDropout;
    private final Random rng;
    private final Linear query;
    private final Linear key;
    private final Linear value;

    public BertSelfAttention(BertConfig config, Random rng) {
        this.numHeads = config.numAttentionHeads();
        this.headSize = config.headSize();
        this.hidden = config.hiddenSize();
        this.attentionDropout = config.attentionProbsDropoutProb();
        this.rng = rng;
        this.query = registerModule("query", new Linear(hidden, hidden, rng));
        this.key = registerModule("key", new Linear(hidden, hidden, rng));
        this.value = registerModule("value", new Linear(hidden, hidden, rng));
    }

    /**
     * x: [B, T, H], mask: additive [B, 1, 1, T] (0 = attend, the dtype's lowest value = padding) or null
     * -> the heads' context [B, T, H].
     */
    public Tensor forward(Tensor x, Tensor mask) {
        long b = x.size(0);
        long t = x.size(1);
        // [B, T, H] -> [B, T, nh, hs] -> [B, nh, T, hs]
        Tensor q = query.forward(x).view(b, t, numHeads, headSize).transpose(1, 2);
        Tensor k = key.forward(x).view(b, t, numHeads, headSize).transpose(1, 2);
        Tensor v = value.forward(x).view(b, t, numHeads, headSize).transpose(1, 2);
        Tensor context;                                                                  // [B, nh, T, hs]
        if (isTraining() && attentionDropout > 0) {
            Tensor scores = q.matmul(k.t()).mul(1 / Math.sqrt(headSize));                 // [B, nh, T, T]
            if (mask != null) scores = scores.add(mask);
            Tensor probs = Dropout.dropout(scores.softmax(-1), attentionDropout, true, rng);
            context = probs.matmul(v);
        } else {
            context = Attention.scaledDotProductAttention(q, k, v, mask, false);
        }
        // [B, nh, T, hs] -> [B, T, nh, hs] -> [B, T, H]
        return emit(context.transpose(1, 2).reshape(b, t, hidden), x, mask);
    }

    public Linear query() {
        return query;
    }

    public Linear key() {
        return key;
    }

    public Linear value() {
        return value;
    }
}
