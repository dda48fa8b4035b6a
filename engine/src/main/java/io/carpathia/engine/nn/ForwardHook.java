package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import java.util.List;

/**
 * Called after a module's forward with its inputs and output, e.g. to capture activations:
 * <pre>{@code
 * List<Tensor> seen = new ArrayList<>();
 * try (var hook = model.module("h.0.mlp").registerForwardHook((m, in, out) -> seen.add(out.copy()))) {
 *     model.forward(ids);
 * }
 * }</pre>
 * The output belongs to the current {@link io.carpathia.engine.memory.Scope}: {@code copy()} it to keep it after the
 * scope closes. Inputs may contain nulls where a forward takes an optional tensor (a mask).
 */
@FunctionalInterface
public interface ForwardHook {
    void afterForward(Module module, List<Tensor> inputs, Tensor output);
}
