package io.carpathia.models.bert;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.Embedding;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/**
 * BERT's input: word + position (0 .. T-1, also under right padding) + token type embeddings, then LayerNorm and
 * dropout. Parameters {@code word_embeddings.weight}, {@code position_embeddings.weight},
 * {@code token_type_embeddings.weight}, {@code LayerNorm.weight}, {@code LayerNorm.bias}.
 */
public final class BertEmbeddings extends Module {
    private final BertConfig config;
    private final Embedding wordEmbeddings;
    private final Embedding positionEmbeddings;
    private final Embedding tokenTypeEmbeddings;
    private final LayerNorm layerNorm;
    private final Dropout dropout;

    public BertEmbeddings(BertConfig config, Random rng) {
        this.config = config;
        this.wordEmbeddings = registerModule("word_embeddings",
                new Embedding(config.vocabSize(), config.hiddenSize(), rng));
        this.positionEmbeddings = registerModule("position_embeddings",
                new Embedding(config.maxPositionEmbeddings(), config.hiddenSize(), rng));
        this.tokenTypeEmbeddings = registerModule("token_type_embeddings",
                new Embedding(config.typeVocabSize(), config.hiddenSize(), rng));
        this.layerNorm = registerModule("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.dropout = registerModule("dropout", new Dropout(config.hiddenDropoutProb(), rng));
    }

    /** ids, tokenTypes: integer [B, T] (tokenTypes null = all 0) -> [B, T, H]. */
    public Tensor forward(Tensor ids, Tensor tokenTypes) {
        if (ids.rank() != 2) {
            throw new ShapeException("BERT: input_ids must be [batch, time], got " + Shapes.str(ids.shape()));
        }
        long b = ids.size(0);
        long t = ids.size(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new ShapeException("BERT: a sequence of " + t + " tokens is longer than max_position_embeddings = "
                    + config.maxPositionEmbeddings());
        }
        if (tokenTypes != null && !Shapes.same(tokenTypes.shape(), ids.shape())) {
            throw new ShapeException("BERT: token_type_ids " + Shapes.str(tokenTypes.shape())
                    + " must have the shape of input_ids " + Shapes.str(ids.shape()));
        }
        Tensor types = tokenTypes != null ? tokenTypes : Tensor.indices(new long[(int) (b * t)], b, t);
        long[] pos = new long[(int) t];
        for (int i = 0; i < t; i++) pos[i] = i;
        // Hugging Face's order of the sums: (word + token type) + position; position [T, H] broadcasts over B
        Tensor x = wordEmbeddings.forward(ids).add(tokenTypeEmbeddings.forward(types))
                .add(positionEmbeddings.forward(Tensor.indices(pos, t)));
        return emit(dropout.forward(layerNorm.forward(x)), ids, tokenTypes);
    }

    @Override
    public Tensor forward(Tensor ids) {
        return forward(ids, null);
    }

    public Embedding wordEmbeddings() {
        return wordEmbeddings;
    }

    public Embedding positionEmbeddings() {
        return positionEmbeddings;
    }

    public Embedding tokenTypeEmbeddings() {
        return tokenTypeEmbeddings;
    }
}
