package io.carpathia.engine.autograd;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Native;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Compares analytic gradients with central finite differences in float64, for any function of tensors. Use it in
 * your own tests:
 * <pre>{@code
 * GradCheck.assertGradients(in -> in.get(0).matmul(in.get(1)).tanh(), List.of(a, b));
 * }</pre>
 * Every floating-point input is copied to float64 and differentiated; integer inputs (indices, masks) are passed
 * through unchanged. A non-scalar output is reduced to a scalar with fixed random weights, so the gradient of every
 * output element is checked at once.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The worst disagreement found. */
    public record Result(double maxAbsError, double maxRelError, int input, long element, double analytic,
                         double numeric, boolean passed) {
        @Override
        public String toString() {
            return String.format("gradient check %s: worst at input %d element %d: analytic %.10g, numeric %.10g "
                    + "(abs err %.3g, rel err %.3g)", passed ? "passed" : "FAILED", input, element, analytic, numeric,
                    maxAbsError, maxRelError);
        }
    }

    public static final double EPS = 1e-6;
    public static final double ATOL = 1e-6;
    public static final double RTOL = 1e-4;

    /** Checks with the default step and tolerances; throws {@link AssertionError} describing the worst element. */
    public static Result assertGradients(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        Result r = check(f, inputs, EPS, ATOL, RTOL);
        if (!r.passed()) throw new AssertionError(r.toString());
        return r;
    }

    public static Result check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol,
                               double rtol) {
        List<Tensor> xs = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t.dtype().isFPType()) xs.add(t.castTo(DataType.DOUBLE).requiresGrad(true));
            else xs.add(t);
        }
        Tensor y = f.apply(xs);
        double[] weights = new double[(int) y.numel()];
        Random rng = new Random(1234);
        for (int i = 0; i < weights.length; i++) weights[i] = rng.nextDouble() * 2 - 1;
        if (!y.requiresGrad()) {
            throw new AssertionError("gradient check: the function's output does not depend on any input with grad");
        }
        y.backward(Tensor.of(DataType.DOUBLE, weights, y.shape()));

        double worstExcess = -1;
        Result worst = new Result(0, 0, -1, -1, 0, 0, true);
        double maxAbs = 0;
        double maxRel = 0;
        for (int k = 0; k < xs.size(); k++) {
            Tensor x = xs.get(k);
            if (!x.requiresGrad()) continue;
            double[] analytic = x.grad() == null ? new double[(int) x.numel()] : Native.toDoubles(x.grad());
            Native.View v = Native.view(x.value());
            for (long i = 0; i < x.numel(); i++) {
                double orig = v.get(i);
                v.set(i, orig + eps);
                double plus = project(f, xs, weights);
                v.set(i, orig - eps);
                double minus = project(f, xs, weights);
                v.set(i, orig);
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[(int) i];
                double err = Math.abs(a - numeric);
                double rel = err / Math.max(Math.abs(numeric), 1e-12);
                maxAbs = Math.max(maxAbs, err);
                maxRel = Math.max(maxRel, Math.min(rel, err));
                double excess = err - (atol + rtol * Math.abs(numeric));
                if (excess > worstExcess || Double.isNaN(err)) {
                    worstExcess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : excess;
                    worst = new Result(err, rel, k, i, a, numeric, !(excess > 0) && !Double.isNaN(err));
                }
            }
        }
        return new Result(maxAbs, maxRel, worst.input(), worst.element(), worst.analytic(), worst.numeric(),
                worst.passed());
    }

    private static double project(Function<List<Tensor>, Tensor> f, List<Tensor> xs, double[] weights) {
        try (var off = GradMode.off()) {
            Tensor y = f.apply(xs);
            double[] v = y.toDoubleArray();
            if (v.length != weights.length) {
                throw new AssertionError("gradient check: output size changed from " + weights.length + " to "
                        + v.length + " (" + Shapes.str(y.shape()) + ")");
            }
            double s = 0;
            for (int i = 0; i < v.length; i++) s += v[i] * weights[i];
            return s;
        }
    }
}
