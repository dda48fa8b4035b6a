package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Normalization;

/**
 * Layer normalisation over the last dimension: (x - mean) / √(var + eps) · weight + bias, weight initialised to
 * ones and bias to zeros (PyTorch's {@code nn.LayerNorm} over one dimension). x: [..., C] -> [..., C].
 */
public class LayerNorm extends Module {
    public final int normalizedSize;
    public final double eps;
    private final Tensor weight;
    private final Tensor bias;

    /** eps = 1e-5, PyTorch's default. */
    public LayerNorm(int normalizedSize) {
        this(normalizedSize, 1e-5);
    }

    public LayerNorm(int normalizedSize, double eps) {
        this(normalizedSize, eps, true);
    }

    /** Without {@code elementwiseAffine} the layer has no parameters and only normalises. */
    public LayerNorm(int normalizedSize, double eps, boolean elementwiseAffine) {
        if (normalizedSize <= 0) {
            throw new IllegalArgumentException("LayerNorm: size must be positive, got " + normalizedSize);
        }
        if (!(eps >= 0)) throw new IllegalArgumentException("LayerNorm: eps must be >= 0, got " + eps);
        this.normalizedSize = normalizedSize;
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(normalizedSize)) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", Tensor.zeros(normalizedSize)) : null;
    }

    /** x: [..., C] -> [..., C] */
    @Override
    public Tensor forward(Tensor x) {
        return emit(Normalization.layerNorm(x, weight, bias, eps), x);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return "(" + normalizedSize + ",), eps=" + eps + ", elementwise_affine=" + (weight != null);
    }
}
