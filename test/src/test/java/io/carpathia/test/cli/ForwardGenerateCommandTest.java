package io.carpathia.test.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.weights.safetensors.SafetensorsReader;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/** {@code carpathia forward} and {@code carpathia generate} on the gpt2-tiny fixture, and their refusals. */
class ForwardGenerateCommandTest {
    @TempDir
    static Path tmp;
    static Path fixture;

    @BeforeAll
    static void locate() throws URISyntaxException {
        fixture = Path.of(ForwardGenerateCommandTest.class.getResource("/fixtures/gpt2-tiny/config.json").toURI()).getParent();
    }

    private static Cli.Result run(String... args) {
        return Cli.run(args);
    }

    private static double maxDiff(Path a, Path b, String name) throws IOException {
        try (SafetensorsReader ra = SafetensorsReader.open(a); SafetensorsReader rb = SafetensorsReader.open(b)) {
            double[] x = Tensor.of(ra.read(name)).toDoubleArray();
            double[] y = Tensor.of(rb.read(name)).toDoubleArray();
            assertEquals(y.length, x.length, name);
            double m = 0;
            for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
            return m;
        }
    }

    @Test
    void forwardWritesWhatPyTorchComputed() throws IOException {
        Path out = tmp.resolve("out.safetensors");
        Cli.Result r = run("forward", "--model", fixture.toString(), "--input", fixture.resolve("input.safetensors").toString(),
                "--out", out.toString());
        assertEquals(0, r.status(), r.output());
        Path ref = fixture.resolve("reference.safetensors");
        assertTrue(maxDiff(out, ref, "logits") <= 1e-4);
        assertTrue(maxDiff(out, ref, "last_hidden_state") <= 1e-4);
    }

    @Test
    void greedyGenerationPrintsTheReferenceIds() {
        Cli.Result r = run("generate", "--model", fixture.toString(), "--ids", "27,127,894,45,125", "--max-new-tokens", "20", "--greedy");
        assertEquals(0, r.status(), r.output());
        assertEquals("931,931,872,771,771,872,771,771,947,456,931,579,311,504,931,931,771,931,931,947", r.output().trim());
    }

    @Test
    void badInputIsOneLineWithStatusTwo() throws IOException {
        // ids outside the vocabulary
        Cli.Result r = run("generate", "--model", fixture.toString(), "--ids", "5,1000", "--greedy");
        assertEquals(2, r.status());
        assertTrue(r.output().contains("token id 1000") && r.output().contains("[0, 1000)"), r.output());
        // a prompt longer than n_positions (64)
        String longIds = String.join(",", java.util.Collections.nCopies(65, "1"));
        r = run("generate", "--model", fixture.toString(), "--ids", longIds, "--greedy");
        assertEquals(2, r.status());
        assertTrue(r.output().contains("n_positions"), r.output());
        // a folder that is not a model
        r = run("generate", "--model", tmp.toString(), "--ids", "1", "--greedy");
        assertEquals(2, r.status());
        assertTrue(r.output().contains("config.json"), r.output());
        // a text prompt for a model without a tokenizer
        r = run("generate", "--model", fixture.toString(), "--prompt", "hello");
        assertEquals(2, r.status());
        assertTrue(r.output().contains("no tokenizer") && r.output().contains("--ids"), r.output());
        // weights that do not fit the config: one tensor of the wrong shape
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(fixture.resolve("config.json"), broken.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsReader src = SafetensorsReader.open(fixture.resolve("model.safetensors"))) {
            for (String name : src.names()) {
                w.add(name, name.equals("transformer.wpe.weight") ? Nd4j.zeros(32, 48) : src.read(name));
            }
        }
        w.write(broken.resolve("model.safetensors"));
        r = run("forward", "--model", broken.toString(), "--input", fixture.resolve("input.safetensors").toString(),
                "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(2, r.status());
        assertTrue(r.output().contains("transformer.wpe.weight") && r.output().contains("[32, 48]")
                && r.output().contains("[64, 48]"), r.output());
        // an input file without input_ids, and an unwritable output folder
        r = run("forward", "--model", fixture.toString(), "--input", fixture.resolve("model.safetensors").toString(),
                "--out", tmp.resolve("o2.safetensors").toString());
        assertEquals(2, r.status());
        assertTrue(r.output().contains("no tensor named input_ids"), r.output());
        r = run("forward", "--model", fixture.toString(), "--input", fixture.resolve("input.safetensors").toString(),
                "--out", tmp.resolve("no/such/folder/o.safetensors").toString());
        assertEquals(2, r.status());
        assertFalse(Files.exists(tmp.resolve("o.safetensors")));
    }
}
