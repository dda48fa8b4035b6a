package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import java.util.Collection;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), in PyTorch's order: first p = p − lr·λ·p, then the
 * Adam update of {@link Adam} with the plain gradient. Default weight decay 0.01, as in PyTorch. Biases and norm
 * weights usually get λ = 0 through {@link ParamGroup#decayAndNoDecay}.
 */
public final class AdamW extends Adam {
    /** AdamW's defaults: Adam's, with weight decay 0.01. */
    public static Options options() {
        return new Options(0.01);
    }

    public AdamW(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public AdamW(Collection<Tensor> params, Options options) {
        this(single(params), options);
    }

    /** Several groups; settings they leave unset come from {@code defaults}. */
    public AdamW(List<ParamGroup> groups, Options defaults) {
        super("AdamW", groups, defaults, true);
    }
}
