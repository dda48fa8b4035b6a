package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adam (Kingma and Ba) as PyTorch's {@code torch.optim.Adam} computes it, weight decay being L2 regularisation
 * added to the gradient. At step t, with g = ∇ + λ·p:
 * <pre>
 * m = β₁·m + (1 − β₁)·g
 * v = β₂·v + (1 − β₂)·g²
 * p = p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)      (ε outside the square root)
 * </pre>
 * State per parameter: {@code exp_avg} (m) and {@code exp_avg_sq} (v). {@link AdamW} decouples the decay instead.
 */
public class Adam extends Optimizer {
    public static final String BETA1 = "beta1";
    public static final String BETA2 = "beta2";
    public static final String EPS = "eps";

    /** The default settings: PyTorch's (lr 1e-3, betas (0.9, 0.999), eps 1e-8). */
    public static final class Options {
        private double lr = 1e-3;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay;

        Options(double weightDecay) {
            this.weightDecay = weightDecay;
        }

        public Options lr(double lr) { this.lr = lr; return this; }
        public Options betas(double beta1, double beta2) { this.beta1 = beta1; this.beta2 = beta2; return this; }
        public Options eps(double eps) { this.eps = eps; return this; }
        public Options weightDecay(double weightDecay) { this.weightDecay = weightDecay; return this; }

        Map<String, Double> toMap() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put(ParamGroup.LR, lr);
            m.put(BETA1, beta1);
            m.put(BETA2, beta2);
            m.put(EPS, eps);
            m.put(ParamGroup.WEIGHT_DECAY, weightDecay);
            return m;
        }
    }

    /** Adam's defaults: weight decay 0. */
    public static Options options() {
        return new Options(0);
    }

    private final boolean decoupledWeightDecay;

    public Adam(Collection<Tensor> params, double lr) {
        this(params, options().lr(lr));
    }

    public Adam(Collection<Tensor> params, Options options) {
        this(single(params), options);
    }

    /** Several groups; settings they leave unset come from {@code defaults}. */
    public Adam(List<ParamGroup> groups, Options defaults) {
        this("Adam", groups, defaults, false);
    }

    Adam(String kind, List<ParamGroup> groups, Options defaults, boolean decoupledWeightDecay) {
        super(kind, groups, defaults.toMap(), "exp_avg", "exp_avg_sq");
        this.decoupledWeightDecay = decoupledWeightDecay;
    }

    @Override
    protected void validate(ParamGroup group, String where) {
        checkRange(where, "lr", group.lr(), 0, Double.POSITIVE_INFINITY);
        checkRange(where, "beta1", group.get(BETA1), 0, 1);
        checkRange(where, "beta2", group.get(BETA2), 0, 1);
        checkRange(where, "eps", group.get(EPS), 0, Double.POSITIVE_INFINITY);
        checkRange(where, "weight_decay", group.weightDecay(), 0, Double.POSITIVE_INFINITY);
    }

    @Override
    protected final void update(ParamGroup group, INDArray param, INDArray grad, ParamState state) {
        double lr = group.lr();
        double beta1 = group.get(BETA1);
        double beta2 = group.get(BETA2);
        double eps = group.get(EPS);
        double wd = group.weightDecay();
        long t = state.step();
        double stepSize = lr / (1 - Math.pow(beta1, t));
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        // AdamW shrinks the parameter before the Adam update; Adam adds λ·p to the gradient instead
        double shrink = decoupledWeightDecay ? 1 - lr * wd : 1;
        double l2 = decoupledWeightDecay ? 0 : wd;
        INDArray expAvg = state.zeros(0, param);
        INDArray expAvgSq = state.zeros(1, param);
        UpdateLoop.run(param, grad, expAvg, expAvgSq, (p, g, m, v, n) -> {
            for (int i = 0; i < n; i++) {
                double gi = g[i] + l2 * p[i];
                p[i] *= shrink;
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / biasCorrection2Sqrt + eps);
            }
        });
    }
}
