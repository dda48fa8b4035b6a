package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;
import java.util.Random;

/** Inverted dropout with a seeded generator. (To be implemented.) */
public final class Dropout {
    private Dropout() {}

    /** Zeroes each element with probability p and scales the rest by 1/(1-p); identity when !training or p == 0. */
    public static Tensor dropout(Tensor x, double p, boolean training, Random rng) { throw new UnsupportedOperationException("dropout"); }
}
