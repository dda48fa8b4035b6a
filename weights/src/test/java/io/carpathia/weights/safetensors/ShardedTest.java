package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.weights.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedTest {
    @TempDir
    Path dir;

    /** Tensors of 40, 40, 100, 20, 8 bytes (F32), added in that order. */
    private static SafetensorsWriter fiveTensors() {
        SafetensorsWriter w = new SafetensorsWriter().putMetadata("format", "pt");
        int[] sizes = {10, 10, 25, 5, 2};
        String[] names = {"h.0.w", "h.0.b", "big", "h.1.w", "h.1.b"};
        for (int i = 0; i < sizes.length; i++) {
            float[] v = new float[sizes[i]];
            for (int k = 0; k < v.length; k++) v[k] = i * 100 + k;
            w.add(names[i], Dtype.F32, new long[] {sizes[i]}, TestFiles.floats(v));
        }
        return w;
    }

    @Test
    void splitsAsHuggingFaceDoesAndReadsBackTransparently() throws IOException {
        // At most 64 bytes a shard: h.0.w (40) starts shard 1; h.0.b (40) would tip it over and starts the next;
        // big (100 > 64) gets a shard of its own, placed before the one being filled; h.1.w (20) joins h.0.b
        // (60 bytes); h.1.b (8) would make 68 and starts the last.
        List<Path> files = fiveTensors().writeSharded(dir, 64);
        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                "model.safetensors.index.json"), files.stream().map(p -> p.getFileName().toString()).toList());

        JsonNode index = new ObjectMapper().readTree(files.get(4).toFile());
        assertEquals(208, index.get("metadata").get("total_size").asLong());
        Map<String, String> expected = Map.of("h.0.w", "model-00001-of-00004.safetensors",
                "big", "model-00002-of-00004.safetensors", "h.0.b", "model-00003-of-00004.safetensors",
                "h.1.w", "model-00003-of-00004.safetensors", "h.1.b", "model-00004-of-00004.safetensors");
        expected.forEach((name, shard) -> assertEquals(shard, index.get("weight_map").get(name).asText(), name));
        assertEquals(List.of("big", "h.0.b", "h.0.w", "h.1.b", "h.1.w"),
                iteratorToList(index.get("weight_map").fieldNames()), "weight_map sorted by name, as HF writes it");
        String text = Files.readString(files.get(4), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\n  \"metadata\": {\n    \"total_size\": 208\n  },\n  \"weight_map\": {\n"), text);

        try (TensorSource all = Safetensors.open(dir)) {
            assertInstanceOf(ShardedSafetensorsReader.class, all);
            assertEquals(5, all.names().size());
            assertEquals(52, all.parameterCount());
            assertEquals(Map.of("format", "pt"), all.metadata());
            assertEquals(224f, all.read("big").getFloat(24));
            assertArrayEquals(new float[] {400, 401}, all.read("h.1.b").toFloatVector());
            assertEquals(dir.resolve("model-00004-of-00004.safetensors"), all.fileOf("h.1.b"));
            assertThrows(IllegalArgumentException.class, () -> all.read("nope"));
        }
    }

    private static List<String> iteratorToList(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void everythingInOneShardIsASingleFileWithoutIndex() throws IOException {
        List<Path> files = fiveTensors().writeSharded(dir, 1 << 20);
        assertEquals(List.of(dir.resolve("model.safetensors")), files);
        try (TensorSource all = Safetensors.open(dir)) {
            assertInstanceOf(SafetensorsReader.class, all);
            assertEquals(5, all.names().size());
        }
    }

    @Test
    void rewritingReplacesTheOldCheckpointsFiles() throws IOException {
        fiveTensors().writeSharded(dir, 64);
        Files.writeString(dir.resolve("config.json"), "{}");
        fiveTensors().writeSharded(dir, 150); // now 2 shards
        try (var names = Files.list(dir)) {
            assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json"), names.map(p -> p.getFileName().toString()).sorted().toList());
        }
        fiveTensors().writeSharded(dir, 1000); // now one file
        try (var names = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors"),
                    names.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private SafetensorsFormatException brokenIndex(String json) throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, json);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> ShardedSafetensorsReader.open(index));
        assertEquals(Rule.INDEX_INVALID, e.rule(), e.getMessage());
        assertEquals(index, e.file());
        return e;
    }

    @Test
    void aBrokenIndexIsNamedAndRefused() throws IOException {
        fiveTensors().writeSharded(dir, 64);
        String shard = "model-00001-of-00004.safetensors";
        brokenIndex("not json");
        brokenIndex("[]");
        brokenIndex("{\"metadata\": {}}");
        brokenIndex("{\"weight_map\": []}");
        brokenIndex("{\"weight_map\": {\"h.0.w\": 3}}");
        brokenIndex("{\"weight_map\": {\"h.0.w\": \"" + shard + "\", \"h.0.w\": \"" + shard + "\"}}");
        brokenIndex("{\"metadata\": {\"total_size\": -1}, \"weight_map\": {}}");
        brokenIndex("{\"metadata\": 5, \"weight_map\": {}}");
        SafetensorsFormatException e = brokenIndex("{\"weight_map\": {\"h.0.w\": \"../" + shard + "\"}}");
        assertTrue(e.getMessage().contains("plain file name"), e.getMessage());
        assertEquals("h.0.w", e.tensor());
        brokenIndex("{\"weight_map\": {\"h.0.w\": \"/etc/passwd\"}}");
        e = brokenIndex("{\"weight_map\": {\"h.0.w\": \"missing.safetensors\"}}");
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = brokenIndex("{\"weight_map\": {\"big\": \"" + shard + "\"}}");
        assertTrue(e.getMessage().contains("has no tensor"), e.getMessage());
    }

    @Test
    void aBrokenShardIsNamedByItsOwnFile() throws IOException {
        fiveTensors().writeSharded(dir, 64);
        Path shard = dir.resolve("model-00003-of-00004.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 1));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.open(dir));
        assertEquals(shard, e.file());
        assertEquals(Rule.DATA_NOT_AT_EOF, e.rule());
    }

    @Test
    void openFindsTheWeightsOfAFolder() throws IOException {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Safetensors.open(dir));
        Files.writeString(dir.resolve("pytorch_model.bin"), "");
        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class,
                () -> Safetensors.open(dir));
        assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
        new SafetensorsWriter().write(dir.resolve("adapter_model.safetensors"));
        try (TensorSource only = Safetensors.open(dir)) {
            assertEquals(dir.resolve("adapter_model.safetensors"), ((SafetensorsReader) only).file());
        }
        new SafetensorsWriter().write(dir.resolve("other.safetensors"));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.open(dir));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
    }
}
