package io.carpathia.weights.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A ViT {@code config.json} as Hugging Face's {@code ViTConfig} reads it: missing fields take its defaults (those of
 * google/vit-base-patch16-224), unknown fields are ignored.
 *
 * @param id2label the classification labels ({@code num_labels} = its size; HF's default is 2)
 */
public record VitConfig(
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        String hiddenAct,
        double hiddenDropoutProb,
        double attentionProbsDropoutProb,
        double initializerRange,
        double layerNormEps,
        int imageSize,
        int patchSize,
        int numChannels,
        boolean qkvBias,
        int encoderStride,
        Map<Integer, String> id2label) {

    public static final String MODEL_TYPE = "vit";

    public VitConfig {
        id2label = Collections.unmodifiableMap(new TreeMap<>(id2label)); // sorted by id
    }

    /** HF's {@code ViTConfig()} with no arguments. */
    public static VitConfig defaults() {
        return ConfigFields.defaults(VitConfig::fromJson);
    }

    public static VitConfig read(Path configJson) throws IOException {
        return fromJson(ConfigFields.readJson(configJson), configJson);
    }

    /** Reads the fields of a parsed config; {@code source} names the file in errors (may be null). */
    public static VitConfig fromJson(JsonNode json, Path source) throws ConfigException {
        ConfigFields f = new ConfigFields(json, source);
        f.checkModelType(MODEL_TYPE);
        for (String field : new String[] {"image_size", "patch_size"}) {
            if (json.has(field) && json.get(field).isArray()) {
                throw f.bad(field, "a [height, width] pair is not supported; give one integer (square images)");
            }
        }
        VitConfig c = new VitConfig(
                f.positiveInt("hidden_size", 768),
                f.positiveInt("num_hidden_layers", 12),
                f.positiveInt("num_attention_heads", 12),
                f.positiveInt("intermediate_size", 3072),
                f.string("hidden_act", "gelu"),
                f.probability("hidden_dropout_prob", 0.0),
                f.probability("attention_probs_dropout_prob", 0.0),
                f.number("initializer_range", 0.02),
                f.positiveNumber("layer_norm_eps", 1e-12),
                f.positiveInt("image_size", 224),
                f.positiveInt("patch_size", 16),
                f.positiveInt("num_channels", 3),
                f.bool("qkv_bias", true),
                f.positiveInt("encoder_stride", 16),
                f.id2label(2));
        if (c.hiddenAct == null) throw f.bad("hidden_act", "expected a string, found null");
        f.checkDivisible("hidden_size", c.hiddenSize, "num_attention_heads", c.numAttentionHeads);
        if (c.patchSize > c.imageSize) {
            throw f.bad("patch_size", "patch_size (" + c.patchSize + ") is larger than image_size (" + c.imageSize
                    + ")");
        }
        return c;
    }

    public int numLabels() {
        return id2label.size();
    }

    /** Patches per image: (image_size / patch_size)^2. */
    public int numPatches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /** Width of one attention head: hidden_size / num_attention_heads. */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }
}
