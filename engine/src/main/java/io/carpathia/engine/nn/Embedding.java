package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Indexing;
import java.util.Random;

/**
 * A lookup table: integer ids [...] -> rows of {@code weight} [V, D] -> [..., D] (PyTorch's {@code nn.Embedding};
 * initialised from N(0, 1) as PyTorch does). The backward adds each output row's gradient into the row it came
 * from.
 */
public class Embedding extends Module {
    public final int numEmbeddings;
    public final int embeddingDim;
    private final Tensor weight;

    public Embedding(int numEmbeddings, int embeddingDim, Random rng) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("Embedding: sizes must be positive, got num_embeddings="
                    + numEmbeddings + ", embedding_dim=" + embeddingDim);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.weight = registerParameter("weight", Tensor.randn(rng, numEmbeddings, embeddingDim));
    }

    /** ids: integer [...] -> [..., D] */
    @Override
    public Tensor forward(Tensor ids) {
        return emit(Indexing.embedding(weight, ids), ids);
    }

    /** [V, D] */
    public Tensor weight() {
        return weight;
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim;
    }
}
