package io.carpathia.engine.train;

import io.carpathia.engine.autograd.Tensor;
import java.util.Random;

/**
 * Language-model batches from a token stream, as nanoGPT's {@code get_batch}: {@code batchSize} random windows of
 * {@code blockSize + 1} tokens; x is each window without its last token, y without its first (the next-token
 * targets). The generator is the caller's, so a seeded run draws the same batches.
 */
public final class TokenBatches {
    private final int[] tokens;
    private final int batchSize;
    private final int blockSize;

    public TokenBatches(int[] tokens, int batchSize, int blockSize) {
        if (tokens.length < blockSize + 1) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; a window of block size "
                    + blockSize + " needs at least " + (blockSize + 1));
        }
        this.tokens = tokens;
        this.batchSize = batchSize;
        this.blockSize = blockSize;
    }

    /** Inputs and next-token targets, both [batchSize, blockSize] of INT64. */
    public record Batch(Tensor x, Tensor y) {}

    public Batch sample(Random rng) {
        long[] x = new long[batchSize * blockSize];
        long[] y = new long[batchSize * blockSize];
        for (int b = 0; b < batchSize; b++) {
            int start = rng.nextInt(tokens.length - blockSize);
            for (int t = 0; t < blockSize; t++) {
                x[b * blockSize + t] = tokens[start + t];
                y[b * blockSize + t] = tokens[start + t + 1];
            }
        }
        return new Batch(Tensor.indices(x, batchSize, blockSize), Tensor.indices(y, batchSize, blockSize));
    }

    public int batchSize() {
        return batchSize;
    }

    public int blockSize() {
        return blockSize;
    }

    public int tokenCount() {
        return tokens.length;
    }
}
