package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Activations;

/** GELU, exact (x·Φ(x), BERT's "gelu") or with the tanh approximation (GPT-2's "gelu_new"). */
public class Gelu extends Module {
    public enum Approximation {
        /** x·Φ(x) with the exact normal CDF (PyTorch's approximate='none'). */
        NONE,
        /** ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's approximate='tanh'). */
        TANH
    }

    public final Approximation approximation;

    /** The exact form. */
    public Gelu() {
        this(Approximation.NONE);
    }

    public Gelu(Approximation approximation) {
        this.approximation = approximation;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = approximation == Approximation.TANH ? Activations.geluTanh(x) : Activations.gelu(x);
        return emit(y, x);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximation.name().toLowerCase(java.util.Locale.ROOT) + "'";
    }
}
