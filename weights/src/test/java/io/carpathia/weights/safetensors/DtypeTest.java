package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Every dtype of the spec read exactly: bytes kept, narrow floats widened, integers keeping their values. */
class DtypeTest {
    @TempDir
    Path dir;

    private static byte[] le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    /** One file holding {@code bits} as a tensor of {@code dtype} and shape [n], opened with small map pieces. */
    private SafetensorsReader oneTensor(Dtype dtype, long... bits) throws IOException {
        Path f = dir.resolve(dtype + ".safetensors");
        new SafetensorsWriter().add("t", dtype, new long[] {bits.length}, le(dtype.byteSize(), bits)).write(f);
        return SafetensorsReader.open(f, 8); // 8-byte pieces: every copy crosses piece boundaries
    }

    @Test
    void narrowFloatsWidenExactly() throws IOException {
        // binary16: 1, -2, largest finite, smallest subnormal, smallest normal, -0, +inf, -inf, NaN
        try (SafetensorsReader r = oneTensor(Dtype.F16, 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x8000, 0x7C00,
                0xFC00, 0x7E00)) {
            float[] v = r.read("t", DataType.FLOAT).toFloatVector();
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, 0x1p-14f, -0f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN}, v);
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v[5]));
            assertEquals(DataType.HALF, r.read("t").dataType());
            assertArrayEquals(v, r.read("t").castTo(DataType.FLOAT).toFloatVector(), "ND4J's own HALF agrees");
        }
        // bfloat16: 1, pi rounded (3.140625), -inf, the smallest subnormal
        try (SafetensorsReader r = oneTensor(Dtype.BF16, 0x3F80, 0x4049, 0xFF80, 0x0001)) {
            assertArrayEquals(new float[] {1f, 3.140625f, Float.NEGATIVE_INFINITY, 0x1p-133f},
                    r.read("t", DataType.FLOAT).toFloatVector());
            assertEquals(DataType.BFLOAT16, r.read("t").dataType());
        }
        // F8_E4M3 (FN): 1, -1.5, 448 (largest), 2^-9 (smallest subnormal), 2^-6 (smallest normal), NaN, -0
        try (SafetensorsReader r = oneTensor(Dtype.F8_E4M3, 0x38, 0xBC, 0x7E, 0x01, 0x08, 0x7F, 0x80)) {
            INDArray a = r.read("t");
            assertEquals(DataType.FLOAT, a.dataType(), "ND4J has no 8-bit floats: they widen");
            assertArrayEquals(new float[] {1f, -1.5f, 448f, 0x1p-9f, 0x1p-6f, Float.NaN, -0f}, a.toFloatVector());
        }
        // F8_E5M2: 1, -2, 57344 (largest), 2^-16 (smallest subnormal), +inf, NaN
        try (SafetensorsReader r = oneTensor(Dtype.F8_E5M2, 0x3C, 0xC0, 0x7B, 0x01, 0x7C, 0x7E)) {
            assertArrayEquals(new float[] {1f, -2f, 57344f, 0x1p-16f, Float.POSITIVE_INFINITY, Float.NaN},
                    r.read("t").toFloatVector());
            assertArrayEquals(new double[] {1, -2, 57344, 0x1p-16, Double.POSITIVE_INFINITY, Double.NaN},
                    r.read("t", DataType.DOUBLE).toDoubleVector());
        }
    }

    @Test
    void everyF8AndF16BitPatternMatchesTheFormula() {
        for (int b = 0; b < 256; b++) {
            int e = (b >>> 3) & 0xF;
            int m = b & 7;
            double expected = e == 0xF && m == 7 ? Double.NaN
                    : (e == 0 ? m / 8.0 * Math.pow(2, -6) : (1 + m / 8.0) * Math.pow(2, e - 7)) * ((b & 0x80) != 0 ? -1 : 1);
            assertEquals(expected, NarrowFloats.e4m3ToFloat((byte) b), 0, "E4M3 " + b);
            assertEquals(NarrowFloats.e4m3ToFloat((byte) b), NarrowFloats.e4m3((byte) b), 0);
        }
        INDArray half = Nd4j.createUninitialized(DataType.HALF, 65536);
        for (int h = 0; h < 65536; h++) half.data().asNio().order(ByteOrder.LITTLE_ENDIAN).putShort(2 * h, (short) h);
        float[] nd4j = half.castTo(DataType.FLOAT).toFloatVector();
        for (int h = 0; h < 65536; h++) {
            float ours = NarrowFloats.halfToFloat((short) h);
            if (Float.isNaN(ours)) {
                assertTrue(Float.isNaN(nd4j[h]), "F16 " + h);
            } else {
                assertEquals(nd4j[h], ours, 0, "F16 " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void integersKeepTheirValues() throws IOException {
        try (SafetensorsReader r = oneTensor(Dtype.I8, -128, -1, 0, 127)) {
            assertEquals(DataType.BYTE, r.read("t").dataType());
            assertArrayEquals(new long[] {-128, -1, 0, 127}, r.read("t", DataType.LONG).toLongVector());
            assertArrayEquals(new int[] {-128, -1, 0, 127}, r.read("t", DataType.INT).toIntVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.U8, 0, 1, 128, 255)) {
            assertEquals(DataType.UBYTE, r.read("t").dataType());
            assertArrayEquals(new long[] {0, 1, 128, 255}, r.read("t", DataType.LONG).toLongVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.I16, -32768, 32767)) {
            assertEquals(DataType.SHORT, r.read("t").dataType());
            assertArrayEquals(new int[] {-32768, 32767}, r.read("t", DataType.INT).toIntVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.U16, 0, 65535)) {
            assertEquals(DataType.UINT16, r.read("t").dataType());
            assertArrayEquals(new int[] {0, 65535}, r.read("t", DataType.INT).toIntVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.I32, Integer.MIN_VALUE, Integer.MAX_VALUE)) {
            assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, r.read("t").toIntVector());
            assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, r.read("t", DataType.LONG).toLongVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.U32, 0, 0xFFFF_FFFFL)) {
            assertEquals(DataType.UINT32, r.read("t").dataType());
            assertArrayEquals(new long[] {0, 4_294_967_295L}, r.read("t", DataType.LONG).toLongVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.I64, Long.MIN_VALUE, -1, Long.MAX_VALUE)) {
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE}, r.read("t").toLongVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.U64, -1L, 1L << 63)) {
            INDArray u = r.read("t");
            assertEquals(DataType.UINT64, u.dataType());
            ByteBuffer bits = u.data().asNio().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(-1L, bits.getLong(0), "2^64 - 1 keeps its bits");
            assertEquals(1L << 63, bits.getLong(8));
        }
        try (SafetensorsReader r = oneTensor(Dtype.BOOL, 1, 0, 1)) {
            INDArray b = r.read("t");
            assertEquals(DataType.BOOL, b.dataType());
            assertArrayEquals(new int[] {1, 0, 1}, b.castTo(DataType.INT).toIntVector());
        }
    }

    @Test
    void floatsOfEveryWidth() throws IOException {
        try (SafetensorsReader r = oneTensor(Dtype.F32, Float.floatToIntBits(1.25f), Float.floatToIntBits(-3e38f))) {
            assertArrayEquals(new float[] {1.25f, -3e38f}, r.read("t").toFloatVector());
            assertArrayEquals(new double[] {1.25, -3e38f}, r.read("t", DataType.DOUBLE).toDoubleVector());
        }
        try (SafetensorsReader r = oneTensor(Dtype.F64, Double.doubleToLongBits(Math.PI), Double.doubleToLongBits(-0.0))) {
            assertArrayEquals(new double[] {Math.PI, -0.0}, r.read("t").toDoubleVector());
        }
    }

    @Test
    void conversionsThatWouldChangeValuesAreRefused() throws IOException {
        try (SafetensorsReader r = oneTensor(Dtype.F64, 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.read("t", DataType.FLOAT));
            assertTrue(e.getMessage().contains("F64") && e.getMessage().contains("DOUBLE"), e.getMessage());
        }
        try (SafetensorsReader r = oneTensor(Dtype.U64, 0)) {
            assertThrows(IllegalArgumentException.class, () -> r.read("t", DataType.LONG));
        }
        try (SafetensorsReader r = oneTensor(Dtype.I32, 0)) {
            assertThrows(IllegalArgumentException.class, () -> r.read("t", DataType.FLOAT));
            assertThrows(IllegalArgumentException.class, () -> r.read("t", DataType.SHORT));
        }
        try (SafetensorsReader r = oneTensor(Dtype.I64, 0)) {
            assertThrows(IllegalArgumentException.class, () -> r.read("t", DataType.INT));
        }
    }

    @Test
    void scalarsAndEmptyTensors() throws IOException {
        Path f = dir.resolve("shapes.safetensors");
        new SafetensorsWriter()
                .add("scalar", Dtype.F32, new long[0], TestFiles.floats(2.5f))
                .add("empty", Dtype.F32, new long[] {0}, new byte[0])
                .add("empty3d", Dtype.BF16, new long[] {3, 0, 2}, new byte[0])
                .add("emptyI64", Dtype.I64, new long[] {0, 5}, new byte[0])
                .write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            INDArray s = r.read("scalar");
            assertEquals(0, s.rank());
            assertEquals(2.5f, s.getFloat(0));
            for (String name : new String[] {"empty", "empty3d", "emptyI64"}) {
                INDArray e = r.read(name);
                assertTrue(e.isEmpty(), name);
                assertArrayEquals(r.info(name).shape(), e.shape(), name);
                assertEquals(0, r.readBytes(name).length);
            }
            assertTrue(r.read("empty3d", DataType.FLOAT).isEmpty());
        }
    }

    @Test
    void readIntoExistingArrays() throws IOException {
        try (SafetensorsReader r = oneTensor(Dtype.BF16, 0x3F80, 0x4000, 0x4040, 0x4080, 0x40A0, 0x40C0)) {
            INDArray target = Nd4j.zeros(DataType.FLOAT, 6);
            r.readInto("t", target);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, target.toFloatVector());

            INDArray wrongShape = Nd4j.zeros(DataType.FLOAT, 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.readInto("t", wrongShape));
            assertTrue(e.getMessage().contains("[6]") && e.getMessage().contains("[2, 3]"), e.getMessage());

            INDArray strided = Nd4j.zeros(DataType.FLOAT, 6, 2).getColumn(0); // a view with stride 2
            assertThrows(IllegalArgumentException.class, () -> r.readInto("t", strided));

            INDArray row = Nd4j.zeros(DataType.FLOAT, 3, 6).getRow(1); // a dense view at an offset
            r.readInto("t", row);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, row.toFloatVector());
        }
    }

    /** Offsets past 2^31 (a sparse 2 GB file: no disk or memory spent) read like any other. */
    @Test
    void tensorsBeyondTwoGigabytes() throws IOException {
        long big = (1L << 31) + 24;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[" + big + "," + (big + 12) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(TestFiles.file(h, new byte[0]));
            raf.setLength(8 + h.length + big + 12);
            raf.seek(8 + h.length + big);
            raf.write(TestFiles.floats(1f, -2f, 3.5f));
        }
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(big, r.info("big").byteSize());
            assertArrayEquals(new float[] {1f, -2f, 3.5f}, r.read("tail").toFloatVector());
            assertArrayEquals(TestFiles.floats(1f, -2f, 3.5f), r.readBytes("tail"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.readBytes("big"));
            assertTrue(e.getMessage().contains("readInto"), e.getMessage());
        }
    }

    @Test
    void dtypesMapToNd4jAndBack() {
        for (Dtype d : Dtype.values()) {
            assertEquals(d, Dtype.parse(d.name()));
            if (d.hasExactNd4jType()) {
                assertEquals(d, Dtype.of(d.nd4jType()));
                assertEquals(d.byteSize(), d.nd4jType().width(), d.name());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Dtype.of(DataType.UTF8));
    }
}
