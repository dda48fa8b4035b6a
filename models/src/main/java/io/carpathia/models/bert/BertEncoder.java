package io.carpathia.models.bert;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.nn.ModuleList;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/** The stack of {@code num_hidden_layers} layers, {@code layer.0} ... */
public final class BertEncoder extends Module {
    private final ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config, Random rng) {
        this.layer = registerModule("layer", new ModuleList<>());
        for (int i = 0; i < config.numHiddenLayers(); i++) layer.add(new BertLayer(config, rng));
    }

    /** x: [B, T, H], mask: additive [B, 1, 1, T] or null -> the last hidden state [B, T, H] */
    public Tensor forward(Tensor x, Tensor mask) {
        Tensor h = x;
        for (BertLayer l : layer) h = l.forward(h, mask);
        return emit(h, x, mask);
    }

    public ModuleList<BertLayer> layers() {
        return layer;
    }
}
