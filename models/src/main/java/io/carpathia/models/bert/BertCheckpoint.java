package io.carpathia.models.bert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Module;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.weights.hf.BertConfig;
import io.carpathia.weights.hf.CheckpointFolder;
import io.carpathia.weights.hf.HfCheckpoint;
import io.carpathia.weights.onnx.BertOnnxImport;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import io.carpathia.weights.safetensors.TensorSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BERT checkpoints as Hugging Face folders ({@code config.json} + {@code model.safetensors} or shards), and BERT
 * weights imported from ONNX.
 *
 * <p>Reads the key styles found in the wild: bare names ({@code embeddings.word_embeddings.weight}, as
 * {@code BertModel.save_pretrained} writes them), the {@code bert.} prefix of task models, and the
 * {@code LayerNorm.gamma} / {@code LayerNorm.beta} of older checkpoints such as bert-base-uncased. The
 * {@code embeddings.position_ids} buffer is skipped, and so are the heads of other tasks ({@code cls.*} of the
 * pre-training heads; {@code classifier.*} when loading a bare encoder). Any other name the model lacks, any
 * parameter the file lacks and any shape that differs is an error naming them all.
 */
public final class BertCheckpoint {
    private BertCheckpoint() {}

    private static final String PREFIX = "bert.";

    /** Named tensors to load from: a safetensors checkpoint or an imported state dict. */
    private interface Source {
        List<String> names();

        long[] shape(String name);

        void readInto(String name, INDArray target) throws IOException;
    }

