package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Module;
import java.util.Random;

/** One pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(·)). */
public final class Gpt2Block extends Module {
    private final LayerNorm ln1;
    private final Gpt2Attention attn;
    private final LayerNorm ln2;
    private final Gpt2Mlp mlp;

    public Gpt2Block(Gpt2Config config, Random rng) {
        this.ln1 = registerModule("ln_1", new LayerNorm(config.nEmbd(), config.layerNormEpsilon()));
        this.attn = registerModule("attn", new Gpt2Attention(config, rng));
        this.ln2 = registerModule("ln_2", new LayerNorm(config.nEmbd(), config.layerNormEpsilon()));
        this.mlp = registerModule("mlp", new Gpt2Mlp(config, rng));
    }

    @Override
    public Tensor forward(Tensor x) { // x: [B, T, C] -> [B, T, C], the residual stream after this block
        Tensor h = x.add(attn.forward(ln1.forward(x)));
        return emit(h.add(mlp.forward(ln2.forward(h))), x);
    }

    /** The block over new tokens with a key/value cache (inference; see {@link Gpt2Attention#forwardCached}). */
    Tensor forwardCached(Tensor x, Gpt2KvCache cache, int layer) {
        Tensor h = x.add(attn.forwardCached(ln1.forward(x), cache, layer));
        return emit(h.add(mlp.forward(ln2.forward(h))), x);
    }

    public Gpt2Attention attn() {
        return attn;
    }
}
