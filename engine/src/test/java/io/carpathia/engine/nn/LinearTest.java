package io.carpathia.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearTest {

    @Test
    void initDrawsWeightThenBiasFromKaimingUniformBounds() {
        Linear lin = new Linear(16, 3, new Random(42));
        assertArrayEquals(new long[] {3, 16}, lin.weight().shape());
        assertArrayEquals(new long[] {3}, lin.bias().shape());
        // kaiming_uniform(a=√5) and the bias both give U(-1/√in, 1/√in): here ±0.25
        Random r = new Random(42);
        double[] w = lin.weight().toDoubleArray();
        for (double v : w) {
            double expected = -0.25 + 0.5 * r.nextDouble();
            assertEquals(expected, v, 1e-7);
            assertTrue(Math.abs(v) <= 0.25);
        }
        for (double v : lin.bias().toDoubleArray()) assertEquals(-0.25 + 0.5 * r.nextDouble(), v, 1e-7);
        // the same seed gives the same layer
        assertArrayEquals(w, new Linear(16, 3, new Random(42)).weight().toDoubleArray(), 0);
    }

    @Test
    void forwardIsInputTimesWeightTransposedPlusBias() {
        Linear lin = new Linear(2, 3, new Random(0));
        lin.loadStateDict(java.util.Map.of(
                "weight", Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2),
                "bias", Tensor.of(new double[] {0.5, -1, 2}, 3)), true);
        Tensor x = Tensor.of(new double[] {1, -1, 2, 0.5}, 2, 2);
        // row 0: [1-2, 3-4, 5-6] + b = [-0.5, -2, 1]; row 1: [2+1, 6+2, 10+3] + b = [3.5, 7, 15]
        assertArrayEquals(new double[] {-0.5, -2, 1, 3.5, 7, 15}, lin.forward(x).toDoubleArray(), 1e-6);
        ShapeException e = assertThrows(ShapeException.class, () -> lin.forward(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("linear"), e.getMessage());
    }

    @Test
    void withoutBiasRegistersOnlyTheWeight() {
        Linear lin = new Linear(4, 2, false, new Random(0));
        assertNull(lin.bias());
        assertEquals(List.of("weight"), List.copyOf(lin.namedParameters().keySet()));
        assertEquals(8, lin.parameterCount());
    }

    @Test
    void gradientsReachWeightAndBias() {
        Linear lin = new Linear(3, 2, new Random(1));
        // the layer as a function of (x, W, b), checked in float64 against finite differences
        GradCheck.assertGradients(in -> io.carpathia.engine.ops.LinearAlgebra.linear(in.get(0), in.get(1), in.get(2)),
                List.of(Tensor.randn(new Random(2), 4, 3), lin.weight().copy(), lin.bias().copy()));
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 2, new Random(0)));
    }
}
