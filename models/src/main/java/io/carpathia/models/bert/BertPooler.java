package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** tanh(dense(h[:, 0])): the first ([CLS]) token's hidden state through a dense layer. */
public final class BertPooler extends Module {
    private final Linear dense;

    public BertPooler(BertConfig config, Random rng) {
        this.dense = registerModule("dense", new Linear(config.hiddenSize(), config.hiddenSize(), rng));
    }

    /** hidden: [B, T, H] -> [B, H] */
    @Override
    public Tensor forward(Tensor hidden) {
        long b = hidden.size(0);
        long h = hidden.size(2);
        Tensor first = hidden.narrow(1, 0, 1).reshape(b, h);
        return emit(dense.forward(first).tanh(), hidden);
    }
}
