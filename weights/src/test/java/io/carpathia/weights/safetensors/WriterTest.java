package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class WriterTest {
    @TempDir
    Path dir;

    private static String headerOf(byte[] file) {
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(file, 8, (int) n, StandardCharsets.UTF_8);
    }

    /** The byte layouts the reference implementation's own serialization tests expect. */
    @Test
    void reproducesTheReferenceWritersBytes() throws IOException {
        Path f = dir.resolve("a.safetensors");
        float[] values = {0, 1, 2, 3, 4, 5};
        new SafetensorsWriter().add("attn.0", Dtype.F32, new long[] {1, 2, 3}, TestFiles.floats(values)).write(f);
        String json = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"; // 64 bytes
        assertArrayEquals(TestFiles.file(json, TestFiles.floats(values)), Files.readAllBytes(f));

        new SafetensorsWriter().add("attn0", Dtype.F32, new long[] {1, 1, 2, 3}, TestFiles.floats(values)).write(f);
        String padded = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ";
        assertArrayEquals(TestFiles.file(padded, TestFiles.floats(values)), Files.readAllBytes(f));

        new SafetensorsWriter().write(f);
        assertArrayEquals(TestFiles.file("{}      ", new byte[0]), Files.readAllBytes(f));

        new SafetensorsWriter().putMetadata("framework", "pt").write(f);
        assertArrayEquals(TestFiles.file("{\"__metadata__\":{\"framework\":\"pt\"}}     ", new byte[0]),
                Files.readAllBytes(f));
    }

    @Test
    void ordersByDtypeAlignmentDescendingThenNameByCodePoint() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Dtype[] added = {Dtype.BOOL, Dtype.F32, Dtype.U8, Dtype.I64, Dtype.F16, Dtype.BF16, Dtype.F8_E5M2, Dtype.U64,
            Dtype.F64, Dtype.I8, Dtype.U32, Dtype.I16, Dtype.F8_E4M3, Dtype.U16, Dtype.I32};
        for (Dtype d : added) w.add("x_" + d, d, new long[] {1}, new byte[d.byteSize()]);
        // Same dtype: "\uFB01" (U+FB01) sorts before the emoji U+1F600 by code point, though not by UTF-16 unit.
        for (String name : new String[] {"\uD83D\uDE00", "b", "\uFB01", "a"}) {
            w.add(name, Dtype.F32, new long[] {1}, new byte[4]);
        }
        Path f = dir.resolve("order.safetensors");
        w.write(f);
        List<String> expected = new ArrayList<>(List.of("x_U64", "x_I64", "x_F64", "a", "b", "x_F32",
                "\uFB01", "\uD83D\uDE00", "x_U32", "x_I32", "x_BF16", "x_F16", "x_U16", "x_I16", "x_F8_E4M3",
                "x_F8_E5M2", "x_I8", "x_U8", "x_BOOL"));
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(expected, r.names());
            for (String name : r.names()) {
                TensorInfo t = r.info(name);
                assertEquals(0, (r.header().dataStart() + t.begin()) % t.dtype().byteSize(), name + " is aligned");
            }
            assertEquals(0, r.header().headerLength() % 8);
        }
    }

    @Test
    void everyNd4jTypeRoundTrips() throws IOException {
        Path f = dir.resolve("types.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        DataType[] types = {DataType.DOUBLE, DataType.FLOAT, DataType.HALF, DataType.BFLOAT16, DataType.LONG,
            DataType.INT, DataType.SHORT, DataType.BYTE, DataType.UBYTE, DataType.UINT16, DataType.UINT32,
            DataType.UINT64, DataType.BOOL};
        INDArray base = Nd4j.createFromArray(new double[] {0, 1, 2, 3, 1, 0}).reshape(2, 3);
        for (DataType t : types) w.add(t.name(), base.castTo(t));
        w.add("scalar", Nd4j.scalar(DataType.FLOAT, 7f));
        w.add("empty", Nd4j.create(DataType.FLOAT, 0, 4));
        w.write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            for (DataType t : types) {
                INDArray a = r.read(t.name());
                assertEquals(t, a.dataType());
                assertArrayEquals(new long[] {2, 3}, a.shape());
                double[] expected = t == DataType.BOOL ? new double[] {0, 1, 1, 1, 1, 0} : new double[] {0, 1, 2, 3, 1, 0};
                assertArrayEquals(expected, a.castTo(DataType.DOUBLE).reshape(6).toDoubleVector(), 0, t.name());
            }
            assertEquals(7f, r.read("scalar").getFloat(0));
            assertEquals(0, r.read("scalar").rank());
            assertArrayEquals(new long[] {0, 4}, r.read("empty").shape());
        }
    }

    @Test
    void stridedViewsAreWrittenInRowMajorOrder() throws IOException {
        INDArray m = Nd4j.arange(12).castTo(DataType.FLOAT).reshape(3, 4);
        Path f = dir.resolve("views.safetensors");
        new SafetensorsWriter()
                .add("transposed", m.transpose())        // [4, 3], column-major view
                .add("column", m.getColumn(1))           // stride 4
                .add("row", m.getRow(2))                 // dense, at an offset
                .write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertArrayEquals(m.transpose().dup('c').reshape(12).toFloatVector(),
                    r.read("transposed").reshape(12).toFloatVector());
            assertArrayEquals(new float[] {1, 5, 9}, r.read("column").toFloatVector());
            assertArrayEquals(new float[] {8, 9, 10, 11}, r.read("row").toFloatVector());
        }
    }

    @Test
    void metadataRoundTripsWithAnyText() throws IOException {
        Map<String, String> metadata = Map.of("format", "pt", "caf\u00e9 \u6743\u91cd", "line\nbreak\t\"quoted\"\\",
                "control", "\u0001\u001f", "emoji", "\uD83D\uDE00", "", "empty key");
        Path f = dir.resolve("meta.safetensors");
        new SafetensorsWriter().putAllMetadata(metadata).write(f);
        try (SafetensorsReader r = SafetensorsReader.open(f)) {
            assertEquals(metadata, r.metadata());
        }
    }

    @Test
    void refusesWhatNoFileCanHold() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", Dtype.U8, new long[] {1}, new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", Dtype.U8, new long[] {1}, new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("__metadata__", Dtype.U8, new long[] {1}, new byte[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> w.add("b", Dtype.F32, new long[] {2, 3}, new byte[20]));
        assertTrue(e.getMessage().contains("24 bytes") && e.getMessage().contains("'b'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.add("c", Dtype.U8, new long[] {-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> w.add("\uD800", Dtype.U8, new long[] {1}, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> w.putMetadata("k", "\uDC00"));
        assertThrows(IllegalArgumentException.class, () -> w.add("s", Nd4j.create(DataType.UTF8, 1)));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        new SafetensorsWriter().add("w", Dtype.F32, new long[] {1}, TestFiles.floats(1f)).write(f);
        byte[] before = Files.readAllBytes(f);
        SafetensorsWriter failing = new SafetensorsWriter().add("w", Dtype.F32, new long[] {2},
                new SafetensorsWriter.Data() {
                    @Override
                    public long byteSize() {
                        return 8;
                    }

                    @Override
                    public void writeTo(FileChannel out) throws IOException {
                        out.write(ByteBuffer.wrap(new byte[4]));
                        throw new IOException("disk full (simulated)");
                    }
                });
        IOException e = assertThrows(IOException.class, () -> failing.write(f));
        assertEquals("disk full (simulated)", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void writtenFilesGetTheUsualPermissionsNotATemporaryFilesOnes() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path f = dir.resolve("perm.safetensors");
        new SafetensorsWriter().write(f);
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(f));
    }
}
