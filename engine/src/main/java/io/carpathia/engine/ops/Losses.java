package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;

/** Loss functions. (To be implemented.) */
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
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, long ignoreIndex, double labelSmoothing, Reduction reduction) { throw new UnsupportedOperationException("crossEntropy"); }

    public static Tensor mseLoss(Tensor x, Tensor target) {
        return mseLoss(x, target, Reduction.MEAN);
    }

    public static Tensor mseLoss(Tensor x, Tensor target, Reduction reduction) { throw new UnsupportedOperationException("mseLoss"); }
}
