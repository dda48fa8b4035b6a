package io.carpathia.models.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final double[] LOGITS = {1.0, 3.0, 2.0, 0.5, 2.9};

    @Test
    void greedyTakesTheArgmaxAndTheFirstOnTies() {
        assertEquals(1, Sampler.greedy().next(LOGITS));
        assertEquals(0, Sampler.greedy().next(new double[] {2, 2, 1}));
    }

    @Test
    void topKOneIsGreedy() {
        Sampler s = Sampler.sampling(1.0, 1, 1.0, 42);
        for (int i = 0; i < 50; i++) assertEquals(1, s.next(LOGITS));
    }

    @Test
    void topKLimitsTheCandidates() {
        Sampler s = Sampler.sampling(1.0, 2, 1.0, 7);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) seen.add(s.next(LOGITS));
        assertEquals(Set.of(1, 4), seen);
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheMass() {
        // softmax of {1, 3, 2, 0.5, 2.9}: p(1) = 0.391, p(4) = 0.354: top_p 0.5 needs both, 0.3 only the first
        Sampler s = Sampler.sampling(1.0, 0, 0.5, 3);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) seen.add(s.next(LOGITS));
        assertEquals(Set.of(1, 4), seen);
        Sampler narrow = Sampler.sampling(1.0, 0, 0.3, 3);
        for (int i = 0; i < 100; i++) assertEquals(1, narrow.next(LOGITS));
    }

    @Test
    void samplingFrequenciesFollowTheSoftmax() {
        Sampler s = Sampler.sampling(2.0, 0, 1.0, 11);
        int n = 200_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < n; i++) counts[s.next(LOGITS)]++;
        double z = 0;
        for (double l : LOGITS) z += Math.exp(l / 2);
        for (int i = 0; i < LOGITS.length; i++) {
            double p = Math.exp(LOGITS[i] / 2) / z;
            double sd = Math.sqrt(p * (1 - p) / n);
            assertTrue(Math.abs(counts[i] / (double) n - p) < 5 * sd, "token " + i);
        }
    }

    @Test
    void aSeedReproducesTheSequence() {
        Sampler a = Sampler.sampling(0.8, 3, 0.9, 99);
        Sampler b = Sampler.sampling(0.8, 3, 0.9, 99);
        for (int i = 0; i < 100; i++) assertEquals(a.next(LOGITS), b.next(LOGITS));
    }

    @Test
    void badSettingsAreRejectedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(0, 0, 1, 1)).getMessage().contains("--temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(1, -1, 1, 1)).getMessage().contains("--top-k"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Sampler.sampling(1, 0, 0, 1)).getMessage().contains("--top-p"));
    }
}
