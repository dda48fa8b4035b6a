package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;

/** Runs a fused op and its composition of primitive ops on the same inputs; compares values and gradients. */
final class FusedVsComposed {
    private FusedVsComposed() {}

    static void assertSame(Function<List<Tensor>, Tensor> fused, Function<List<Tensor>, Tensor> composed,
                           List<Tensor> inputs, double tolerance) {
        Run a = run(fused, inputs);
        Run b = run(composed, inputs);
        assertEquals(Shapes.str(b.shape), Shapes.str(a.shape), "output shape");
        assertArrayEquals(b.value, a.value, tolerance, "values");
        for (int i = 0; i < inputs.size(); i++) {
            if (a.grads.get(i) == null && b.grads.get(i) == null) continue;
            assertArrayEquals(b.grads.get(i), a.grads.get(i), tolerance, "gradient of input " + i);
        }
    }

    private record Run(long[] shape, double[] value, List<double[]> grads) {}

    /** f on fresh float64 copies of the inputs (floating ones require grad), backward with fixed random weights. */
    private static Run run(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        List<Tensor> xs = new ArrayList<>();
        for (Tensor t : inputs) {
            xs.add(t.dtype().isFPType() ? t.castTo(DataType.DOUBLE).requiresGrad(true) : t);
        }
        Tensor y = f.apply(xs);
        double[] w = new double[(int) y.numel()];
        Random r = new Random(99);
        for (int i = 0; i < w.length; i++) w[i] = r.nextDouble() * 2 - 1;
        double[] value = y.toDoubleArray();
        long[] shape = y.shape();
        y.backward(Tensor.of(DataType.DOUBLE, w, shape));
        List<double[]> grads = new ArrayList<>();
        for (Tensor x : xs) {
            if (!x.requiresGrad()) grads.add(null);
            else grads.add(x.grad() != null ? Tensor.of(x.grad()).toDoubleArray() : new double[(int) x.numel()]);
        }
        return new Run(shape, value, grads);
    }
}
