package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Activations;

/** max(0, x) as a module, for {@link Sequential} stacks. */
public class Relu extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return emit(Activations.relu(x), x);
    }
}
