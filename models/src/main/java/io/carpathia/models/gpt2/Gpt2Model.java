package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.Embedding;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.nn.ModuleList;
import java.util.Random;

/**
 * The GPT-2 transformer (Hugging Face's {@code GPT2Model}): token and position embeddings, {@code n_layer} blocks,
 * a final layer norm. Field names are Hugging Face's, so {@code wte.weight}, {@code h.0.attn.c_attn.weight}, ...,
 * {@code ln_f.bias} load from a checkpoint as they are.
 */
public final class Gpt2Model extends Module {
    private final Gpt2Config config;
    private final Embedding wte;
    private final Embedding wpe;
    private final Dropout drop;
    private final ModuleList<Gpt2Block> h;
    private final LayerNorm lnF;

    public Gpt2Model(Gpt2Config config, Random rng) {
        this.config = checkSupported(config);
        this.wte = registerModule("wte", new Embedding(config.vocabSize(), config.nEmbd(), rng));
        this.wpe = registerModule("wpe", new Embedding(config.nPositions(), config.nEmbd(), rng));
        // GPT-2 initialises embeddings with N(0, initializer_range²) rather than N(0, 1)
        double std = config.initializerRange();
        wte.weight().assign(Tensor.randn(rng, config.vocabSize(), config.nEmbd()).mul(std).value());
        wpe.weight().assign(Tensor.randn(rng, config.nPositions(), config.nEmbd()).mul(std).value());
        this.drop = registerModule("drop", new Dropout(config.embdPdrop(), rng));
        this.h = registerModule("h", new ModuleList<>());
        for (int i = 0; i < config.nLayer(); i++) h.add(new Gpt2Block(config, rng));
        this.lnF = registerModule("ln_f", new LayerNorm(config.nEmbd(), config.layerNormEpsilon()));
    }

    /** The configurations this implementation runs exactly as Hugging Face's GPT-2 does. */
    static Gpt2Config checkSupported(Gpt2Config c) {
        String act = c.activationFunction();
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu") && !act.equals("relu")) {
            throw new IllegalArgumentException("GPT-2 config: activation_function '" + act
                    + "' is not supported (gelu_new, gelu_pytorch_tanh, gelu, relu)");
        }
        if (!c.scaleAttnWeights() || c.scaleAttnByInverseLayerIdx() || c.reorderAndUpcastAttn()) {
            throw new IllegalArgumentException("GPT-2 config: only scale_attn_weights=true, "
                    + "scale_attn_by_inverse_layer_idx=false and reorder_and_upcast_attn=false are supported");
        }
        if (!c.tieWordEmbeddings()) {
            throw new IllegalArgumentException("GPT-2 config: tie_word_embeddings=false is not supported (the LM head "
                    + "is the token embedding)");
        }
        return c;
    }

    /** ids: [B, T] integer token ids -> the last hidden state [B, T, C] (the output of ln_f). */
    @Override
    public Tensor forward(Tensor ids) {
        Tensor x = embed(ids);
        for (Gpt2Block block : h) x = block.forward(x);
        return emit(lnF.forward(x), ids);
    }

    /**
     * The last hidden state of new tokens ids: [1, n], continuing the sequence whose keys and values
     * {@code cache} holds (inference: run under GradMode.off()). Returns [1, n, C] and extends the cache by n.
     */
    public Tensor forwardCached(Tensor ids, Gpt2KvCache cache) {
        int past = cache.length();
        long n = ids.size(1);
        if (past + n > config.nPositions()) {
            throw new ShapeException("GPT-2: position " + (past + n) + " is past n_positions = " + config.nPositions());
        }
        // positions past .. past+n-1 are consecutive rows of wpe: [1, n, C] + [n, C]
        Tensor x = wte.forward(ids).add(wpe.weight().narrow(0, past, n));
        int layer = 0;
        for (Gpt2Block block : h) x = block.forwardCached(x, cache, layer++);
        cache.advance((int) n);
        return lnF.forward(x);
    }

    /** Token plus position embeddings, after dropout: the input of block 0, [B, T, C]. */
    public Tensor embed(Tensor ids) {
        if (ids.rank() != 2) {
            throw new ShapeException("GPT-2: input_ids must be [batch, time], got " + io.carpathia.engine.Shapes.str(ids.shape()));
        }
        long t = ids.size(1);
        if (t > config.nPositions()) {
            throw new ShapeException("GPT-2: a sequence of " + t + " tokens is longer than n_positions = "
                    + config.nPositions());
        }
        long[] pos = new long[(int) t];
        for (int i = 0; i < t; i++) pos[i] = i;
        // [B, T, C] + [T, C] broadcasts over the batch
        Tensor x = wte.forward(ids).add(wpe.forward(Tensor.indices(pos, t)));
        return drop.forward(x);
    }

    public Gpt2Config config() {
        return config;
    }

    public Embedding wte() {
        return wte;
    }

    public ModuleList<Gpt2Block> blocks() {
        return h;
    }
}
