package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.ops.LinearAlgebra;
import io.carpathia.engine.ops.Losses;
import java.util.Random;

/**
 * GPT-2 with its language-modelling head ({@code GPT2LMHeadModel}). The head is tied to the token embedding: logits
 * = h · wteᵀ, so it has no parameter of its own and the gradient of {@code transformer.wte.weight} collects both
 * uses, as in Hugging Face.
 */
public final class Gpt2LMHeadModel extends Module {
    private final Gpt2Model transformer;

    public Gpt2LMHeadModel(Gpt2Config config, Random rng) {
        this.transformer = registerModule("transformer", new Gpt2Model(config, rng));
    }

    /** ids: [B, T] -> logits [B, T, vocab]. */
    @Override
    public Tensor forward(Tensor ids) {
        return emit(logits(transformer.forward(ids)), ids);
    }

    /** hidden: [B, T, C] -> [B, T, V] through the tied head. */
    public Tensor logits(Tensor hidden) {
        // wte.weight is [V, C] = [out, in]: nn.Linear's layout
        return LinearAlgebra.linear(hidden, transformer.wte().weight(), null);
    }

    /**
     * Mean next-token cross-entropy. {@code targets} [B, T] are already aligned with the logits' positions
     * (targets[b, t] is the token after ids[b, t]); -100 marks positions to ignore.
     */
    public Tensor loss(Tensor logits, Tensor targets) {
        long v = logits.size(-1);
        return Losses.crossEntropy(logits.reshape(-1, v), targets.reshape(-1), -100, 0.0, Losses.Reduction.MEAN);
    }

    public Gpt2Model transformer() {
        return transformer;
    }

    public Gpt2Config config() {
        return transformer.config();
    }
}
