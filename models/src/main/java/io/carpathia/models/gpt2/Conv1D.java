package io.carpathia.models.gpt2;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.ops.LinearAlgebra;
import java.util.Random;

/**
 * Hugging Face's {@code Conv1D}, GPT-2's dense layer: y = x·W + b with W stored [in, out] — the transpose of
 * nn.Linear's layout — so a checkpoint's {@code c_attn.weight} of shape [768, 2304] loads as it is.
 */
public final class Conv1D extends Module {
    public final int inFeatures;
    public final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    /** Weights ~ N(0, std²), bias 0 (GPT-2's initialisation; residual projections use a smaller std). */
    public Conv1D(int inFeatures, int outFeatures, double std, Random rng) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Tensor.randn(rng, inFeatures, outFeatures).mul(std).detach().copy());
        this.bias = registerParameter("bias", Tensor.zeros(outFeatures));
    }

    @Override
    public Tensor forward(Tensor x) { // x: [..., in] -> [..., out]
        return emit(LinearAlgebra.affine(x, weight, bias), x);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return "nf=" + outFeatures + ", nx=" + inFeatures;
    }
}
