package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** One encoder layer: attention (with its residual and LayerNorm), then the feed-forward block (with its own). */
public final class BertLayer extends Module {
    private final BertAttention attention;
    private final BertIntermediate intermediate;
    private final BertOutput output;

    public BertLayer(BertConfig config, Random rng) {
        this.attention = registerModule("attention", new BertAttention(config, rng));
        this.intermediate = registerModule("intermediate", new BertIntermediate(config, rng));
        this.output = registerModule("output", new BertOutput(config, rng));
    }

    /** x: [B, T, H], mask: additive [B, 1, 1, T] or null -> [B, T, H] */
    public Tensor forward(Tensor x, Tensor mask) {
        Tensor a = attention.forward(x, mask);
        return emit(output.forward(intermediate.forward(a), a), x, mask);
    }

    public BertAttention attention() {
        return attention;
    }
}
