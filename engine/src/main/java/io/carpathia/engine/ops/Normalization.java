package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;

/** Fused layer normalisation over the last dimension. (To be implemented.) */
public final class Normalization {
    private Normalization() {}

    /** (x - mean) / sqrt(var + eps) · weight + bias over the last dim; weight and bias [C] may be null. */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) { throw new UnsupportedOperationException("layerNorm"); }
}
