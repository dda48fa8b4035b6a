package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/** Parameters with a known gradient, so optimizer steps can be compared with the formulas computed by hand. */
final class OptimTesting {
    private OptimTesting() {}

    static Tensor param(double... values) {
        return Tensor.of(DataType.DOUBLE, values, values.length).requiresGrad(true);
    }

    static Tensor param(DataType dtype, double... values) {
        return Tensor.of(dtype, values, values.length).requiresGrad(true);
    }

    /**
     * Backpropagates L = Σ ½·c·p², so each parameter's gradient is g = c ⊙ p: it changes from step to step with the
     * parameters, as a real loss's does. {@code c[k]} holds the curvatures of parameter k.
     */
    static void backwardQuadratic(List<Tensor> params, double[][] c) {
        Tensor loss = null;
        for (int k = 0; k < params.size(); k++) {
            Tensor p = params.get(k);
            Tensor ck = Tensor.of(p.dtype(), c[k], p.shape());
            Tensor term = p.mul(p).mul(ck).sum().mul(0.5);
            loss = loss == null ? term : loss.add(term);
        }
        loss.backward();
    }

    /** The gradient {@link #backwardQuadratic} produces for parameter values {@code p}. */
    static double[] grad(double[] c, double[] p) {
        double[] g = new double[p.length];
        for (int i = 0; i < p.length; i++) g[i] = c[i] * p[i];
        return g;
    }
}
