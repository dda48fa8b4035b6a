package io.carpathia.models.gpt2;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.device.ParameterVersions;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.weights.hf.Gpt2Config;
import io.carpathia.weights.hf.CheckpointFolder;
import io.carpathia.weights.hf.HfCheckpoint;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GPT-2 checkpoints as Hugging Face folders: {@code config.json} and {@code model.safetensors} (or shards).
 *
 * <p>Reads both key styles — {@code transformer.h.0...} as {@code save_pretrained} writes, and {@code h.0...} as the
 * original hub checkpoint has them — and skips the {@code attn.bias} / {@code attn.masked_bias} buffers of old
 * checkpoints. A stored {@code lm_head.weight} must equal {@code wte} (the head is tied). Writes what
 * {@code GPT2LMHeadModel.from_pretrained} loads.
 */
public final class Gpt2Checkpoint {
    private Gpt2Checkpoint() {}

    private static final String PREFIX = "transformer.";

    /** Loads config and weights; every problem is a one-line {@link UserError} naming the file and tensor. */
    public static Gpt2LMHeadModel load(Path dir) {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            if (ckpt.configFile().isEmpty()) {
                throw new UserError(dir + " is not a model folder: it has no config.json");
            }
            if (ckpt.weightsLayout() == HfCheckpoint.WeightsLayout.NONE) {
                throw new UserError(dir + " has a config.json but no weights (model.safetensors or "
                        + "model.safetensors.index.json)");
            }
            Gpt2Config config = ckpt.gpt2Config();
            Gpt2LMHeadModel model = new Gpt2LMHeadModel(config, new Random(0));
            loadWeights(model, ckpt.weights(), dir);
            model.eval();
            return model;
        } catch (IOException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** Copies the tensors of {@code source} into {@code model}, checking names and shapes first. */
    static void loadWeights(Gpt2LMHeadModel model, TensorSource source, Path dir) throws IOException {
        Map<String, Tensor> params = model.namedParameters();
        Map<String, String> fileNameOf = new LinkedHashMap<>();  // our name -> name in the file
        List<String> unexpected = new ArrayList<>();
        String lmHead = null;
        for (String name : source.names()) {
            if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) continue; // causal-mask buffers
            String ours = name.startsWith(PREFIX) ? name : PREFIX + name;
            if (name.equals("lm_head.weight")) {
                lmHead = name;
            } else if (params.containsKey(ours)) {
                fileNameOf.put(ours, name);
            } else {
                unexpected.add(name);
            }
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String fileName = fileNameOf.get(e.getKey());
            if (fileName == null) {
                problems.add("missing tensor " + e.getKey());
                continue;
            }
            long[] stored = source.info(fileName).shape();
            long[] expected = e.getValue().shape();
            if (!Shapes.same(stored, expected)) {
                problems.add("tensor " + fileName + " has shape " + Shapes.str(stored) + " but config.json implies "
                        + Shapes.str(expected));
            }
        }
        if (!unexpected.isEmpty()) problems.add("unexpected tensors " + unexpected);
        if (!problems.isEmpty()) {
            throw new UserError(dir + ": the weights do not match a GPT-2 of this config.json: "
                    + String.join("; ", problems));
        }
        for (Map.Entry<String, String> e : fileNameOf.entrySet()) {
            INDArray target = params.get(e.getKey()).value();
            source.readInto(e.getValue(), target);
            ParameterVersions.changed(target);
        }
        if (lmHead != null) {
            INDArray head = source.read(lmHead, DataType.FLOAT);
            INDArray wte = params.get(PREFIX + "wte.weight").value();
            if (!Shapes.same(head.shape(), wte.shape()) || !sameValues(head, wte)) {
                throw new UserError(dir + ": lm_head.weight differs from transformer.wte.weight; Carpathia's GPT-2 "
                        + "ties the head to the token embedding");
            }
        }
    }

    /** Element-by-element equality of two dense arrays of the same shape (no copies of a 50k × 768 matrix). */
    private static boolean sameValues(INDArray a, INDArray b) {
        Native.View va = Native.view(a);
        Native.View vb = Native.view(b);
        for (long i = 0; i < va.length; i++) if (va.get(i) != vb.get(i)) return false;
        return true;
    }

    /**
     * Writes {@code model} as a Hugging Face folder, as a whole ({@link CheckpointFolder}): an interrupted save
     * leaves the previous checkpoint intact.
     */
    public static void save(Gpt2LMHeadModel model, Path dir, Map<String, Tensor> extraTensors,
                            Map<String, String> extraFiles) throws IOException {
        CheckpointFolder.write(dir, true, tmp -> {
            Files.writeString(tmp.resolve("config.json"), configJson(model.config()), StandardCharsets.UTF_8);
            SafetensorsWriter weights = new SafetensorsWriter().putMetadata("format", "pt");
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                weights.add(e.getKey(), e.getValue().value());
            }
            weights.write(tmp.resolve("model.safetensors"));
            if (extraTensors != null && !extraTensors.isEmpty()) {
                SafetensorsWriter w = new SafetensorsWriter();
                for (Map.Entry<String, Tensor> e : extraTensors.entrySet()) w.add(e.getKey(), e.getValue().value());
                w.write(tmp.resolve("optimizer.safetensors"));
            }
            if (extraFiles != null) {
                for (Map.Entry<String, String> e : extraFiles.entrySet()) {
                    Files.writeString(tmp.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
                }
            }
        });
    }

    /** config.json as transformers writes it for GPT2LMHeadModel. */
    static String configJson(Gpt2Config c) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = json.createObjectNode();
        o.put("model_type", "gpt2");
        o.putArray("architectures").add("GPT2LMHeadModel");
        o.put("vocab_size", c.vocabSize());
        o.put("n_positions", c.nPositions());
        o.put("n_ctx", c.nPositions());
        o.put("n_embd", c.nEmbd());
        o.put("n_layer", c.nLayer());
        o.put("n_head", c.nHead());
        if (c.nInner() == null) o.putNull("n_inner");
        else o.put("n_inner", c.nInner());
        o.put("activation_function", c.activationFunction());
        o.put("resid_pdrop", c.residPdrop());
        o.put("embd_pdrop", c.embdPdrop());
        o.put("attn_pdrop", c.attnPdrop());
        o.put("layer_norm_epsilon", c.layerNormEpsilon());
        o.put("initializer_range", c.initializerRange());
        o.put("scale_attn_weights", c.scaleAttnWeights());
        o.put("scale_attn_by_inverse_layer_idx", c.scaleAttnByInverseLayerIdx());
        o.put("reorder_and_upcast_attn", c.reorderAndUpcastAttn());
        o.put("tie_word_embeddings", c.tieWordEmbeddings());
        o.put("use_cache", c.useCache());
        if (c.bosTokenId() != null) o.put("bos_token_id", c.bosTokenId());
        if (c.eosTokenId() != null) o.put("eos_token_id", c.eosTokenId());
        o.put("torch_dtype", "float32");
        return json.writeValueAsString(o) + "\n";
    }
}
