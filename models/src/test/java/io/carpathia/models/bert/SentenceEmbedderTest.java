package io.carpathia.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Mean pooling over the mask, L2 normalisation, and padding that changes nothing. */
class SentenceEmbedderTest {

    @Test
    void meanPoolingAndNormalisationByHand() {
        // hidden [2, 3, 2]: sentence 0 tokens (1, 2), (3, 6), padding (100, 100); sentence 1 token (0, -5)
        float[] hidden = {1, 2, 3, 6, 100, 100, 0, -5, 7, 7, 7, 7};
        int[][] mask = {{1, 1, 0}, {1, 0, 0}};
        float[][] e = SentenceEmbedder.meanPoolNormalize(hidden, 2, 3, 2, mask);
        // mean (2, 4), norm √20
        assertEquals(2 / Math.sqrt(20), e[0][0], 1e-7);
        assertEquals(4 / Math.sqrt(20), e[0][1], 1e-7);
        assertArrayEquals(new float[] {0, -1}, e[1]);
        // no token at all: a zero vector, not NaN
        assertArrayEquals(new float[] {0, 0}, SentenceEmbedder.meanPoolNormalize(hidden, 1, 3, 2,
                new int[][] {{0, 0, 0}})[0]);
        assertEquals(0.6, SentenceEmbedder.cosine(new float[] {1, 0}, new float[] {3, 4}), 1e-12);
    }

    @Test
    void aSentenceEmbedsTheSameAloneAndPaddedInABatch() {
        BertModel model = new BertModel(BertNamesTest.small(2), new Random(2));
        SentenceEmbedder embedder = new SentenceEmbedder(model, 2);
        int[] a = {1, 5, 9, 2};
        int[] b = {1, 7, 8, 11, 13, 6, 2};
        int[] c = {1, 2};
        float[][] alone = {embedder.embed(new int[][] {a}, null)[0], embedder.embed(new int[][] {b}, null)[0],
                embedder.embed(new int[][] {c}, null)[0]};
        // ragged rows, batches of 2 longest first: [b, a] padded to 7, then [c]; results in the order given
        float[][] together = embedder.embed(new int[][] {a, b, c}, null);
        for (int i = 0; i < 3; i++) assertArrayEquals(alone[i], together[i], 1e-6f, "sentence " + i);
        double norm = 0;
        for (float v : together[1]) norm += v * v;
        assertEquals(1.0, norm, 1e-6);
    }

    @Test
    void tokenTypesAndMasksAreUsedAndChecked() {
        BertModel model = new BertModel(BertNamesTest.small(2), new Random(3));
        SentenceEmbedder embedder = new SentenceEmbedder(model);
        int[][] ids = {{1, 4, 2, 6, 2}};
        float[] types0 = embedder.embed(ids, new int[][] {{0, 0, 0, 0, 0}}, null)[0];
        float[] types1 = embedder.embed(ids, new int[][] {{0, 0, 0, 1, 1}}, null)[0];
        assertEquals(false, java.util.Arrays.equals(types0, types1));
        assertThrows(IllegalArgumentException.class, () -> embedder.embed(ids, new int[][] {{1, 1}}));
        assertThrows(IllegalArgumentException.class, () -> embedder.embed(ids, new int[][] {{1, 1, 1, 2, 1}}));
        // masking the last two tokens equals dropping them
        float[] masked = embedder.embed(ids, new int[][] {{1, 1, 1, 0, 0}})[0];
        float[] shorter = embedder.embed(new int[][] {{1, 4, 2}}, null)[0];
        assertArrayEquals(shorter, masked, 1e-6f);
    }

    @Test
    void additiveMaskIsHuggingFaces() {
        try (var off = GradMode.off()) {
            Tensor m = BertModel.additiveMask(Tensor.indices(new long[] {1, 1, 0, 1, 0, 0}, 2, 3), 2, 3,
                    org.nd4j.linalg.api.buffer.DataType.FLOAT);
            assertArrayEquals(new long[] {2, 1, 1, 3}, m.shape());
            float low = -Float.MAX_VALUE;
            assertArrayEquals(new float[] {0, 0, low, 0, low, low}, m.toFloatArray());
        }
    }
}
