package io.carpathia.engine.optim;

import static io.carpathia.engine.optim.OptimTesting.backwardQuadratic;
import static io.carpathia.engine.optim.OptimTesting.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class GradClipTest {

    /** Parameters whose gradients are (3, 4) and (12): global norm 13. */
    private static List<Tensor> withGradients() {
        Tensor a = param(1.0, 1.0);
        Tensor b = param(1.0);
        Tensor none = param(7.0); // no gradient: ignored
        backwardQuadratic(List.of(a, b), new double[][] {{3, 4}, {12}});
        return List.of(a, b, none);
    }

    @Test
    void scalesEveryGradientByMaxNormOverTotalWhenAbove() {
        List<Tensor> ps = withGradients();
        double total = GradClip.clipGradNorm(ps, 6.5);
        assertEquals(13, total, 1e-12);
        double coef = 6.5 / (13 + 1e-6); // PyTorch's clip coefficient
        assertArrayEquals(new double[] {3 * coef, 4 * coef}, ps.get(0).gradTensor().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {12 * coef}, ps.get(1).gradTensor().toDoubleArray(), 1e-12);
        // the clipped gradients now have norm just under maxNorm
        assertEquals(6.5, GradClip.clipGradNorm(ps, 100), 1e-6);
    }

    @Test
    void leavesGradientsAloneWhenBelow() {
        List<Tensor> ps = withGradients();
        assertEquals(13, GradClip.clipGradNorm(ps, 20), 1e-12);
        assertArrayEquals(new double[] {3, 4}, ps.get(0).gradTensor().toDoubleArray(), 0);
        assertArrayEquals(new double[] {12}, ps.get(1).gradTensor().toDoubleArray(), 0);
    }

    @Test
    void largeFloat32GradientsAreSummedInDouble() {
        // 100 000 elements over several threads' pieces; the norm is deterministic and matches a plain loop
        Random r = new Random(3);
        double[] values = new double[100_000];
        for (int i = 0; i < values.length; i++) values[i] = r.nextGaussian();
        Tensor p = Tensor.of(DataType.FLOAT, new double[values.length], values.length).requiresGrad(true);
        Tensor c = Tensor.of(DataType.FLOAT, values, values.length);
        p.mul(c).sum().backward(); // gradient = c
        double expected = 0;
        for (double v : c.toDoubleArray()) expected += v * v;
        expected = Math.sqrt(expected);
        double first = GradClip.clipGradNorm(List.of(p), 1e9);
        assertEquals(expected, first, 1e-9 * expected);
        assertEquals(first, GradClip.clipGradNorm(List.of(p), 1e9), 0);
    }

    @Test
    void aNonFiniteNormIsReturnedAndGradientsAreLeftAlone() {
        Tensor a = param(1.0, 1.0);
        backwardQuadratic(List.of(a), new double[][] {{Double.POSITIVE_INFINITY, 1}});
        double total = GradClip.clipGradNorm(List.of(a), 1);
        assertTrue(Double.isInfinite(total));
        assertEquals(1, a.gradTensor().toDoubleArray()[1], 0);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(a), -1));
    }
}
