package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import java.util.Random;

/**
 * Inverted dropout: in training mode each element is zeroed with probability p and the rest scaled by 1/(1-p);
 * in evaluation mode (and for p = 0) the input passes through unchanged. The masks come from the given generator,
 * so a seed makes a training run repeatable.
 */
public class Dropout extends Module {
    public final double p;
    private final Random rng;

    public Dropout(double p, Random rng) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        if (rng == null) throw new IllegalArgumentException("Dropout: the random generator is null");
        this.p = p;
        this.rng = rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        return emit(io.carpathia.engine.ops.Dropout.dropout(x, p, isTraining(), rng), x);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
