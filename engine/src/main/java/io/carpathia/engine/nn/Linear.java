package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.LinearAlgebra;
import java.util.Random;

/**
 * y = x·Wᵀ + b with W: [out, in] and b: [out] (PyTorch's {@code nn.Linear}; parameters {@code weight}, {@code bias}).
 * x: [..., in] -> y: [..., out].
 *
 * <p>Initialised as PyTorch does: W from kaiming-uniform with a = √5, which is U(-1/√in, 1/√in), and b from the
 * same range, both drawn from the given generator (weight first, then bias) so a seed fixes the model.
 */
public class Linear extends Module {
    public final int inFeatures;
    public final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures, Random rng) {
        this(inFeatures, outFeatures, true, rng);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Random rng) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear: sizes must be positive, got in=" + inFeatures + ", out="
                    + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        // kaiming_uniform_(a=√5): gain = √(2 / (1 + a²)), bound = gain · √(3 / fan_in) = 1/√fan_in
        double a = Math.sqrt(5);
        double gain = Math.sqrt(2.0 / (1 + a * a));
        double weightBound = gain * Math.sqrt(3.0 / inFeatures);
        this.weight = registerParameter("weight", Tensor.uniform(rng, -weightBound, weightBound, outFeatures, inFeatures));
        double biasBound = 1 / Math.sqrt(inFeatures);
        this.bias = bias ? registerParameter("bias", Tensor.uniform(rng, -biasBound, biasBound, outFeatures)) : null;
    }

    /** x: [..., in] -> [..., out] */
    @Override
    public Tensor forward(Tensor x) {
        return emit(LinearAlgebra.linear(x, weight, bias), x);
    }

    /** [out, in] */
    public Tensor weight() {
        return weight;
    }

    /** [out], or null when the layer has no bias. */
    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return "in=" + inFeatures + ", out=" + outFeatures + ", bias=" + (bias != null);
    }
}
