package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;

/** Fused softmax and log-softmax over any dimension. (To be implemented.) */
public final class Softmax {
    private Softmax() {}

    public static Tensor softmax(Tensor x, int dim) { throw new UnsupportedOperationException("softmax"); }

    public static Tensor logSoftmax(Tensor x, int dim) { throw new UnsupportedOperationException("logSoftmax"); }
}
