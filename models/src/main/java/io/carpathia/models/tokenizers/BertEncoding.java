package io.carpathia.models.tokenizers;

import java.util.Arrays;
import java.util.List;

/**
 * One encoded text (or text pair) as a BERT model takes it: {@code [CLS] a [SEP]} or {@code [CLS] a [SEP] b [SEP]},
 * with its token types (0 for the first segment, 1 for the second) and its attention mask (1 for real tokens, 0 for
 * padding). All arrays have {@link #length()} entries. Immutable: the accessors return copies.
 */
public final class BertEncoding {
    private final int[] inputIds;
    private final int[] tokenTypeIds;
    private final int[] attentionMask;
    private final List<String> tokens;
    private final int truncatedTokens;

    BertEncoding(int[] inputIds, int[] tokenTypeIds, int[] attentionMask, List<String> tokens, int truncatedTokens) {
        if (tokenTypeIds.length != inputIds.length || attentionMask.length != inputIds.length
                || tokens.size() != inputIds.length) {
            throw new IllegalArgumentException(String.format(
                    "encoding parts differ in length: %d ids, %d token types, %d mask entries, %d tokens",
                    inputIds.length, tokenTypeIds.length, attentionMask.length, tokens.size()));
        }
        this.inputIds = inputIds;
        this.tokenTypeIds = tokenTypeIds;
        this.attentionMask = attentionMask;
        this.tokens = List.copyOf(tokens);
        this.truncatedTokens = truncatedTokens;
    }

    /** Token ids, special tokens and padding included: the model's {@code input_ids}. */
    public int[] inputIds() {
        return inputIds.clone();
    }

    /** 0 for {@code [CLS]}, the first text and its {@code [SEP]}; 1 for the second text and its {@code [SEP]}. */
    public int[] tokenTypeIds() {
        return tokenTypeIds.clone();
    }

    /** 1 for real tokens, 0 for padding. */
    public int[] attentionMask() {
        return attentionMask.clone();
    }

    /** The token strings ({@code [CLS]}, {@code hello}, {@code ##s}, {@code [PAD]}...), for reading and debugging. */
    public List<String> tokens() {
        return tokens;
    }

    /** Number of positions, padding included. */
    public int length() {
        return inputIds.length;
    }

    /** Number of positions that are not padding. */
    public int realLength() {
        int count = 0;
        for (int m : attentionMask) count += m;
        return count;
    }

    /** How many word pieces truncation cut off to fit the maximum length (0 when the text fitted). */
    public int truncatedTokens() {
        return truncatedTokens;
    }

    public boolean truncated() {
        return truncatedTokens > 0;
    }

    /** This encoding followed by padding up to {@code length} positions (mask 0). */
    BertEncoding padded(int length, int padId, String padToken, int padTypeId) {
        int n = inputIds.length;
        if (length <= n) return this;
        int[] ids = Arrays.copyOf(inputIds, length);
        int[] types = Arrays.copyOf(tokenTypeIds, length);
        int[] mask = Arrays.copyOf(attentionMask, length); // new positions are 0
        Arrays.fill(ids, n, length, padId);
        Arrays.fill(types, n, length, padTypeId);
        String[] allTokens = Arrays.copyOf(tokens.toArray(new String[0]), length);
        Arrays.fill(allTokens, n, length, padToken);
        return new BertEncoding(ids, types, mask, Arrays.asList(allTokens), truncatedTokens);
    }

    int[] inputIdsView() {
        return inputIds;
    }

    int[] tokenTypeIdsView() {
        return tokenTypeIds;
    }

    int[] attentionMaskView() {
        return attentionMask;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BertEncoding that
                && Arrays.equals(inputIds, that.inputIds)
                && Arrays.equals(tokenTypeIds, that.tokenTypeIds)
                && Arrays.equals(attentionMask, that.attentionMask)
                && tokens.equals(that.tokens)
                && truncatedTokens == that.truncatedTokens;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(tokenTypeIds);
    }

    @Override
    public String toString() {
        return "BertEncoding" + tokens + (truncatedTokens > 0 ? " (" + truncatedTokens + " tokens truncated)" : "");
    }
}
