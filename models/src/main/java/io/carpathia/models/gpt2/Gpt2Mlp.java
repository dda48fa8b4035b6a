package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.Module;
import java.util.Random;

/** GPT-2's feed-forward block: c_fc (C -> 4C), the activation, c_proj (4C -> C), dropout. */
public final class Gpt2Mlp extends Module {
    private final Conv1D cFc;
    private final Conv1D cProj;
    private final Dropout dropout;
    private final String activation;

    public Gpt2Mlp(Gpt2Config config, Random rng) {
        double std = config.initializerRange();
        this.cFc = registerModule("c_fc", new Conv1D(config.nEmbd(), config.innerSize(), std, rng));
        this.cProj = registerModule("c_proj",
                new Conv1D(config.innerSize(), config.nEmbd(), std / Math.sqrt(2.0 * config.nLayer()), rng));
        this.dropout = registerModule("dropout", new Dropout(config.residPdrop(), rng));
        this.activation = config.activationFunction();
    }

    @Override
    public Tensor forward(Tensor x) { // x: [B, T, C] -> h: [B, T, 4C] -> [B, T, C]
        Tensor h = cFc.forward(x);
        h = switch (activation) {
            case "gelu_new", "gelu_pytorch_tanh" -> h.geluTanh();
            case "gelu" -> h.gelu();
            case "relu" -> h.relu();
            default -> throw new IllegalStateException("unsupported activation " + activation);
        };
        return emit(dropout.forward(cProj.forward(h)), x);
    }
}
