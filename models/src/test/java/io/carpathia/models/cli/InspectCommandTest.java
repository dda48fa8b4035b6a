package io.carpathia.models.cli;

import static io.carpathia.models.cli.CliRun.carpathia;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.weights.safetensors.Dtype;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir
    Path dir;

    private Path file;

    /** Three tensors: F32 [2, 3], BF16 [4], I64 scalar; 6 + 4 + 1 = 11 parameters, 24 + 8 + 8 = 40 bytes. */
    private static SafetensorsWriter threeTensors() {
        return new SafetensorsWriter().putMetadata("format", "pt")
                .add("h.0.weight", Dtype.F32, new long[] {2, 3}, new byte[24])
                .add("h.0.bias", Dtype.BF16, new long[] {4}, new byte[8])
                .add("step", Dtype.I64, new long[0], new byte[8]);
    }

    @BeforeEach
    void writeFile() throws IOException {
        file = dir.resolve("model.safetensors");
        threeTensors().write(file);
    }

    @Test
    void listsTensorsMetadataAndTotals() {
        CliRun r = carpathia("inspect", file.toString());
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(file + ": 3 tensors in 1 file", lines[0]);
        assertEquals("metadata:", lines[1]);
        assertEquals("  format: pt", lines[2]);
        assertTrue(lines[3].matches("name +dtype +shape +bytes"), lines[3]);
        assertTrue(lines[4].matches("step +I64 +\\[] +8"), lines[4]);          // I64 sorts first: 8-byte alignment
        assertTrue(lines[5].matches("h\\.0\\.weight +F32 +\\[2, 3] +24"), lines[5]);
        assertTrue(lines[6].matches("h\\.0\\.bias +BF16 +\\[4] +8"), lines[6]);
        assertEquals("total: 11 parameters in 3 tensors, 40 bytes of data", lines[7]);
        assertEquals("", r.err());
    }

    @Test
    void jsonForMachines() throws IOException {
        CliRun r = carpathia("inspect", "--json", file.toString());
        assertEquals(0, r.status(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(11, j.get("total_parameters").asLong());
        assertEquals(40, j.get("total_bytes").asLong());
        assertEquals(3, j.get("tensor_count").asInt());
        assertEquals("pt", j.get("metadata").get("format").asText());
        JsonNode weight = j.get("tensors").get(1);
        assertEquals("h.0.weight", weight.get("name").asText());
        assertEquals("F32", weight.get("dtype").asText());
        assertEquals("[2,3]", weight.get("shape").toString());
        assertEquals(24, weight.get("bytes").asLong());
        assertEquals(6, weight.get("parameters").asLong());
        assertEquals(file.toString(), j.get("files").get(0).asText());
    }

    @Test
    void aCheckpointFolderShardedOrNot() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("ckpt"));
        threeTensors().writeSharded(folder, 8); // one tensor a shard
        CliRun r = carpathia("inspect", folder.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith(folder + ": 3 tensors in 3 files"), r.out());
        assertTrue(r.out().contains("model-00001-of-00003.safetensors"), r.out());
        assertTrue(r.out().contains("total: 11 parameters in 3 tensors, 40 bytes of data"), r.out());
        CliRun index = carpathia("inspect", "--json", folder.resolve("model.safetensors.index.json").toString());
        assertEquals(0, index.status(), index.err());
        assertEquals(3, new ObjectMapper().readTree(index.out()).get("files").size());
    }

    @Test
    void aBrokenFileIsOneClearLineAndStatus2() throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Path broken = dir.resolve("broken.safetensors");
        Files.write(broken, Arrays.copyOf(bytes, bytes.length - 3));
        CliRun r = carpathia("inspect", broken.toString());
        assertEquals(2, r.status());
        assertEquals("", r.out());
        String[] lines = r.err().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("carpathia inspect: error: " + broken + ": tensor '"), lines[0]);
        assertTrue(lines[0].contains("ends exactly at the end of the file"), lines[0]);

        CliRun verbose = carpathia("inspect", "--verbose", broken.toString());
        assertEquals(2, verbose.status());
        assertTrue(verbose.err().contains("SafetensorsFormatException"), verbose.err());
        assertTrue(verbose.err().split("\n").length > 3, "a stack trace under --verbose");
    }

    @Test
    void aMissingPathOrFolderWithoutWeights() throws IOException {
        CliRun missing = carpathia("inspect", dir.resolve("nope").toString());
        assertEquals(2, missing.status());
        assertEquals("carpathia inspect: error: no such file or folder: " + dir.resolve("nope") + "\n",
                missing.err());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliRun none = carpathia("inspect", empty.toString());
        assertEquals(2, none.status());
        assertTrue(none.err().contains("no model.safetensors"), none.err());
        assertFalse(none.err().contains("\tat "), "no stack trace without --verbose");
    }
}
