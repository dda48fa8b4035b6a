package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, following
 * PyTorch's {@code torch.optim.SGD} exactly. With d = g + λ·p:
 * <pre>
 * b₁ = d                           (first step: the buffer starts as a copy of d)
 * bₜ = μ·bₜ₋₁ + (1 − τ)·d           (later steps; τ = dampening)
 * d  = d + μ·bₜ  if nesterov, else bₜ   (when μ ≠ 0)
 * p  = p − lr·d
 * </pre>
 * State per parameter: {@code momentum_buffer} (only when momentum ≠ 0).
 */
public final class SGD extends Optimizer {
    public static final String MOMENTUM = "momentum";
    public static final String DAMPENING = "dampening";
    /** 1 for Nesterov momentum, 0 for the classic form (group settings are numbers). */
    public static final String NESTEROV = "nesterov";

    /** The default settings; PyTorch's, with a learning rate to choose. */
    public static final class Options {
        private double lr = 1e-3;
        private double momentum = 0;
        private double dampening = 0;
        private boolean nesterov = false;
        private double weightDecay = 0;

        public Options lr(double lr) { this.lr = lr; return this; }
        public Options momentum(double momentum) { this.momentum = momentum; return this; }
        public Options dampening(double dampening) { this.dampening = dampening; return this; }
        public Options nesterov(boolean nesterov) { this.nesterov = nesterov; return this; }
        public Options weightDecay(double weightDecay) { this.weightDecay = weightDecay; return this; }

        Map<String, Double> toMap() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put(ParamGroup.LR, lr);
            m.put(MOMENTUM, momentum);
            m.put(DAMPENING, dampening);
            m.put(NESTEROV, nesterov ? 1.0 : 0.0);
            m.put(ParamGroup.WEIGHT_DECAY, weightDecay);
            return m;
        }
    }

    public static Options options() {
        return new Options();
    }

    /** Plain SGD over one group of parameters. */
    public SGD(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public SGD(Collection<Tensor> params, Options options) {
        this(single(params), options);
    }

    /** Several groups; settings they leave unset come from {@code defaults}. */
    public SGD(List<ParamGroup> groups, Options defaults) {
        super("SGD", groups, defaults.toMap(), "momentum_buffer");
    }

    @Override
    protected void validate(ParamGroup group, String where) {
        checkRange(where, "lr", group.lr(), 0, Double.POSITIVE_INFINITY);
        checkRange(where, "momentum", group.get(MOMENTUM), 0, Double.POSITIVE_INFINITY);
        checkRange(where, "weight_decay", group.weightDecay(), 0, Double.POSITIVE_INFINITY);
        double nesterov = group.get(NESTEROV);
        if (nesterov != 0 && nesterov != 1) {
            throw new IllegalArgumentException(where + ": nesterov must be 0 or 1, got " + nesterov);
        }
        if (nesterov == 1 && (group.get(MOMENTUM) <= 0 || group.get(DAMPENING) != 0)) {
            throw new IllegalArgumentException(where + ": Nesterov momentum requires momentum > 0 and dampening 0, got "
                    + "momentum " + group.get(MOMENTUM) + " and dampening " + group.get(DAMPENING));
        }
    }

    @Override
    protected void update(ParamGroup group, INDArray param, INDArray grad, ParamState state) {
        double lr = group.lr();
        double wd = group.weightDecay();
        double momentum = group.get(MOMENTUM);
        double dampening = group.get(DAMPENING);
        boolean nesterov = group.get(NESTEROV) == 1;
        if (momentum == 0) {
            UpdateLoop.run(param, grad, null, null, (p, g, a, b, n) -> {
                for (int i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
            });
            return;
        }
        boolean first = state.buffer(0) == null;
        INDArray buffer = state.zeros(0, param);
        UpdateLoop.run(param, grad, buffer, null, (p, g, buf, unused, n) -> {
            for (int i = 0; i < n; i++) {
                double d = g[i] + wd * p[i];
                buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
                p[i] -= lr * d;
            }
        });
    }
}
