package io.carpathia.weights.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A BERT {@code config.json} as Hugging Face's {@code BertConfig} reads it: missing fields take its defaults (those
 * of bert-base-uncased), unknown fields are ignored.
 *
 * @param padTokenId null when the config says None
 * @param classifierDropout null: HF then uses hidden_dropout_prob
 * @param id2label the classification labels ({@code num_labels} = its size; HF's default is 2)
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double initializerRange,
        double layerNormEps,
        Integer padTokenId,
        String positionEmbeddingType,
        boolean isDecoder,
        boolean useCache,
        Double classifierDropout,
        boolean tieWordEmbeddings,
        Map<Integer, String> id2label) {

    public static final String MODEL_TYPE = "bert";

    public BertConfig {
        id2label = Collections.unmodifiableMap(new TreeMap<>(id2label)); // sorted by id
    }

    /** HF's {@code BertConfig()} with no arguments. */
    public static BertConfig defaults() {
        return ConfigFields.defaults(BertConfig::fromJson);
    }

    public static BertConfig read(Path configJson) throws IOException {
        return fromJson(ConfigFields.readJson(configJson), configJson);
    }

    /** Reads the fields of a parsed config; {@code source} names the file in errors (may be null). */
    public static BertConfig fromJson(JsonNode json, Path source) throws ConfigException {
        ConfigFields f = new ConfigFields(json, source);
        f.checkModelType(MODEL_TYPE);
        BertConfig c = new BertConfig(
                f.positiveInt("vocab_size", 30522),
                f.positiveInt("hidden_size", 768),
                f.positiveInt("num_hidden_layers", 12),
                f.positiveInt("num_attention_heads", 12),
                f.positiveInt("intermediate_size", 3072),
                f.string("hidden_act", "gelu"),
                f.probability("hidden_dropout_prob", 0.1),
                f.probability("attention_probs_dropout_prob", 0.1),
                f.positiveInt("max_position_embeddings", 512),
                f.positiveInt("type_vocab_size", 2),
                f.number("initializer_range", 0.02),
                f.positiveNumber("layer_norm_eps", 1e-12),
                f.optionalInt("pad_token_id", 0),
                f.choice("position_embedding_type", "absolute", "absolute", "relative_key", "relative_key_query"),
                f.bool("is_decoder", false),
                f.bool("use_cache", true),
                f.optionalProbability("classifier_dropout"),
                f.bool("tie_word_embeddings", true),
                f.id2label(2));
        if (c.hiddenAct == null) throw f.bad("hidden_act", "expected a string, found null");
        f.checkDivisible("hidden_size", c.hiddenSize, "num_attention_heads", c.numAttentionHeads);
        return c;
    }

    public int numLabels() {
        return id2label.size();
    }

    /** Width of one attention head: hidden_size / num_attention_heads. */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }
}
