package io.carpathia.models.bert;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import java.util.Arrays;

/**
 * Sentence embeddings as sentence-transformers computes them for models such as all-MiniLM-L6-v2: the encoder's last
 * hidden state, averaged over the tokens of each sentence (the attention mask's 1s), then scaled to unit length.
 *
 * <pre>{@code
 * SentenceEmbedder embedder = new SentenceEmbedder(BertCheckpoint.loadModel(dir));
 * float[][] vectors = embedder.embed(ids, masks);          // ids from a WordPiece tokenizer, [CLS] ... [SEP]
 * double cos = SentenceEmbedder.cosine(vectors[0], vectors[1]);
 * }</pre>
 *
 * <p>Sentences go through the model {@link #batchSize()} at a time, longest first, each batch right-padded to its
 * longest sentence; the vectors come back in the order given. Inference runs without a graph and gives its memory
 * back after each batch.
 */
public final class SentenceEmbedder {
    private final BertModel model;
    private final int batchSize;

    public SentenceEmbedder(BertModel model) {
        this(model, 32);
    }

    public SentenceEmbedder(BertModel model, int batchSize) {
        if (batchSize <= 0) throw new IllegalArgumentException("SentenceEmbedder: batchSize must be > 0, got " + batchSize);
        this.model = model;
        this.batchSize = batchSize;
        model.eval();
    }

    public int batchSize() {
        return batchSize;
    }

    public BertModel model() {
        return model;
    }

    /**
     * One unit-length vector [H] per sentence. {@code ids[i]} are sentence i's token ids (rows may differ in length);
     * {@code masks[i]} (same length, 1 = token, 0 = padding) may be null, meaning every id is a token.
     */
    public float[][] embed(int[][] ids, int[][] masks) {
        return embed(ids, null, masks);
    }

    /** As {@link #embed(int[][], int[][])} with token types (null = all 0). */
    public float[][] embed(int[][] ids, int[][] tokenTypes, int[][] masks) {
        check(ids, tokenTypes, "token types");
        check(ids, masks, "masks");
        // longest first, so each batch pads its sentences to about their own length (as sentence-transformers does)
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Integer.compare(ids[y].length, ids[x].length));
        float[][] out = new float[ids.length][];
        for (int from = 0; from < ids.length; from += batchSize) {
            int n = Math.min(ids.length, from + batchSize) - from;
            int[][] batchIds = new int[n][];
            int[][] batchTypes = tokenTypes == null ? null : new int[n][];
            int[][] batchMasks = masks == null ? null : new int[n][];
            for (int k = 0; k < n; k++) {
                int i = order[from + k];
                batchIds[k] = ids[i];
                if (batchTypes != null) batchTypes[k] = tokenTypes[i];
                if (batchMasks != null) batchMasks[k] = masks[i];
            }
            float[][] part = embedBatch(batchIds, batchTypes, batchMasks);
            for (int k = 0; k < n; k++) out[order[from + k]] = part[k];
        }
        return out;
    }

    private static void check(int[][] ids, int[][] other, String what) {
        if (other == null) return;
        if (other.length != ids.length) {
            throw new IllegalArgumentException("SentenceEmbedder: " + ids.length + " sentences but " + other.length
                    + " rows of " + what);
        }
        for (int i = 0; i < ids.length; i++) {
            if (other[i].length != ids[i].length) {
                throw new IllegalArgumentException("SentenceEmbedder: sentence " + i + " has " + ids[i].length
                        + " ids but " + other[i].length + " " + what);
            }
        }
    }

    private float[][] embedBatch(int[][] ids, int[][] types, int[][] masks) {
        int b = ids.length;
        int t = 1;
        for (int[] row : ids) t = Math.max(t, row.length);
        // right-pad to [B, T]: id 0, type 0, mask 0
        long[] idFlat = new long[b * t];
        long[] typeFlat = new long[b * t];
        long[] maskFlat = new long[b * t];
        int[][] mask = new int[b][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < ids[i].length; j++) {
                idFlat[i * t + j] = ids[i][j];
                if (types != null) typeFlat[i * t + j] = types[i][j];
                int m = masks == null ? 1 : masks[i][j];
                maskFlat[i * t + j] = m;
                mask[i][j] = m;
            }
        }
        float[] hidden;
        int h;
        try (var off = GradMode.off(); var scope = Scope.open()) {
            BertModel.Output out = model.forward(Tensor.indices(idFlat, b, t),
                    types == null ? null : Tensor.indices(typeFlat, b, t), Tensor.indices(maskFlat, b, t));
            h = (int) out.lastHiddenState().size(2);
            hidden = out.lastHiddenState().toFloatArray();
        }
        return meanPoolNormalize(hidden, b, t, h, mask);
    }

    /**
     * hidden: [B, T, H] row-major, mask: [B][T] of 1/0 -> [B][H]: the mean over the tokens with mask 1 (a sentence
     * without any counts as having 1e-9 tokens, as sentence-transformers clamps it), divided by its L2 norm (at
     * least 1e-12, as torch's normalize).
     */
    public static float[][] meanPoolNormalize(float[] hidden, int b, int t, int h, int[][] mask) {
        float[][] out = new float[b][h];
        double[] sum = new double[h];
        for (int i = 0; i < b; i++) {
            Arrays.fill(sum, 0);
            double count = 0;
            for (int j = 0; j < t; j++) {
                int m = j < mask[i].length ? mask[i][j] : 0;
                if (m == 0) continue;
                count += m;
                int off = (i * t + j) * h;
                for (int k = 0; k < h; k++) sum[k] += m * (double) hidden[off + k];
            }
            count = Math.max(count, 1e-9);
            double norm = 0;
            for (int k = 0; k < h; k++) {
                sum[k] /= count;
                norm += sum[k] * sum[k];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int k = 0; k < h; k++) out[i][k] = (float) (sum[k] / norm);
        }
        return out;
    }

    /** The cosine of two vectors (for unit vectors, their dot product). */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("cosine: vectors of length " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-12);
    }
}
