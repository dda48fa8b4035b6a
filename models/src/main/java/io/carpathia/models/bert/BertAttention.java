package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** Self-attention and its output block: {@code attention.self} and {@code attention.output}. */
public final class BertAttention extends Module {
    private final BertSelfAttention self;
    private final BertSelfOutput output;

    public BertAttention(BertConfig config, Random rng) {
        this.self = registerModule("self", new BertSelfAttention(config, rng));
        this.output = registerModule("output", new BertSelfOutput(config, rng));
    }

    /** x: [B, T, H], mask: additive [B, 1, 1, T] or null -> [B, T, H] */
    public Tensor forward(Tensor x, Tensor mask) {
        return emit(output.forward(self.forward(x, mask), x), x, mask);
    }

    public BertSelfAttention self() {
        return self;
    }
}
