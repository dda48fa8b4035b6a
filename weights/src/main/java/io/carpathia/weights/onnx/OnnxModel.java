package io.carpathia.weights.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model as far as weight import needs it: the graph's nodes in file order, its initializers by name, the
 * names of its inputs and outputs, the producer and the opsets. Read with protobuf's wire-format reader, no
 * generated classes; see {@link OnnxReader} for what is checked.
 *
 * <pre>{@code
 * OnnxModel model = OnnxModel.read(Path.of("all-minilm-l6-v2.onnx"));
 * OnnxTensor wte = model.initializers().get("embeddings.word_embeddings.weight");   // FLOAT [30522, 384]
 * for (OnnxNode n : model.consumers("onnx::MatMul_885")) System.out.println(n.name());
 * }</pre>
 *
 * <p>{@link #read(Path)} maps the file into memory; the initializers' {@code raw_data} stay windows onto that
 * mapping until they are converted, so opening a model costs little more than walking its structure.
 */
public final class OnnxModel {
    private final Path source;
    private final long irVersion;
    private final String producerName;
    private final String producerVersion;
    private final Map<String, Long> opsets;
    private final String graphName;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    OnnxModel(Path source, long irVersion, String producerName, String producerVersion, Map<String, Long> opsets,
              String graphName, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs,
              List<String> outputs) {
        this.source = source;
        this.irVersion = irVersion;
        this.producerName = producerName;
        this.producerVersion = producerVersion;
        this.opsets = Collections.unmodifiableMap(new LinkedHashMap<>(opsets));
        this.graphName = graphName;
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (OnnxNode n : nodes) {
            for (String out : n.outputs()) if (!out.isEmpty()) producers.put(out, n);
            for (String in : n.inputs()) {
                if (!in.isEmpty()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
    }

    /** Reads an .onnx file (memory-mapped). A file that is not a readable ModelProto is an {@link OnnxFormatException}. */
    public static OnnxModel read(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new OnnxFormatException(file, "the file is " + size + " bytes; a self-contained ONNX model is "
                        + "under 2 GiB (larger models keep their weights as external data, which is not supported)");
            }
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return OnnxReader.read(mapped, file);
        }
    }

    /** Parses a ModelProto from memory ({@code source} names it in errors; may be null). */
    public static OnnxModel parse(byte[] bytes, Path source) throws OnnxFormatException {
        return OnnxReader.read(ByteBuffer.wrap(bytes), source);
    }

    /** The file it was read from (null when parsed from memory). */
    public Path source() {
        return source;
    }

    public long irVersion() {
        return irVersion;
    }

    public String producerName() {
        return producerName;
    }

    public String producerVersion() {
        return producerVersion;
    }

    /** Opset versions by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    public String graphName() {
        return graphName;
    }

    /** The graph's nodes in file order (ONNX requires a topological order). */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /** The initializers by name, in file order. */
    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** The names of the graph's inputs (some exporters also list initializers here). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The node that writes the value {@code name}, or null for a graph input or an initializer. */
    public OnnxNode producer(String name) {
        return producers.get(name);
    }

    /** The nodes that read the value {@code name}, in file order. */
    public List<OnnxNode> consumers(String name) {
        return consumers.getOrDefault(name, List.of());
    }

    /**
     * The constant value {@code name}: an initializer, or the output of a {@code Constant} node (its {@code value}
     * tensor, or {@code value_float(s)} / {@code value_int(s)}); null when the value is computed at run time.
     */
    public OnnxTensor constant(String name) {
        OnnxTensor init = initializers.get(name);
        if (init != null) return init;
        OnnxNode p = producers.get(name);
        if (p == null || !p.opType().equals("Constant") || !p.domain().isEmpty()) return null;
        for (OnnxAttribute a : p.attributes().values()) {
            switch (a.name()) {
                case "value" -> {
                    return a.t();
                }
                case "value_float" -> {
                    return OnnxTensors.floats(name, new long[0], a.f());
                }
                case "value_floats" -> {
                    return OnnxTensors.floats(name, new long[] {a.floats().length}, a.floats());
                }
                case "value_int" -> {
                    return OnnxTensors.longs(name, new long[0], a.i());
                }
                case "value_ints" -> {
                    return OnnxTensors.longs(name, new long[] {a.ints().length}, a.ints());
                }
                default -> {
                    // value_string(s) and sparse values are not numbers
                }
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "OnnxModel[" + (source == null ? "<memory>" : source.getFileName()) + ", " + producerName + " "
                + producerVersion + ", " + nodes.size() + " nodes, " + initializers.size() + " initializers]";
    }
}