    /** The encoder of a Hugging Face folder; every problem is a one-line {@link UserError}. */
    public static BertModel loadModel(Path dir) {
        try (HfCheckpoint ckpt = open(dir)) {
            BertModel model = new BertModel(ckpt.bertConfig(), new Random(0), false);
            loadWeights(model, source(ckpt.weights()), dir.toString(), false);
            model.eval();
            return model;
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /**
     * A classifier from a Hugging Face folder. With {@code numLabels} null the config's labels are used and the
     * folder must hold the {@code classifier}; with a number of labels (fine-tuning a bare encoder) the classifier
     * is used when its shape fits and is otherwise left as initialised from {@code rng}, as Hugging Face does.
     */
    public static BertForSequenceClassification loadForSequenceClassification(Path dir, Integer numLabels,
                                                                              Random rng) {
        try (HfCheckpoint ckpt = open(dir)) {
            BertConfig config = ckpt.bertConfig();
            if (numLabels != null && numLabels != config.numLabels()) config = withLabels(config, numLabels);
            BertForSequenceClassification model = new BertForSequenceClassification(config, rng, false);
            loadWeights(model, source(ckpt.weights()), dir.toString(), numLabels != null);
            model.eval();
            return model;
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** An encoder with the weights and config of an ONNX export (see {@link BertOnnxImport}). */
    public static BertModel fromOnnx(Path onnxFile) {
        try {
            return fromImport(BertOnnxImport.read(onnxFile), onnxFile.toString());
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** An encoder built from imported weights; {@code origin} names them in errors. */
    public static BertModel fromImport(BertOnnxImport imported, String origin) {
        BertModel model = new BertModel(imported.config(), new Random(0), false);
        try {
            loadWeights(model, source(imported.tensors()), origin, false);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
        model.eval();
        return model;
    }

    /**
     * A classifier on the encoder of an ONNX export, with {@code numLabels} labels: the export's classifier when it
     * has one of that shape, otherwise a new one initialised from {@code rng}.
     */
    public static BertForSequenceClassification classifierFromImport(BertOnnxImport imported, String origin,
                                                                    int numLabels, Random rng) {
        BertConfig config = imported.config();
        if (numLabels != config.numLabels()) config = withLabels(config, numLabels);
        BertForSequenceClassification model = new BertForSequenceClassification(config, rng, false);
        try {
            loadWeights(model, source(imported.tensors()), origin, true);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
        model.eval();
        return model;
    }

    private static HfCheckpoint open(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new UserError("no such model folder: " + dir);
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        if (ckpt.configFile().isEmpty()) {
            throw new UserError(dir + " is not a model folder: it has no config.json");
        }
        if (ckpt.weightsLayout() == HfCheckpoint.WeightsLayout.NONE) {
            throw new UserError(dir + " has a config.json but no weights (model.safetensors or "
                    + "model.safetensors.index.json)");
        }
        return ckpt;
    }

    /**
     * Copies the tensors of {@code source} into {@code model} (a BertModel or a BertForSequenceClassification),
     * checking every name and shape first; nothing is copied when anything is wrong.
     *
     * @param classifierOptional a missing or differently shaped classifier keeps its initial values (fine-tuning)
     */
    private static void loadWeights(Module model, Source source, String origin, boolean classifierOptional)
            throws IOException {
        boolean task = model instanceof BertForSequenceClassification;
        Map<String, Tensor> params = model.namedParameters();
        Map<String, String> fileNameOf = new LinkedHashMap<>();   // our name -> name in the file
        List<String> unexpected = new ArrayList<>();
        for (String name : source.names()) {
            String ours = ourName(name, task);
            if (ours == null) continue;                            // buffers and other tasks' heads
            if (!params.containsKey(ours)) {
                unexpected.add(name);
            } else if (fileNameOf.put(ours, name) != null) {
                throw new UserError(origin + ": both " + fileNameOf.get(ours) + " and " + name + " load into "
                        + ours);
            }
        }
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            boolean optional = classifierOptional && e.getKey().startsWith("classifier.");
            String fileName = fileNameOf.get(e.getKey());
            if (fileName == null) {
                if (!optional) missing.add(e.getKey());
                continue;
            }
            long[] stored = source.shape(fileName);
            long[] expected = e.getValue().shape();
            if (!Shapes.same(stored, expected)) {
                if (optional) {
                    fileNameOf.remove(e.getKey());  // a head for other labels: re-initialised, as HF does
                    continue;
                }
                problems.add("tensor " + fileName + " has shape " + Shapes.str(stored) + " but the config implies "
                        + Shapes.str(expected));
            }
        }
        if (!missing.isEmpty()) problems.add(0, "missing tensors " + missing);
        if (!unexpected.isEmpty()) problems.add("unexpected tensors " + unexpected);
        if (!problems.isEmpty()) {
            throw new UserError(origin + ": the weights do not match a BERT of this config: "
                    + String.join("; ", problems));
        }
        for (Map.Entry<String, String> e : fileNameOf.entrySet()) {
            source.readInto(e.getValue(), params.get(e.getKey()).value());
        }
    }

    /**
     * The parameter a checkpoint name loads into, or null for names that are skipped: {@code bert.} dropped (then
     * added back for a task model), {@code gamma}/{@code beta} read as {@code weight}/{@code bias}.
     */
    static String ourName(String name, boolean task) {
        String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        if (n.equals("embeddings.position_ids") || n.startsWith("cls.")) return null;
        if (n.endsWith("LayerNorm.gamma")) n = n.substring(0, n.length() - "gamma".length()) + "weight";
        else if (n.endsWith("LayerNorm.beta")) n = n.substring(0, n.length() - "beta".length()) + "bias";
        if (n.startsWith("classifier.")) return task ? n : null;
        return task ? PREFIX + n : n;
    }

    private static Source source(TensorSource weights) {
        return new Source() {
            @Override
            public List<String> names() {
                return weights.names();
            }

            @Override
            public long[] shape(String name) {
                return weights.info(name).shape();
            }

            @Override
            public void readInto(String name, INDArray target) throws IOException {
                weights.readInto(name, target);
            }
        };
    }

    private static Source source(Map<String, INDArray> tensors) {
        return new Source() {
            @Override
            public List<String> names() {
                return new ArrayList<>(tensors.keySet());
            }

            @Override
            public long[] shape(String name) {
                return tensors.get(name).shape();
            }

            @Override
            public void readInto(String name, INDArray target) {
                Tensor.of(target).assign(tensors.get(name));
            }
        };
    }

    /** The config with {@code numLabels} labels named LABEL_0 ... */
    static BertConfig withLabels(BertConfig c, int numLabels) {
        Map<Integer, String> labels = new TreeMap<>();
        for (int i = 0; i < numLabels; i++) labels.put(i, "LABEL_" + i);
        return withLabels(c, labels);
    }

    /** The config with other labels. */
    public static BertConfig withLabels(BertConfig c, Map<Integer, String> id2label) {
        return new BertConfig(c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.intermediateSize(), c.hiddenAct(), c.hiddenDropoutProb(), c.attentionProbsDropoutProb(),
                c.maxPositionEmbeddings(), c.typeVocabSize(), c.initializerRange(), c.layerNormEps(), c.padTokenId(),
                c.positionEmbeddingType(), c.isDecoder(), c.useCache(), c.classifierDropout(), c.tieWordEmbeddings(),
                id2label);
    }

    /** Writes an encoder as a Hugging Face folder (what {@code BertModel.from_pretrained} loads). */
    public static void save(BertModel model, Path dir) throws IOException {
        save(model, model.config(), "BertModel", dir, Map.of());
    }

    /** Writes a classifier as a Hugging Face folder ({@code bert.*} and {@code classifier.*}). */
    public static void save(BertForSequenceClassification model, Path dir) throws IOException {
        save(model, model.config(), "BertForSequenceClassification", dir, Map.of());
    }

    /**
     * Writes {@code config.json}, {@code model.safetensors} and copies of {@code extraFiles} (name in the folder ->
     * file to copy, e.g. the tokenizer) into a sibling folder, which then replaces {@code dir}: an interrupted save
     * leaves the previous folder intact.
     */
    public static void save(Module model, BertConfig config, String architecture, Path dir, Map<String, Path> extraFiles)
            throws IOException {
        save(model, config, architecture, dir, extraFiles, true);
    }

    /**
     * As {@link #save(Module, BertConfig, String, Path, Map)}; with {@code replace} false an existing {@code dir} is
     * an error and is left untouched ({@link java.nio.file.FileAlreadyExistsException}).
     */
    public static void save(Module model, BertConfig config, String architecture, Path dir, Map<String, Path> extraFiles,
                            boolean replace) throws IOException {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : extraFiles.entrySet()) {
            contents.put(e.getKey(), Files.readAllBytes(e.getValue()));
        }
        saveWithFiles(model, config, architecture, dir, contents, replace);
    }

    /**
     * As {@link #save(Module, BertConfig, String, Path, Map, boolean)}, the extra files given by their contents (name
     * in the folder -> bytes), e.g. a tokenizer read from the class path.
     */
    public static void saveWithFiles(Module model, BertConfig config, String architecture, Path dir,
                                     Map<String, byte[]> extraFiles, boolean replace) throws IOException {
        CheckpointFolder.write(dir, replace, tmp -> {
            Files.writeString(tmp.resolve(HfCheckpoint.CONFIG_FILE), configJson(config, architecture),
                    StandardCharsets.UTF_8);
            SafetensorsWriter weights = new SafetensorsWriter().putMetadata("format", "pt");
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                weights.add(e.getKey(), e.getValue().value());
            }
            weights.write(tmp.resolve("model.safetensors"));
            for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
                Files.write(tmp.resolve(e.getKey()), e.getValue());
            }
        });
    }

    /** config.json as transformers writes it for a BERT model. */
    static String configJson(BertConfig c, String architecture) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = json.createObjectNode();
        o.put("model_type", BertConfig.MODEL_TYPE);
        o.putArray("architectures").add(architecture);
        o.put("vocab_size", c.vocabSize());
        o.put("hidden_size", c.hiddenSize());
        o.put("num_hidden_layers", c.numHiddenLayers());
        o.put("num_attention_heads", c.numAttentionHeads());
        o.put("intermediate_size", c.intermediateSize());
        o.put("hidden_act", c.hiddenAct());
        o.put("hidden_dropout_prob", c.hiddenDropoutProb());
        o.put("attention_probs_dropout_prob", c.attentionProbsDropoutProb());
        o.put("max_position_embeddings", c.maxPositionEmbeddings());
        o.put("type_vocab_size", c.typeVocabSize());
        o.put("initializer_range", c.initializerRange());
        o.put("layer_norm_eps", c.layerNormEps());
        if (c.padTokenId() == null) o.putNull("pad_token_id");
        else o.put("pad_token_id", c.padTokenId());
        o.put("position_embedding_type", c.positionEmbeddingType());
        o.put("is_decoder", c.isDecoder());
        o.put("use_cache", c.useCache());
        if (c.classifierDropout() == null) o.putNull("classifier_dropout");
        else o.put("classifier_dropout", c.classifierDropout());
        ObjectNode id2label = o.putObject("id2label");
        ObjectNode label2id = o.putObject("label2id");
        c.id2label().forEach((id, label) -> {
            id2label.put(Integer.toString(id), label);
            label2id.put(label, id);
        });
        o.put("torch_dtype", "float32");
        return json.writeValueAsString(o) + "\n";
    }
}
