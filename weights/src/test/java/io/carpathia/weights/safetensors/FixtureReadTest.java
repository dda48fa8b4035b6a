package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fixture checkpoints (written by PyTorch-side tools) read with the shapes their READMEs give and the values
 * numpy reads from the same bytes ({@code fixtures/expected-values.tsv}).
 */
class FixtureReadTest {

    record Expected(String file, String name, String dtype, long[] shape, double sum, double[] picks) {}

    static List<Expected> expected() throws IOException {
        List<Expected> out = new ArrayList<>();
        for (String line : Files.readAllLines(TestFiles.resourcePath("fixtures/expected-values.tsv"))) {
            String[] f = line.split("\t", -1);
            long[] shape = f[3].isEmpty() ? new long[0]
                    : java.util.Arrays.stream(f[3].split(",")).mapToLong(Long::parseLong).toArray();
            out.add(new Expected(f[0], f[1], f[2], shape, Double.parseDouble(f[4]),
                    new double[] {Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7])}));
        }
        return out;
    }

    @Test
    void everyFixtureTensorHasNumpysShapeAndValues() throws IOException {
        List<Expected> all = expected();
        assertEquals(129, all.size());
        for (Expected e : all) {
            try (SafetensorsReader r = SafetensorsReader.open(TestFiles.resourcePath("fixtures/" + e.file()))) {
                TensorInfo info = r.info(e.name());
                String where = e.file() + " " + e.name();
                assertEquals(e.dtype(), info.dtype().name(), where);
                assertArrayEquals(e.shape(), info.shape(), where);
                INDArray a = r.read(e.name());
                assertArrayEquals(e.shape(), a.shape(), where);
                assertEquals(info.dtype().nd4jType(), a.dataType(), where);
                double[] values = a.isEmpty() ? new double[0] : a.dup().reshape(a.length()).toDoubleVector();
                double sum = 0;
                for (double v : values) sum += v;
                assertEquals(e.sum(), sum, 1e-9 * Math.max(1, Math.abs(e.sum())), where);
                int n = values.length;
                assertEquals(e.picks()[0], values[0], 0, where);
                assertEquals(e.picks()[1], values[n / 2], 0, where);
                assertEquals(e.picks()[2], values[n - 1], 0, where);
            }
        }
    }

    @Test
    void gpt2TinyHasTheReadmesLayout() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(TestFiles.resourcePath("fixtures/gpt2-tiny/model.safetensors"))) {
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertEquals(4 + 3 * 12, r.names().size()); // wte, wpe, ln_f.{weight,bias}; 12 per block
            assertArrayEquals(new long[] {1000, 48}, r.info("transformer.wte.weight").shape());
            assertArrayEquals(new long[] {64, 48}, r.info("transformer.wpe.weight").shape());
            for (int i = 0; i < 3; i++) {
                String h = "transformer.h." + i + ".";
                assertArrayEquals(new long[] {48, 144}, r.info(h + "attn.c_attn.weight").shape());
                assertArrayEquals(new long[] {144}, r.info(h + "attn.c_attn.bias").shape());
                assertArrayEquals(new long[] {48, 192}, r.info(h + "mlp.c_fc.weight").shape());
                assertArrayEquals(new long[] {192, 48}, r.info(h + "mlp.c_proj.weight").shape());
            }
            assertTrue(!r.contains("lm_head.weight"), "the LM head is tied to wte");
            // wte + wpe + ln_f + 3 blocks of (ln_1, c_attn, c_proj, ln_2, c_fc, mlp.c_proj)
            long block = 2 * 48 + (48 * 144 + 144) + (48 * 48 + 48) + 2 * 48 + (48 * 192 + 192) + (192 * 48 + 48);
            assertEquals(1000 * 48 + 64 * 48 + 2 * 48 + 3 * block, r.parameterCount());
        }
    }

    @Test
    void vitReferenceHasARankZeroLossAndI64Labels() throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(
                TestFiles.resourcePath("fixtures/vit-tiny/reference.safetensors"))) {
            INDArray loss = r.read("loss");
            assertEquals(0, loss.rank());
            assertEquals(1, loss.length());
            INDArray labels = r.read("labels");
            assertEquals(DataType.LONG, labels.dataType());
            assertArrayEquals(new long[] {7, 0}, labels.toLongVector());
            assertArrayEquals(new long[] {48, 3, 8, 8}, SafetensorsReader.open(
                    TestFiles.resourcePath("fixtures/vit-tiny/model.safetensors"))
                    .info("vit.embeddings.patch_embeddings.projection.weight").shape());
        }
    }

    /** The F32 fixtures were written with the reference's layout: rewriting them reproduces every byte. */
    @Test
    void rewritingAFixtureReproducesItByteForByte(@TempDir Path dir) throws IOException {
        for (String name : new String[] {"fixtures/gpt2-tiny/model.safetensors", "fixtures/vit-tiny/model.safetensors"}) {
            Path original = TestFiles.resourcePath(name);
            Path copy = dir.resolve("copy.safetensors");
            try (SafetensorsReader r = SafetensorsReader.open(original)) {
                SafetensorsWriter w = new SafetensorsWriter().putAllMetadata(r.metadata());
                for (String t : r.names()) w.add(t, r.read(t));
                w.write(copy);
            }
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy), name);
        }
    }
}
