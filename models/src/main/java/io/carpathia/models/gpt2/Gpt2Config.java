package io.carpathia.models.gpt2;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * GPT-2's hyperparameters with Hugging Face's {@code config.json} field names and GPT2Config's defaults for any field
 * a file leaves out ({@code n_inner} null means 4·n_embd).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Gpt2Config(
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("n_positions") int nPositions,
        @JsonProperty("n_embd") int nEmbd,
        @JsonProperty("n_layer") int nLayer,
        @JsonProperty("n_head") int nHead,
        @JsonProperty("n_inner") Integer nInner,
        @JsonProperty("activation_function") String activationFunction,
        @JsonProperty("resid_pdrop") double residPdrop,
        @JsonProperty("embd_pdrop") double embdPdrop,
        @JsonProperty("attn_pdrop") double attnPdrop,
        @JsonProperty("layer_norm_epsilon") double layerNormEpsilon,
        @JsonProperty("initializer_range") double initializerRange,
        @JsonProperty("scale_attn_weights") boolean scaleAttnWeights,
        @JsonProperty("bos_token_id") int bosTokenId,
        @JsonProperty("eos_token_id") int eosTokenId,
        @JsonProperty("tie_word_embeddings") boolean tieWordEmbeddings) {

    /** The published GPT-2 (124M) configuration, which is also what HF uses for absent fields. */
    public static Gpt2Config gpt2Small() {
        return new Gpt2Config(50257, 1024, 768, 12, 12, null, "gelu_new", 0.1, 0.1, 0.1, 1e-5, 0.02, true, 50256,
                50256, true);
    }

    /** A small model: the given sizes, HF's defaults otherwise, dropout {@code dropout} everywhere. */
    public static Gpt2Config small(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, double dropout) {
        return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, null, "gelu_new", dropout, dropout, dropout,
                1e-5, 0.02, true, vocabSize - 1, vocabSize - 1, true);
    }

    /** Jackson creator: absent fields take HF's defaults. */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static Gpt2Config fromJson(
            @JsonProperty("vocab_size") Integer vocabSize,
            @JsonProperty("n_positions") Integer nPositions,
            @JsonProperty("n_embd") Integer nEmbd,
            @JsonProperty("n_layer") Integer nLayer,
            @JsonProperty("n_head") Integer nHead,
            @JsonProperty("n_inner") Integer nInner,
            @JsonProperty("activation_function") String activationFunction,
            @JsonProperty("resid_pdrop") Double residPdrop,
            @JsonProperty("embd_pdrop") Double embdPdrop,
            @JsonProperty("attn_pdrop") Double attnPdrop,
            @JsonProperty("layer_norm_epsilon") Double layerNormEpsilon,
            @JsonProperty("initializer_range") Double initializerRange,
            @JsonProperty("scale_attn_weights") Boolean scaleAttnWeights,
            @JsonProperty("bos_token_id") Integer bosTokenId,
            @JsonProperty("eos_token_id") Integer eosTokenId,
            @JsonProperty("tie_word_embeddings") Boolean tieWordEmbeddings) {
        Gpt2Config d = gpt2Small();
        return new Gpt2Config(
                vocabSize != null ? vocabSize : d.vocabSize, nPositions != null ? nPositions : d.nPositions,
                nEmbd != null ? nEmbd : d.nEmbd, nLayer != null ? nLayer : d.nLayer, nHead != null ? nHead : d.nHead,
                nInner, activationFunction != null ? activationFunction : d.activationFunction,
                residPdrop != null ? residPdrop : d.residPdrop, embdPdrop != null ? embdPdrop : d.embdPdrop,
                attnPdrop != null ? attnPdrop : d.attnPdrop,
                layerNormEpsilon != null ? layerNormEpsilon : d.layerNormEpsilon,
                initializerRange != null ? initializerRange : d.initializerRange,
                scaleAttnWeights != null ? scaleAttnWeights : d.scaleAttnWeights,
                bosTokenId != null ? bosTokenId : d.bosTokenId, eosTokenId != null ? eosTokenId : d.eosTokenId,
                tieWordEmbeddings != null ? tieWordEmbeddings : d.tieWordEmbeddings);
    }

    /** Width of the MLP's hidden layer. */
    public int innerSize() {
        return nInner != null ? nInner : 4 * nEmbd;
    }

    public int headSize() {
        return nEmbd / nHead;
    }

    /** Checks the sizes agree with each other; the message names the field. */
    public Gpt2Config validate() {
        if (vocabSize <= 0 || nPositions <= 0 || nEmbd <= 0 || nLayer <= 0 || nHead <= 0) {
            throw new IllegalArgumentException("GPT-2 config: vocab_size, n_positions, n_embd, n_layer and n_head must "
                    + "be positive (got " + vocabSize + ", " + nPositions + ", " + nEmbd + ", " + nLayer + ", " + nHead + ")");
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("GPT-2 config: n_embd " + nEmbd + " is not divisible by n_head " + nHead);
        }
        if (!activationFunction.equals("gelu_new") && !activationFunction.equals("gelu")
                && !activationFunction.equals("relu") && !activationFunction.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException("GPT-2 config: activation_function '" + activationFunction
                    + "' is not supported (gelu_new, gelu_pytorch_tanh, gelu, relu)");
        }
        return this;
    }
}
