package io.carpathia.models.tokenizers;

import java.util.List;

/**
 * Encoded texts padded to one length: the {@code [B, T]} inputs of a BERT model, with {@code B = batchSize()} and
 * {@code T = sequenceLength()}. Padding is on the right, with the pad token, token type 0 and attention mask 0.
 * Immutable: the accessors return copies.
 */
public final class BertBatch {
    private final List<BertEncoding> rows;
    private final int sequenceLength;

    BertBatch(List<BertEncoding> rows, int sequenceLength) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).length() != sequenceLength) {
                throw new IllegalArgumentException(String.format("batch row %d has %d positions, expected %d", i,
                        rows.get(i).length(), sequenceLength));
            }
        }
        this.rows = List.copyOf(rows);
        this.sequenceLength = sequenceLength;
    }

    /** B: the number of texts. */
    public int batchSize() {
        return rows.size();
    }

    /** T: positions per row, padding included. */
    public int sequenceLength() {
        return sequenceLength;
    }

    /** {@code input_ids} [B, T]. */
    public int[][] inputIds() {
        int[][] out = new int[rows.size()][];
        for (int b = 0; b < out.length; b++) out[b] = rows.get(b).inputIdsView().clone();
        return out;
    }

    /** {@code token_type_ids} [B, T]. */
    public int[][] tokenTypeIds() {
        int[][] out = new int[rows.size()][];
        for (int b = 0; b < out.length; b++) out[b] = rows.get(b).tokenTypeIdsView().clone();
        return out;
    }

    /** {@code attention_mask} [B, T]: 1 for real tokens, 0 for padding. */
    public int[][] attentionMask() {
        int[][] out = new int[rows.size()][];
        for (int b = 0; b < out.length; b++) out[b] = rows.get(b).attentionMaskView().clone();
        return out;
    }

    /** Row {@code b}, padded, with its tokens and the count of tokens truncation cut from it. */
    public BertEncoding row(int b) {
        return rows.get(b);
    }

    public List<BertEncoding> rows() {
        return rows;
    }

    /** The number of real (unpadded) positions of each row. */
    public int[] lengths() {
        int[] lengths = new int[rows.size()];
        for (int b = 0; b < lengths.length; b++) lengths[b] = rows.get(b).realLength();
        return lengths;
    }

    /** Word pieces cut by truncation, over all rows. */
    public int truncatedTokens() {
        int total = 0;
        for (BertEncoding row : rows) total += row.truncatedTokens();
        return total;
    }

    @Override
    public String toString() {
        return "BertBatch[" + rows.size() + " x " + sequenceLength + "]";
    }
}
