package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** After attention: LayerNorm(dropout(dense(context)) + input) — BERT's post-norm residual ({@code attention.output}). */
public final class BertSelfOutput extends Module {
    private final Linear dense;
    private final LayerNorm layerNorm;
    private final Dropout dropout;

    public BertSelfOutput(BertConfig config, Random rng) {
        this.dense = registerModule("dense", new Linear(config.hiddenSize(), config.hiddenSize(), rng));
        this.layerNorm = registerModule("LayerNorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        this.dropout = registerModule("dropout", new Dropout(config.hiddenDropoutProb(), rng));
    }

    /** context, input: [B, T, H] -> [B, T, H] */
    public Tensor forward(Tensor context, Tensor input) {
        return emit(layerNorm.forward(dropout.forward(dense.forward(context)).add(input)), context, input);
    }
}
