package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;

/** Fused scaled-dot-product attention. (To be implemented.) */
public final class Attention {
    private Attention() {}

    /**
     * softmax(q·kᵀ/√d + mask) · v. q: [..., Tq, d], k: [..., Tk, d], v: [..., Tk, dv] -> [..., Tq, dv].
     * {@code attnMask} (nullable) is added to the scores and broadcasts to [..., Tq, Tk] (0 to keep, -inf or a
     * large negative to drop: padding masks are [B, 1, 1, Tk]); {@code causal} drops keys after the query's position.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, boolean causal) { throw new UnsupportedOperationException("attention"); }
}
