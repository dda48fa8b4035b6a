package io.carpathia.weights.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.weights.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A sharded checkpoint read as one set of tensors: {@code model.safetensors.index.json} maps each tensor name to the
 * shard file holding it ({@code "weight_map"}), and reads go to that shard. Opening reads the index and every shard's
 * header (each checked in full), and checks that every tensor the index names is in its shard.
 */
public final class ShardedSafetensorsReader implements TensorSource {
    private final Path indexFile;
    private final Map<String, SafetensorsReader> shardOf;
    private final List<SafetensorsReader> shards;
    private final List<String> names;
    private final Map<String, String> indexMetadata;

    private ShardedSafetensorsReader(Path indexFile, Map<String, SafetensorsReader> shardOf,
            List<SafetensorsReader> shards, Map<String, String> indexMetadata) {
        this.indexFile = indexFile;
        this.shardOf = shardOf;
        this.shards = shards;
        this.names = List.copyOf(shardOf.keySet());
        this.indexMetadata = indexMetadata;
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Opens {@code model.safetensors.index.json} (or any index of that form) and the shards it names. */
    public static ShardedSafetensorsReader open(Path indexFile) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(indexFile));
        } catch (JsonProcessingException e) {
            throw invalid(indexFile, null, "the index is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw invalid(indexFile, null, "the index is not a JSON object");
        Map<String, String> indexMetadata = readIndexMetadata(indexFile, root.get("metadata"));
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw invalid(indexFile, null, "\"weight_map\" is missing or not an object");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<String, SafetensorsReader> openShards = new LinkedHashMap<>();
        Map<String, SafetensorsReader> shardOf = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String tensor = e.getKey();
                if (!e.getValue().isTextual()) {
                    throw invalid(indexFile, tensor, "the weight_map value is not a file name");
                }
                String shardName = e.getValue().asText();
                checkShardName(indexFile, tensor, shardName);
                SafetensorsReader shard = openShards.get(shardName);
                if (shard == null) {
                    Path shardFile = dir.resolve(shardName);
                    if (!Files.isRegularFile(shardFile)) {
                        throw invalid(indexFile, tensor, "shard file " + shardName + " does not exist in " + dir);
                    }
                    shard = SafetensorsReader.open(shardFile);
                    openShards.put(shardName, shard);
                }
                if (!shard.contains(tensor)) {
                    throw invalid(indexFile, tensor, "the index places it in " + shardName
                            + ", which has no tensor of that name");
                }
                shardOf.put(tensor, shard);
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsReader r : openShards.values()) r.close();
            throw e;
        }
        return new ShardedSafetensorsReader(indexFile, shardOf, List.copyOf(openShards.values()), indexMetadata);
    }

    /** The index's {@code "metadata"}: HF writes {@code {"total_size": bytes}}; other entries are kept as text. */
    private static Map<String, String> readIndexMetadata(Path indexFile, JsonNode metadata)
            throws SafetensorsFormatException {
        Map<String, String> out = new LinkedHashMap<>();
        if (metadata == null || metadata.isNull()) return out;
        if (!metadata.isObject()) throw invalid(indexFile, null, "\"metadata\" is not an object");
        JsonNode total = metadata.get("total_size");
        if (total != null && !(total.isIntegralNumber() && total.canConvertToLong() && total.asLong() >= 0)) {
            throw invalid(indexFile, null, "\"metadata\".\"total_size\" is " + total + ", not an integer >= 0");
        }
        metadata.fields().forEachRemaining(e -> out.put(e.getKey(),
                e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        return out;
    }

    /** A shard is a plain file name in the index's own folder: no paths, so an index cannot reach other files. */
    private static void checkShardName(Path indexFile, String tensor, String name) throws SafetensorsFormatException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            throw invalid(indexFile, tensor, "shard \"" + Strings.abbreviate(name, 200)
                    + "\" is not a plain file name in the index's folder");
        }
    }

    private static SafetensorsFormatException invalid(Path indexFile, String tensor, String found) {
        return new SafetensorsFormatException(indexFile, tensor, Rule.INDEX_INVALID, found);
    }

    public Path indexFile() {
        return indexFile;
    }

    /** The shard readers, in the order the index first names them. */
    public List<SafetensorsReader> shards() {
        return shards;
    }

    /** The index's {@code "metadata"} entries (HF: {@code total_size}), as text. */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    private SafetensorsReader shard(String name) {
        SafetensorsReader shard = shardOf.get(name);
        if (shard == null) {
            throw new IllegalArgumentException(indexFile + ": no tensor named '" + Strings.abbreviate(name, 200)
                    + "' in the checkpoint's " + names.size() + " tensors");
        }
        return shard;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    @Override
    public Path fileOf(String name) {
        return shard(name).file();
    }

    @Override
    public Map<String, String> metadata() {
        return shards.isEmpty() ? Map.of() : shards.get(0).metadata();
    }

    @Override
    public INDArray read(String name) throws IOException {
        return shard(name).read(name);
    }

    @Override
    public INDArray read(String name, DataType type) throws IOException {
        return shard(name).read(name, type);
    }

    @Override
    public void readInto(String name, INDArray target) throws IOException {
        shard(name).readInto(name, target);
    }

    @Override
    public byte[] readBytes(String name) throws IOException {
        return shard(name).readBytes(name);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsReader r : shards) {
            try {
                r.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() {
        return "ShardedSafetensorsReader[" + indexFile + ", " + shards.size() + " shards, " + names.size()
                + " tensors]";
    }
}
