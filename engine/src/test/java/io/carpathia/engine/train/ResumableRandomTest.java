package io.carpathia.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ResumableRandomTest {
    @Test
    void aRestoredGeneratorContinuesTheSameSequence() {
        ResumableRandom a = new ResumableRandom(42);
        for (int i = 0; i < 17; i++) a.nextGaussian();   // an odd count leaves a cached Gaussian
        a.nextInt(100);
        String saved = a.saveState();
        double[] expected = new double[50];
        for (int i = 0; i < 50; i++) expected[i] = i % 3 == 0 ? a.nextGaussian() : i % 3 == 1 ? a.nextDouble() : a.nextLong();
        ResumableRandom b = new ResumableRandom(7);
        b.restoreState(saved);
        for (int i = 0; i < 50; i++) {
            double v = i % 3 == 0 ? b.nextGaussian() : i % 3 == 1 ? b.nextDouble() : b.nextLong();
            assertEquals(expected[i], v);
        }
    }

    @Test
    void seedsGiveDifferentSequencesAndSaneMoments() {
        assertNotEquals(new ResumableRandom(1).nextLong(), new ResumableRandom(2).nextLong());
        ResumableRandom r = new ResumableRandom(3);
        double sum = 0;
        double sq = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g;
            sq += g * g;
        }
        assertEquals(0, sum / n, 0.01);
        assertEquals(1, sq / n, 0.01);
        assertThrows(IllegalArgumentException.class, () -> r.restoreState("junk"));
    }
}
