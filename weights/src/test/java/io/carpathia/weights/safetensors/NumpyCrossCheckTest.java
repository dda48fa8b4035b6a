package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A file our writer produces, read by an independent numpy reader ({@code numpy_read.py}): same layout, same values.
 * Skipped where python3 with numpy is not installed.
 */
class NumpyCrossCheckTest {
    @TempDir
    Path dir;

    private static boolean numpyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void numpyReadsWhatWeWrite() throws Exception {
        assumeTrue(numpyAvailable(), "python3 with numpy is not installed");
        Random r = new Random(42);
        SafetensorsWriter w = new SafetensorsWriter().putMetadata("format", "pt").putMetadata("note", "caf\u00e9");
        List<String> expected = new ArrayList<>();
        Path file = dir.resolve("cross.safetensors");
        for (Dtype d : Dtype.values()) {
            long[] shape = {2, 1 + r.nextInt(3)}; // at most 6 values: numpy sums fewer than 8 in order, as Java does
            byte[] data = new byte[(int) (shape[0] * shape[1]) * d.byteSize()];
            r.nextBytes(data);
            if (d == Dtype.BOOL) for (int i = 0; i < data.length; i++) data[i] &= 1;
            w.add("t." + d.name().toLowerCase(), d, shape, data);
        }
        w.add("scalar", Dtype.F32, new long[0], TestFiles.floats(-1.5f));
        w.add("empty", Dtype.F16, new long[] {0, 3}, new byte[0]);
        w.write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                TensorInfo t = reader.info(name);
                expected.add(name + "\t" + t.dtype() + "\t" + String.join(",",
                        java.util.Arrays.stream(t.shape()).mapToObj(String::valueOf).toList()) + "\t"
                        + Double.toHexString(javaSum(reader, t)));
            }
        }
        expected.add("metadata\t{\"format\": \"pt\", \"note\": \"caf\\u00e9\"}");

        Path script = TestFiles.resourcePath("numpy_read.py");
        Process p = new ProcessBuilder("python3", script.toString(), file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(expected, normalize(out.lines().toList()));
    }

    /** Sum of the values in float64, NaN skipped as numpy's nansum does; integers and floats alike. */
    private static double javaSum(SafetensorsReader reader, TensorInfo t) throws IOException {
        if (t.elementCount() == 0) return 0;
        INDArray a = switch (t.dtype()) {
            case U64, BOOL, U8, U16, U32, I8, I16 -> reader.read(t.name()).castTo(DataType.DOUBLE);
            case I32 -> reader.read(t.name(), DataType.LONG).castTo(DataType.DOUBLE);
            case I64 -> reader.read(t.name()).castTo(DataType.DOUBLE);
            default -> reader.read(t.name(), DataType.DOUBLE);
        };
        double sum = 0;
        double[] v = a.reshape(a.length()).toDoubleVector();
        if (t.dtype() == Dtype.U64) v = unsigned64(reader.readBytes(t.name()));
        for (double x : v) if (!Double.isNaN(x)) sum += x;
        return sum;
    }

    private static double[] unsigned64(byte[] bytes) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[bytes.length / 8];
        for (int i = 0; i < v.length; i++) {
            long x = b.getLong();
            v[i] = x >= 0 ? x : (double) (x >>> 1) * 2.0 + (x & 1);
        }
        return v;
    }

    /** Python prints "0x0.0p+0" for zero where Java prints "0x0.0p0", and "-0x0.0p+0" for negative zero. */
    private static List<String> normalize(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length == 4) f[3] = Double.toHexString(Double.parseDouble(f[3]) + 0.0);
            out.add(String.join("\t", f));
        }
        return out;
    }
}
