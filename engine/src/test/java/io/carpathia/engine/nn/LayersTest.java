package io.carpathia.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Embedding, Dropout, Gelu and Sequential: forward values by hand, gradients, train/eval behaviour. */
class LayersTest {

    @Test
    void embeddingLooksUpRowsAndScatterAddsGradients() {
        Embedding emb = new Embedding(4, 3, new Random(0));
        double[] w = emb.weight().toDoubleArray();
        Tensor ids = Tensor.indices(new long[] {2, 0, 2}, 1, 3);
        Tensor out = emb.forward(ids);
        assertArrayEquals(new long[] {1, 3, 3}, out.shape());
        double[] o = out.toDoubleArray();
        for (int d = 0; d < 3; d++) {
            assertEquals(w[2 * 3 + d], o[d], 0);
            assertEquals(w[d], o[3 + d], 0);
            assertEquals(w[2 * 3 + d], o[6 + d], 0);
        }
        out.sum().backward();
        // row 2 was used twice, row 0 once, rows 1 and 3 not at all
        assertArrayEquals(new double[] {1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0}, emb.weight().gradTensor().toDoubleArray(), 0);
    }

    @Test
    void embeddingInitIsStandardNormalFromTheSeed() {
        Embedding emb = new Embedding(50, 40, new Random(1));
        double[] w = emb.weight().toDoubleArray();
        Random r = new Random(1);
        for (int i = 0; i < 10; i++) assertEquals((float) r.nextGaussian(), w[i], 0);
        double mean = 0;
        double sq = 0;
        for (double v : w) {
            mean += v / w.length;
            sq += v * v / w.length;
        }
        assertEquals(0, mean, 0.05);
        assertEquals(1, sq - mean * mean, 0.1);
    }

    @Test
    void dropoutDropsOnlyInTrainingAndScalesTheRest() {
        Dropout drop = new Dropout(0.25, new Random(3));
        Tensor x = Tensor.ones(10_000);
        double[] y = drop.forward(x).toDoubleArray();
        int zeros = 0;
        for (double v : y) {
            if (v == 0) zeros++;
            else assertEquals(1 / 0.75, v, 1e-6);
        }
        assertEquals(0.25, zeros / 10_000.0, 0.02);
        drop.eval();
        assertSame(x, drop.forward(x), "evaluation mode passes the input through");
        // the same seed drops the same elements
        double[] again = new Dropout(0.25, new Random(3)).forward(x).toDoubleArray();
        assertArrayEquals(y, again, 0);
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, new Random(0)));
    }

    @Test
    void dropoutFollowsTheModeOfItsParent() {
        Dropout drop = new Dropout(0.5, new Random(0));
        Sequential seq = new Sequential(new Tanh(), drop);
        Tensor x = Tensor.full(0.5, 64);
        seq.eval();
        assertArrayEquals(x.tanh().toDoubleArray(), seq.forward(x).toDoubleArray(), 0);
        seq.train();
        assertTrue(java.util.Arrays.stream(seq.forward(x).toDoubleArray()).anyMatch(v -> v == 0));
    }

    @Test
    void geluExactAndTanhByHand() {
        Tensor x = Tensor.of(new double[] {1, -0.5, 0}, 3);
        // x·Φ(x): Φ(1) = 0.841344746..., -0.5·Φ(-0.5) = -0.154268769...
        assertArrayEquals(new double[] {0.8413447460685429, -0.15426876936299344, 0},
                new Gelu().forward(x).toDoubleArray(), 1e-6);
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        assertArrayEquals(new double[] {0.8411919906082768, -0.15428599017485606, 0},
                new Gelu(Gelu.Approximation.TANH).forward(x).toDoubleArray(), 1e-6);
        assertEquals("Gelu(approximate='tanh')", new Gelu(Gelu.Approximation.TANH).toString());
    }

    @Test
    void sequentialChainsItsChildrenAndNamesThemByIndex() {
        Random rng = new Random(4);
        Linear a = new Linear(3, 5, rng);
        Linear b = new Linear(5, 2, rng);
        Sequential seq = new Sequential(a, new Relu(), b);
        assertEquals(java.util.List.of("0.weight", "0.bias", "2.weight", "2.bias"),
                java.util.List.copyOf(seq.namedParameters().keySet()));
        Tensor x = Tensor.randn(new Random(5), 4, 3);
        assertArrayEquals(b.forward(a.forward(x).relu()).toDoubleArray(), seq.forward(x).toDoubleArray(), 0);
    }
}
