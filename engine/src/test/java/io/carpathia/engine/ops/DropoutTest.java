package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/** Inverted dropout: its mask, scaling, gradient, reproducibility and argument checks. */
class DropoutTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes();
    }

    @Property
    void keptElementsAreScaledAndTheGradientIsTheMask(@ForAll("shapes") long[] shape, @ForAll long seed,
            @ForAll @DoubleRange(min = 0.05, max = 0.9) double p) {
        Tensor x = Gen.positive(seed, shape); // never 0, so a dropped element is told from a kept one
        double[] xv = x.toDoubleArray();
        double[] yv = Dropout.dropout(x, p, true, new Random(seed)).toDoubleArray();
        for (int i = 0; i < xv.length; i++) {
            assertTrue(yv[i] == 0 || Math.abs(yv[i] - xv[i] / (1 - p)) <= 1e-12 * yv[i], yv[i] + " from " + xv[i]);
        }
        // a fresh generator with the same seed in every evaluation: the same mask each time
        GradCheck.assertGradients(in -> Dropout.dropout(in.get(0), p, true, new Random(seed)), List.of(x));
    }

    @Test
    void identityWhenNotTrainingOrPIsZero() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        assertSame(x, Dropout.dropout(x, 0.5, false, new Random(1)));
        assertSame(x, Dropout.dropout(x, 0.0, true, new Random(1)));
    }

    @Test
    void sameSeedSameMaskAndSuccessiveCallsDiffer() {
        Tensor x = Tensor.ones(1000);
        Random first = new Random(42);
        double[] a = Dropout.dropout(x, 0.5, true, first).toDoubleArray();
        double[] b = Dropout.dropout(x, 0.5, true, new Random(42)).toDoubleArray();
        double[] next = Dropout.dropout(x, 0.5, true, first).toDoubleArray();
        assertArrayEquals(a, b, 0);
        assertFalse(Arrays.equals(a, next));
    }

    @Test
    void dropsAboutPAndKeepsTheMean() {
        int n = 200_000;
        double p = 0.3;
        double[] y = Dropout.dropout(Tensor.ones(n), p, true, new Random(7)).toDoubleArray();
        int dropped = 0;
        double sum = 0;
        for (double v : y) {
            if (v == 0) dropped++;
            else assertEquals(1 / (1 - p), v, 1e-6);
            sum += v;
        }
        // binomial: sd = sqrt(n p (1-p)) ≈ 205, so 5 sd ≈ 1025 elements
        assertEquals(p * n, dropped, 1025);
        assertEquals(1.0, sum / n, 0.01);
    }

    @Test
    void backwardMultipliesByTheSameMask() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 8).requiresGrad(true);
        Tensor y = Dropout.dropout(x, 0.5, true, new Random(3));
        double[] yv = y.toDoubleArray();
        y.sum().backward();
        double[] g = Tensor.of(x.grad()).toDoubleArray();
        for (int i = 0; i < yv.length; i++) assertEquals(yv[i] == 0 ? 0 : 2, g[i], 1e-6);
    }

    @Test
    void pOutsideZeroToOneIsRefused() {
        Tensor x = Tensor.ones(3);
        for (double p : new double[] {1, 1.5, -0.1, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dropout.dropout(x, p, true, new Random(1)));
            assertEquals("dropout: p must be in [0, 1), got " + p, e.getMessage());
        }
        // refused in evaluation too: a bad configuration should not wait for training to show up
        assertThrows(IllegalArgumentException.class, () -> Dropout.dropout(x, 1, false, new Random(1)));
    }
}
