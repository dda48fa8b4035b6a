package io.carpathia.weights.safetensors;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.core.JsonFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Opening safetensors weights whatever their form, and Hugging Face's file names for them.
 *
 * <pre>{@code
 * try (TensorSource w = Safetensors.open(Path.of("gpt2/"))) { ... }   // folder, single file or index
 * }</pre>
 */
public final class Safetensors {
    private Safetensors() {}

    public static final String EXTENSION = ".safetensors";
    public static final String DEFAULT_BASE_NAME = "model";
    public static final String INDEX_SUFFIX = ".safetensors.index.json";

    /** {@code model-00001-of-00003.safetensors}: 1-based shard number and count, five digits each. */
    public static String shardName(String baseName, int shard, int count) {
        return String.format("%s-%05d-of-%05d%s", baseName, shard, count, EXTENSION);
    }

    /** {@code model.safetensors.index.json}. */
    public static String indexName(String baseName) {
        return baseName + INDEX_SUFFIX;
    }

    /**
     * Opens a single {@code .safetensors} file, a sharded checkpoint's {@code .index.json}, or a folder holding
     * either ({@code model.safetensors} first, then {@code model.safetensors.index.json}, then a folder's only
     * {@code .safetensors} file).
     */
    public static TensorSource open(Path path) throws IOException {
        if (Files.isDirectory(path)) return open(weightsIn(path));
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (path.getFileName().toString().endsWith(".index.json")) return ShardedSafetensorsReader.open(path);
        return SafetensorsReader.open(path);
    }

    /**
     * The weights file of a folder: {@code model.safetensors}, else {@code model.safetensors.index.json}, else the
     * folder's only {@code .safetensors} file; a clear error when there is none or the choice is ambiguous.
     */
    public static Path weightsIn(Path dir) throws IOException {
        Path single = dir.resolve(DEFAULT_BASE_NAME + EXTENSION);
        if (Files.isRegularFile(single)) return single;
        Path index = dir.resolve(indexName(DEFAULT_BASE_NAME));
        if (Files.isRegularFile(index)) return index;
        List<Path> candidates = new ArrayList<>();
        List<String> others = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(EXTENSION) && Files.isRegularFile(f)) candidates.add(f);
                if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ckpt")
                        || name.endsWith(".h5")) {
                    others.add(name);
                }
            }
        }
        if (candidates.size() == 1) return candidates.get(0);
        if (candidates.isEmpty()) {
            throw new NoSuchFileException(dir.toString(), null, "no " + DEFAULT_BASE_NAME + EXTENSION + " or "
                    + indexName(DEFAULT_BASE_NAME) + " in the folder" + (others.isEmpty() ? ""
                    : "; it has " + String.join(", ", others) + ", which must be converted to safetensors first"));
        }
        candidates.sort(null);
        throw new IllegalArgumentException(dir + ": several .safetensors files and no " + DEFAULT_BASE_NAME
                + EXTENSION + " or index to choose among them: " + candidates);
    }

    /** The index as Hugging Face writes it: {"metadata": {"total_size": N}, "weight_map": {...}}, indent 2. */
    static byte[] indexJson(long totalSize, Map<String, String> weightMap) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.setPrettyPrinter(pretty);
            g.writeStartObject();
            g.writeObjectFieldStart("metadata");
            g.writeNumberField("total_size", totalSize);
            g.writeEndObject();
            g.writeObjectFieldStart("weight_map");
            for (Map.Entry<String, String> e : weightMap.entrySet()) g.writeStringField(e.getKey(), e.getValue());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("internal: writing JSON to memory failed", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * Deletes files of an earlier checkpoint under {@code baseName} that {@code kept} does not include: shards
     * ({@code base-NNNNN-of-NNNNN.safetensors}), the single file and the index. Nothing else in the folder is touched.
     */
    static void deleteStaleCheckpointFiles(Path dir, String baseName, List<Path> kept) throws IOException {
        Pattern shard = Pattern.compile(Pattern.quote(baseName) + "-\\d{5}-of-\\d{5}" + Pattern.quote(EXTENSION));
        List<Path> keptAbsolute = new ArrayList<>();
        for (Path p : kept) keptAbsolute.add(p.toAbsolutePath().normalize());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean ours = shard.matcher(name).matches() || name.equals(baseName + EXTENSION)
                        || name.equals(indexName(baseName));
                if (ours && !keptAbsolute.contains(f.toAbsolutePath().normalize())) Files.deleteIfExists(f);
            }
        }
    }
}
