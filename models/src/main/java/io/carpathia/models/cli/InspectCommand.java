package io.carpathia.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.weights.safetensors.Safetensors;
import io.carpathia.weights.safetensors.SafetensorsReader;
import io.carpathia.weights.safetensors.ShardedSafetensorsReader;
import io.carpathia.weights.safetensors.TensorInfo;
import io.carpathia.weights.safetensors.TensorSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code carpathia inspect PATH}: what a safetensors file or checkpoint holds, read from the headers alone (no tensor
 * data is read, so multi-GB checkpoints list instantly). A broken file is one error line naming the file, the tensor
 * and the rule broken, and exit status 2.
 */
@Command(name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Lists the tensors of a safetensors file, a sharded checkpoint's index, or a checkpoint folder:",
            "name, dtype, shape and bytes of each, the metadata, and the total parameter count."
        })
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PATH",
            description = "a .safetensors file, a model.safetensors.index.json, or a folder holding either")
    Path path;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Option(names = "--verbose", description = "on an error, print its stack trace too")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(path)) throw new CarpathiaCli.UserError("no such file or folder: " + path);
        try (TensorSource weights = Safetensors.open(path)) {
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                printJson(weights, out);
            } else {
                printTable(weights, out);
            }
            out.flush();
        }
        return 0;
    }

    /** The files holding the weights: the one file, or the shards. */
    private static List<Path> files(TensorSource weights) {
        if (weights instanceof ShardedSafetensorsReader sharded) {
            return sharded.shards().stream().map(SafetensorsReader::file).toList();
        }
        return List.of(((SafetensorsReader) weights).file());
    }

    private void printTable(TensorSource weights, PrintWriter out) {
        boolean sharded = weights instanceof ShardedSafetensorsReader;
        List<Path> files = files(weights);
        out.printf("%s: %d tensors in %d file%s%n", path, weights.names().size(), files.size(),
                files.size() == 1 ? "" : "s");
        Map<String, String> metadata = weights.metadata();
        if (!metadata.isEmpty()) {
            out.println("metadata:");
            metadata.forEach((k, v) -> out.printf("  %s: %s%n", k, v));
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(sharded ? new String[] {"name", "dtype", "shape", "bytes", "file"}
                : new String[] {"name", "dtype", "shape", "bytes"});
        for (String name : weights.names()) {
            TensorInfo t = weights.info(name);
            String bytes = String.format("%,d", t.byteSize());
            rows.add(sharded
                    ? new String[] {name, t.dtype().name(), t.shapeString(), bytes,
                        weights.fileOf(name).getFileName().toString()}
                    : new String[] {name, t.dtype().name(), t.shapeString(), bytes});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) width[i] = Math.max(width[i], row[i].length());
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                boolean number = i == 3; // bytes: right-aligned
                String cell = number ? " ".repeat(width[i] - row[i].length()) + row[i]
                        : row[i] + " ".repeat(width[i] - row[i].length());
                line.append(i == 0 ? "" : "  ").append(cell);
            }
            out.println(line.toString().stripTrailing());
        }
        out.printf("total: %,d parameters in %d tensors, %,d bytes of data%n", weights.parameterCount(),
                weights.names().size(), weights.dataBytes());
    }

    private void printJson(TensorSource weights, PrintWriter out) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("path", path.toString());
        ArrayNode files = root.putArray("files");
        files(weights).forEach(f -> files.add(f.toString()));
        ObjectNode metadata = root.putObject("metadata");
        weights.metadata().forEach(metadata::put);
        ArrayNode tensors = root.putArray("tensors");
        for (String name : weights.names()) {
            TensorInfo t = weights.info(name);
            ObjectNode o = tensors.addObject();
            o.put("name", name);
            o.put("dtype", t.dtype().name());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            o.put("bytes", t.byteSize());
            o.put("parameters", t.elementCount());
            o.put("file", weights.fileOf(name).getFileName().toString());
        }
        root.put("tensor_count", weights.names().size());
        root.put("total_parameters", weights.parameterCount());
        root.put("total_bytes", weights.dataBytes());
        out.println(mapper.writeValueAsString(root));
    }
}
