package io.carpathia.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayerNormTest {

    @Test
    void normalisesTheLastDimensionThenScalesAndShifts() {
        LayerNorm ln = new LayerNorm(3, 1e-5);
        assertEquals(List.of("weight", "bias"), List.copyOf(ln.namedParameters().keySet()));
        assertArrayEquals(new double[] {1, 1, 1}, ln.weight().toDoubleArray(), 0);
        assertArrayEquals(new double[] {0, 0, 0}, ln.bias().toDoubleArray(), 0);
        Tensor x = Tensor.of(new double[] {1, 2, 3, -4, 0, 4}, 2, 3);
        // row 0: mean 2, biased variance 2/3; row 1: mean 0, variance 32/3
        double a = 1 / Math.sqrt(2.0 / 3 + 1e-5);
        double b = 4 / Math.sqrt(32.0 / 3 + 1e-5);
        assertArrayEquals(new double[] {-a, 0, a, -b, 0, b}, ln.forward(x).toDoubleArray(), 1e-5);

        ln.loadStateDict(Map.of("weight", Tensor.of(new double[] {2, 1, 0.5}, 3),
                "bias", Tensor.of(new double[] {0, 1, -1}, 3)), true);
        assertArrayEquals(new double[] {-2 * a, 1, 0.5 * a - 1, -2 * b, 1, 0.5 * b - 1},
                ln.forward(x).toDoubleArray(), 1e-5);
    }

    @Test
    void withoutAffineItHasNoParameters() {
        LayerNorm ln = new LayerNorm(4, 1e-5, false);
        assertEquals(0, ln.parameterCount());
        Tensor x = Tensor.of(new double[] {1, 1, 3, 3}, 1, 4);
        assertArrayEquals(new double[] {-1, -1, 1, 1}, ln.forward(x).toDoubleArray(), 1e-4);
    }
}
