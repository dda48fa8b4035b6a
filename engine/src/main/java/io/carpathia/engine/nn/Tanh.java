package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Activations;

/** tanh as a module, for {@link Sequential} stacks. */
public class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return emit(Activations.tanh(x), x);
    }
}
