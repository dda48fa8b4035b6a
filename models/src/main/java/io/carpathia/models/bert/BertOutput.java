package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** The feed-forward block's second half: LayerNorm(dropout(dense(h)) + input), intermediate_size -> H. */
public final class BertOutput extends Module {
    private final Linear dense;
    private final LayerNorm layerNorm;
    private final Dropout dropout;

    public BertOutput(BertConfig config, Random rng) {
        this.dense = registerModule("dense", new Linear(config.intermediateSize(), config.hiddenSize(), rng));
        this.layerNorm = registerModule("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.dropout = registerModule("dropout", new Dropout(config.hiddenDropoutProb(), rng));
    }

    /** h: [B, T, I], input: [B, T, H] -> [B, T, H] */
    public Tensor forward(Tensor h, Tensor input) {
        return emit(layerNorm.forward(dropout.forward(dense.forward(h)).add(input)), h, input);
    }
}
