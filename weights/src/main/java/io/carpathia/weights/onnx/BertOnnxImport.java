package io.carpathia.weights.onnx;

import io.carpathia.weights.hf.BertConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The weights and config of a BERT encoder exported to ONNX from PyTorch (as Hugging Face's and sentence-transformers'
 * exports of BertModel are), in Hugging Face's names and layouts.
 *
 * <p>In such an export biases, embeddings, LayerNorms and {@code pooler.dense.weight} keep their Hugging Face names.
 * Each encoder dense weight is a constant {@code onnx::MatMul_N} stored transposed ([in, out]); the MatMul node that
 * reads it is named by the module path, {@code /encoder/layer.0/attention/self/query/MatMul}, which gives
 * {@code encoder.layer.0.attention.self.query.weight} = the transpose. The config is read off the graph: sizes from
 * the tensors' shapes, the number of heads from the Reshape that splits them (or the attention scale), the LayerNorm
 * eps from its constant, the activation from the operators of the intermediate layer.
 *
 * @param tensors Hugging Face name -> dense FLOAT array in Hugging Face's layout ([out, in] for dense weights), in
 *                the file's order; {@code embeddings.position_ids} and a leading {@code bert.} are left out
 */
public record BertOnnxImport(BertConfig config, Map<String, INDArray> tensors) {
    public BertOnnxImport {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    private static final String WORD = "embeddings.word_embeddings.weight";
    private static final String POSITION = "embeddings.position_embeddings.weight";
    private static final String TOKEN_TYPE = "embeddings.token_type_embeddings.weight";
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final Pattern MATMUL_NODE = Pattern.compile("^/(.+)/MatMul(_\\d+)?$");

    /** Reads an .onnx file; a file that is not a BERT encoder is an {@link OnnxImportException} naming what is missing. */
    public static BertOnnxImport read(Path file) throws IOException {
        return of(OnnxModel.read(file));
    }

    /** The BERT weights and config of a parsed model. */
    public static BertOnnxImport of(OnnxModel model) throws OnnxImportException {
        Map<String, INDArray> tensors = hfTensors(model);
        BertConfig config = inferConfig(model, tensors);
        checkComplete(model, config, tensors);
        return new BertOnnxImport(config, tensors);
    }

    /** Every FLOAT initializer under its Hugging Face name; MatMul constants named by their node and transposed. */
    static Map<String, INDArray> hfTensors(OnnxModel model) throws OnnxImportException {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (OnnxTensor t : model.initializers().values()) {
            String name = t.name();
            if (t.dataType() != OnnxDataType.FLOAT) continue; // position_ids (INT64) and other index buffers
            INDArray value;
            if (name.startsWith("onnx::") || !name.contains(".")) {
                // an exporter's constant: a weight if a MatMul (or Gemm) reads it as its second operand
                String hf = denseWeightName(model, t);
                if (hf == null) continue; // not a weight (a shape or scale constant kept as an initializer)
                name = hf;
                value = gemmKeepsLayout(model, t) ? t.toArray() : t.toTransposedArray();
            } else {
                value = gemmTransposes(model, t) ? t.toTransposedArray() : t.toArray();
            }
            name = stripBertPrefix(name);
            if (name.equals("embeddings.position_ids")) continue;
            if (out.put(name, value) != null) {
                throw new OnnxImportException(model.source(), "two initializers map to the Hugging Face name '" + name
                        + "'");
            }
        }
        return out;
    }

    /**
     * The Hugging Face weight name of a constant read as the second operand of exactly one MatMul (or Gemm) whose node
     * name is a module path ({@code /encoder/layer.0/output/dense/MatMul} -> {@code encoder.layer.0.output.dense
     * .weight}); null when no such node reads it.
     */
    private static String denseWeightName(OnnxModel model, OnnxTensor t) throws OnnxImportException {
        if (t.rank() != 2) return null;
        List<OnnxNode> users = model.consumers(t.name());
        String found = null;
        for (OnnxNode n : users) {
            if (!(n.opType().equals("MatMul") || n.opType().equals("Gemm")) || n.inputs().size() < 2
                    || !n.inputs().get(1).equals(t.name())) {
                continue;
            }
            Matcher m = MATMUL_NODE.matcher(n.name().replace("/Gemm", "/MatMul"));
            if (!m.matches()) {
                throw new OnnxImportException(model.source(), "the weight '" + t.name() + "' is read by the "
                        + n.opType() + " node '" + n.name() + "', whose name is not a module path such as "
                        + "/encoder/layer.0/attention/self/query/MatMul, so its Hugging Face name is unknown");
            }
            String name = m.group(1).replace('/', '.') + ".weight";
            if (found != null && !found.equals(name)) {
                throw new OnnxImportException(model.source(), "the weight '" + t.name() + "' is read by two layers ("
                        + found + " and " + name + ")");
            }
            found = name;
        }
        return found;
    }

    /** A constant read by a Gemm with transB = 1 is already [out, in]. */
    private static boolean gemmKeepsLayout(OnnxModel model, OnnxTensor t) {
        for (OnnxNode n : model.consumers(t.name())) {
            if (n.opType().equals("Gemm") && n.inputs().size() > 1 && n.inputs().get(1).equals(t.name())) {
                OnnxAttribute transB = n.attribute("transB");
                return transB != null && transB.i() != 0;
            }
        }
        return false;
    }

    /** A named weight read by a Gemm with transB = 0 is stored [in, out] and must be transposed. */
    private static boolean gemmTransposes(OnnxModel model, OnnxTensor t) {
        if (t.rank() != 2) return false;
        for (OnnxNode n : model.consumers(t.name())) {
            if (n.opType().equals("Gemm") && n.inputs().size() > 1 && n.inputs().get(1).equals(t.name())) {
                OnnxAttribute transB = n.attribute("transB");
                return transB == null || transB.i() == 0;
            }
        }
        return false;
    }

    private static String stripBertPrefix(String name) {
        return name.startsWith("bert.") ? name.substring("bert.".length()) : name;
    }

    // ------------------------------------------------------------------------------------------------ the config

    static BertConfig inferConfig(OnnxModel model, Map<String, INDArray> t) throws OnnxImportException {
        List<String> missing = new ArrayList<>();
        for (String name : List.of(WORD, POSITION, TOKEN_TYPE, "embeddings.LayerNorm.weight")) {
            if (!t.containsKey(name)) missing.add(name);
        }
        if (!missing.isEmpty()) {
            throw new OnnxImportException(model.source(), "not a BERT model: no initializer " + String.join(", ", missing)
                    + " (found " + summary(t.keySet()) + ")");
        }
        long[] word = t.get(WORD).shape();
        int vocab = Math.toIntExact(word[0]);
        int hidden = Math.toIntExact(word[1]);
        int positions = Math.toIntExact(t.get(POSITION).shape()[0]);
        int types = Math.toIntExact(t.get(TOKEN_TYPE).shape()[0]);
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : t.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) layers.add(Integer.parseInt(m.group(1)));
        }
        if (layers.isEmpty()) {
            throw new OnnxImportException(model.source(), "not a BERT model: no encoder.layer.N tensors");
        }
        if (layers.first() != 0 || layers.last() != layers.size() - 1) {
            throw new OnnxImportException(model.source(), "the encoder layers are not numbered 0.." + (layers.size() - 1)
                    + ": found " + layers);
        }
        INDArray intermediate = t.get("encoder.layer.0.intermediate.dense.bias");
        if (intermediate == null) {
            throw new OnnxImportException(model.source(), "not a BERT model: no encoder.layer.0.intermediate.dense.bias");
        }
        int heads = heads(model, hidden);
        double eps = layerNormEps(model);
        String act = activation(model);
        Map<Integer, String> labels = new TreeMap<>();
        INDArray classifier = t.get("classifier.weight");
        int numLabels = classifier != null ? Math.toIntExact(classifier.shape()[0]) : 2;
        for (int i = 0; i < numLabels; i++) labels.put(i, "LABEL_" + i);
        BertConfig d = BertConfig.defaults();
        return new BertConfig(vocab, hidden, layers.size(), heads, Math.toIntExact(intermediate.shape()[0]), act,
                d.hiddenDropoutProb(), d.attentionProbsDropoutProb(), positions, types, d.initializerRange(), eps,
                d.padTokenId(), "absolute", false, d.useCache(), d.classifierDropout(), d.tieWordEmbeddings(), labels);
    }

    /**
     * The number of heads, from the first layer's self-attention: a Reshape of q, k or v to [B, T, heads, head_size]
     * (its shape a constant, or a Concat whose last two parts are), else the scale of the scores (÷ √head_size or
     * × 1/√head_size).
     */
    private static int heads(OnnxModel model, int hidden) throws OnnxImportException {
        for (OnnxNode n : model.nodes()) {
            if (!n.opType().equals("Reshape") || !inFirstSelfAttention(n) || n.inputs().size() < 2) continue;
            long[] shape = constantShape(model, n.inputs().get(1));
            if (shape != null && shape.length == 4 && shape[2] > 0 && shape[2] * shape[3] == hidden) {
                return Math.toIntExact(shape[2]);
            }
        }
        for (OnnxNode n : model.nodes()) {
            if (!(n.opType().equals("Div") || n.opType().equals("Mul")) || !inFirstSelfAttention(n)) continue;
            for (String in : n.inputs()) {
                OnnxTensor c = model.constant(in);
                if (c == null || c.elementCount() != 1) continue;
                double v = c.toDoubles()[0];
                double headSize = n.opType().equals("Div") ? v * v : 1 / (v * v);
                long hs = Math.round(headSize);
                if (hs > 0 && Math.abs(headSize - hs) < 1e-3 * hs && hidden % hs == 0) {
                    return Math.toIntExact(hidden / hs);
                }
            }
        }
        throw new OnnxImportException(model.source(), "cannot tell the number of attention heads: no Reshape to "
                + "[batch, time, heads, head_size] with constant heads and head_size, and no constant attention scale, "
                + "under /encoder/layer.0/attention/self/");
    }

    private static boolean inFirstSelfAttention(OnnxNode n) {
        String name = n.name().startsWith("/bert/") ? n.name().substring("/bert".length()) : n.name();
        return name.startsWith("/encoder/layer.0/attention/self/");
    }

    /** A shape given as a constant, or as a Concat of pieces; unknown (run-time) pieces are -1. Null if no constant. */
    private static long[] constantShape(OnnxModel model, String value) {
        OnnxTensor c = model.constant(value);
        if (c != null) return c.dataType() == OnnxDataType.INT64 ? c.toLongs() : null;
        OnnxNode p = model.producer(value);
        if (p == null || !p.opType().equals("Concat")) return null;
        List<Long> parts = new ArrayList<>();
        boolean anyConstant = false;
        for (String in : p.inputs()) {
            OnnxTensor piece = model.constant(in);
            if (piece != null && piece.dataType() == OnnxDataType.INT64) {
                for (long v : piece.toLongs()) parts.add(v);
                anyConstant = true;
            } else {
                parts.add(-1L); // a run-time size (batch or time), one element in these exports
            }
        }
        if (!anyConstant) return null;
        return parts.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * The LayerNorm epsilon: the {@code epsilon} of LayerNormalization nodes, or in the decomposed form the scalar
     * constant added to the variance before Sqrt. All LayerNorms must agree.
     */
    private static double layerNormEps(OnnxModel model) throws OnnxImportException {
        TreeSet<Float> found = new TreeSet<>();
        for (OnnxNode n : model.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                OnnxAttribute e = n.attribute("epsilon");
                found.add(e == null ? 1e-5f : e.f());
            } else if (n.opType().equals("Sqrt") && n.inputs().size() == 1) {
                OnnxNode add = model.producer(n.inputs().get(0));
                if (add == null || !add.opType().equals("Add")) continue;
                for (String in : add.inputs()) {
                    OnnxTensor c = model.constant(in);
                    if (c != null && c.elementCount() == 1 && c.dataType() == OnnxDataType.FLOAT) found.add(c.toFloats()[0]);
                }
            }
        }
        if (found.isEmpty()) {
            throw new OnnxImportException(model.source(), "cannot tell the LayerNorm epsilon: no LayerNormalization "
                    + "node and no constant added to a variance before Sqrt");
        }
        if (found.size() > 1) {
            throw new OnnxImportException(model.source(), "the LayerNorms use different epsilons " + found
                    + "; a BERT config has one layer_norm_eps");
        }
        // the shortest decimal of the float32 constant: float32(1e-12) is read back as 1e-12, as config.json has it
        return Double.parseDouble(Float.toString(found.first()));
    }

    /** hidden_act from the operators of the first layer's intermediate block. */
    private static String activation(OnnxModel model) throws OnnxImportException {
        List<String> ops = new ArrayList<>();
        for (OnnxNode n : model.nodes()) {
            String name = n.name().startsWith("/bert/") ? n.name().substring("/bert".length()) : n.name();
            if (!name.startsWith("/encoder/layer.0/intermediate/")) continue;
            ops.add(n.opType());
            switch (n.opType()) {
                case "Erf" -> {
                    return "gelu";
                }
                case "Tanh", "FastGelu" -> {
                    return "gelu_new";
                }
                case "Relu" -> {
                    return "relu";
                }
                case "Gelu", "BiasGelu" -> {
                    OnnxAttribute approx = n.attribute("approximate");
                    return approx != null && "tanh".equals(approx.s()) ? "gelu_new" : "gelu";
                }
                default -> {
                    // MatMul, Add, Div, Mul, Pow ... of the activation's formula
                }
            }
        }
        throw new OnnxImportException(model.source(), "cannot tell the activation of /encoder/layer.0/intermediate/: "
                + "no Erf, Tanh, Relu or Gelu node there (found " + (ops.isEmpty() ? "no nodes" : ops) + ")");
    }

    /** Every tensor a BertModel of {@code config} needs is there with its shape; a classifier is optional. */
    private static void checkComplete(OnnxModel model, BertConfig c, Map<String, INDArray> t) throws OnnxImportException {
        Map<String, long[]> expected = expectedShapes(c);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            INDArray a = t.get(e.getKey());
            if (a == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(a.shape(), e.getValue())) {
                problems.add(e.getKey() + " has shape " + Arrays.toString(a.shape()) + ", expected "
                        + Arrays.toString(e.getValue()));
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxImportException(model.source(), "not a complete BERT model (" + c.numHiddenLayers()
                    + " layers, hidden " + c.hiddenSize() + "): " + String.join("; ", problems.subList(0,
                    Math.min(12, problems.size()))) + (problems.size() > 12 ? "; and " + (problems.size() - 12)
                    + " more" : ""));
        }
    }

    /** The names and [out, in] shapes of a Hugging Face BertModel's parameters. */
    public static Map<String, long[]> expectedShapes(BertConfig c) {
        long h = c.hiddenSize();
        long i = c.intermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(WORD, new long[] {c.vocabSize(), h});
        m.put(POSITION, new long[] {c.maxPositionEmbeddings(), h});
        m.put(TOKEN_TYPE, new long[] {c.typeVocabSize(), h});
        m.put("embeddings.LayerNorm.weight", new long[] {h});
        m.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String d : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                m.put(p + d + ".weight", new long[] {h, h});
                m.put(p + d + ".bias", new long[] {h});
            }
            m.put(p + "attention.output.LayerNorm.weight", new long[] {h});
            m.put(p + "attention.output.LayerNorm.bias", new long[] {h});
            m.put(p + "intermediate.dense.weight", new long[] {i, h});
            m.put(p + "intermediate.dense.bias", new long[] {i});
            m.put(p + "output.dense.weight", new long[] {h, i});
            m.put(p + "output.dense.bias", new long[] {h});
            m.put(p + "output.LayerNorm.weight", new long[] {h});
            m.put(p + "output.LayerNorm.bias", new long[] {h});
        }
        m.put("pooler.dense.weight", new long[] {h, h});
        m.put("pooler.dense.bias", new long[] {h});
        return m;
    }

    private static String summary(java.util.Collection<String> names) {
        if (names.isEmpty()) return "no FLOAT initializers with layer names";
        List<String> first = new ArrayList<>(names).subList(0, Math.min(5, names.size()));
        return String.join(", ", first) + (names.size() > 5 ? ", ... (" + names.size() + " in all)" : "");
    }
}
