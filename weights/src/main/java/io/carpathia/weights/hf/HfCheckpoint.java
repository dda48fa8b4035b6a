package io.carpathia.weights.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.carpathia.weights.safetensors.Safetensors;
import io.carpathia.weights.safetensors.ShardedSafetensorsReader;
import io.carpathia.weights.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Hugging Face checkpoint folder: {@code config.json}, the weights ({@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}) and the tokenizer files present.
 *
 * <pre>{@code
 * try (HfCheckpoint ckpt = HfCheckpoint.open(Path.of("gpt2"))) {
 *     Gpt2Config config = ckpt.gpt2Config();
 *     INDArray wte = ckpt.weights().read("transformer.wte.weight");
 * }
 * }</pre>
 *
 * <p>{@link #open} only finds the files; the config is parsed and the weights' headers are read on first use, and the
 * weights stay open until {@link #close}.
 */
public final class HfCheckpoint implements AutoCloseable {
    public static final String CONFIG_FILE = "config.json";

    /** How the weights are stored. */
    public enum WeightsLayout { SINGLE_FILE, SHARDED, NONE }

    private final Path dir;
    private final Optional<Path> configFile;
    private final Optional<Path> weightsFile;
    private final TokenizerFiles tokenizer;
    private JsonNode config;
    private TensorSource weights;

    private HfCheckpoint(Path dir, Optional<Path> configFile, Optional<Path> weightsFile, TokenizerFiles tokenizer) {
        this.dir = dir;
        this.configFile = configFile;
        this.weightsFile = weightsFile;
        this.tokenizer = tokenizer;
    }

    /** Finds the checkpoint's files in {@code dir}; reads nothing yet. */
    public static HfCheckpoint open(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new NoSuchFileException(dir.toString());
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a folder (a checkpoint is a folder with config.json and"
                    + " model.safetensors)");
        }
        Path config = dir.resolve(CONFIG_FILE);
        Optional<Path> weightsFile;
        try {
            weightsFile = Optional.of(Safetensors.weightsIn(dir));
        } catch (NoSuchFileException e) {
            weightsFile = Optional.empty();
        }
        return new HfCheckpoint(dir, Files.isRegularFile(config) ? Optional.of(config) : Optional.empty(), weightsFile,
                TokenizerFiles.find(dir));
    }

    public Path directory() {
        return dir;
    }

    public Optional<Path> configFile() {
        return configFile;
    }

    /** The parsed config.json; a missing or malformed file is a {@link ConfigException}. */
    public synchronized JsonNode config() throws IOException {
        if (config == null) {
            Path file = configFile.orElseThrow(() -> new ConfigException(dir.resolve(CONFIG_FILE), null,
                    "the checkpoint has no " + CONFIG_FILE));
            config = ConfigFields.readJson(file);
        }
        return config;
    }

    /** config.json's {@code model_type} ("gpt2", "bert", "vit", ...), or empty when it has none. */
    public Optional<String> modelType() throws IOException {
        JsonNode t = config().get("model_type");
        return t != null && t.isTextual() ? Optional.of(t.textValue()) : Optional.empty();
    }

    public Gpt2Config gpt2Config() throws IOException {
        return Gpt2Config.fromJson(config(), configFile.orElse(null));
    }

    public BertConfig bertConfig() throws IOException {
        return BertConfig.fromJson(config(), configFile.orElse(null));
    }

    public VitConfig vitConfig() throws IOException {
        return VitConfig.fromJson(config(), configFile.orElse(null));
    }

    public WeightsLayout weightsLayout() {
        if (weightsFile.isEmpty()) return WeightsLayout.NONE;
        return weightsFile.get().getFileName().toString().endsWith(".index.json") ? WeightsLayout.SHARDED
                : WeightsLayout.SINGLE_FILE;
    }

    /** The single weights file, or the index of a sharded checkpoint. */
    public Optional<Path> weightsFile() {
        return weightsFile;
    }

    /** The weights, opened (headers validated) on first call and kept open until {@link #close}. */
    public synchronized TensorSource weights() throws IOException {
        if (weights == null) {
            Path file = weightsFile.orElseThrow(() -> new NoSuchFileException(dir.toString(), null,
                    "no model.safetensors or model.safetensors.index.json in the checkpoint"));
            weights = Safetensors.open(file);
        }
        return weights;
    }

    /** Every file holding weights: the single file, or the shards (which opens the index). */
    public List<Path> weightFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        if (weightsLayout() == WeightsLayout.SINGLE_FILE) {
            files.add(weightsFile.get());
        } else if (weightsLayout() == WeightsLayout.SHARDED) {
            ((ShardedSafetensorsReader) weights()).shards().forEach(r -> files.add(r.file()));
        }
        return files;
    }

    public TokenizerFiles tokenizer() {
        return tokenizer;
    }

    @Override
    public synchronized void close() throws IOException {
        if (weights != null) {
            weights.close();
            weights = null;
        }
    }

    @Override
    public String toString() {
        return "HfCheckpoint[" + dir + ", weights " + weightsLayout() + ", tokenizer " + tokenizer.kind() + "]";
    }
}
