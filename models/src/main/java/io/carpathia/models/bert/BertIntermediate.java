package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** The feed-forward block's first half: act(dense(x)), H -> intermediate_size. */
public final class BertIntermediate extends Module {
    private final Linear dense;
    private final String activation;

    public BertIntermediate(BertConfig config, Random rng) {
        this.dense = registerModule("dense", new Linear(config.hiddenSize(), config.intermediateSize(), rng));
        this.activation = BertModel.checkActivation(config.hiddenAct());
    }

    /** x: [B, T, H] -> [B, T, I] */
    @Override
    public Tensor forward(Tensor x) {
        Tensor h = dense.forward(x);
        h = switch (activation) {
            case "gelu" -> h.gelu();                                      // exact, with erf
            case "gelu_new", "gelu_pytorch_tanh" -> h.geluTanh();
            case "relu" -> h.relu();
            default -> throw new IllegalStateException("unsupported activation " + activation);
        };
        return emit(h, x);
    }
}
