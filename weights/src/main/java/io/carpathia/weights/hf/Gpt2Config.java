package io.carpathia.weights.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A GPT-2 {@code config.json} as Hugging Face's {@code GPT2Config} reads it: missing fields take its defaults (those
 * of the 124M "gpt2" model), unknown fields are ignored, and HF's aliases ({@code hidden_size}, {@code
 * max_position_embeddings}, {@code num_attention_heads}, {@code num_hidden_layers}) stand in for the GPT-2 names.
 *
 * @param nInner MLP width, or null for HF's default of 4 x n_embd (see {@link #innerSize()})
 * @param bosTokenId null when the config says None
 */
public record Gpt2Config(
        int vocabSize,
        int nPositions,
        int nEmbd,
        int nLayer,
        int nHead,
        Integer nInner,
        String activationFunction,
        double residPdrop,
        double embdPdrop,
        double attnPdrop,
        double layerNormEpsilon,
        double initializerRange,
        boolean scaleAttnWeights,
        boolean scaleAttnByInverseLayerIdx,
        boolean reorderAndUpcastAttn,
        boolean tieWordEmbeddings,
        boolean useCache,
        Integer bosTokenId,
        Integer eosTokenId) {

    public static final String MODEL_TYPE = "gpt2";

    /** HF's {@code GPT2Config()} with no arguments. */
    public static Gpt2Config defaults() {
        return ConfigFields.defaults(Gpt2Config::fromJson);
    }

    public static Gpt2Config read(Path configJson) throws IOException {
        return fromJson(ConfigFields.readJson(configJson), configJson);
    }

    /** Reads the fields of a parsed config; {@code source} names the file in errors (may be null). */
    public static Gpt2Config fromJson(JsonNode json, Path source) throws ConfigException {
        ConfigFields f = new ConfigFields(json, source);
        f.checkModelType(MODEL_TYPE);
        String embd = f.firstPresent("n_embd", "hidden_size");
        String head = f.firstPresent("n_head", "num_attention_heads");
        Gpt2Config c = new Gpt2Config(
                f.positiveInt("vocab_size", 50257),
                f.positiveInt(f.firstPresent("n_positions", "max_position_embeddings"), 1024),
                f.positiveInt(embd, 768),
                f.positiveInt(f.firstPresent("n_layer", "num_hidden_layers"), 12),
                f.positiveInt(head, 12),
                f.optionalInt("n_inner", null),
                f.string("activation_function", "gelu_new"),
                f.probability("resid_pdrop", 0.1),
                f.probability("embd_pdrop", 0.1),
                f.probability("attn_pdrop", 0.1),
                f.positiveNumber("layer_norm_epsilon", 1e-5),
                f.number("initializer_range", 0.02),
                f.bool("scale_attn_weights", true),
                f.bool("scale_attn_by_inverse_layer_idx", false),
                f.bool("reorder_and_upcast_attn", false),
                f.bool("tie_word_embeddings", true),
                f.bool("use_cache", true),
                f.optionalInt("bos_token_id", 50256),
                f.optionalInt("eos_token_id", 50256));
        if (c.activationFunction == null) throw f.bad("activation_function", "expected a string, found null");
        if (c.nInner != null && c.nInner <= 0) throw f.bad("n_inner", "expected null or an integer > 0, found " + c.nInner);
        f.checkDivisible(embd, c.nEmbd, head, c.nHead);
        return c;
    }

    /**
     * A small GPT-2 (training from scratch): these sizes, HF's defaults otherwise, one dropout rate everywhere,
     * and the last token id as end of text.
     */
    public static Gpt2Config small(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, double dropout) {
        if (vocabSize <= 0 || nPositions <= 0 || nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nEmbd % nHead != 0) {
            throw new IllegalArgumentException("GPT-2 sizes must be positive and n_embd divisible by n_head: vocab "
                    + vocabSize + ", positions " + nPositions + ", n_embd " + nEmbd + ", n_layer " + nLayer
                    + ", n_head " + nHead);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, null, "gelu_new", dropout, dropout, dropout,
                1e-5, 0.02, true, false, false, true, true, vocabSize - 1, vocabSize - 1);
    }

    /** The MLP's hidden width: n_inner, or 4 x n_embd when it is null. */
    public int innerSize() {
        return nInner != null ? nInner : 4 * nEmbd;
    }

    /** Width of one attention head: n_embd / n_head. */
    public int headSize() {
        return nEmbd / nHead;
    }
}
