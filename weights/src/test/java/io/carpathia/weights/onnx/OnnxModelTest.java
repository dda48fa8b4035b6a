package io.carpathia.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.weights.onnx.OnnxBytes.Message;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The wire-level reader on hand-built models: what it reads, and how it refuses broken bytes. */
class OnnxModelTest {
    private static final Path FILE = Path.of("test.onnx");

    /** Two initializers (raw_data and float_data), a Constant, a MatMul with an attribute, inputs and outputs. */
    static byte[] smallModel() {
        OnnxBytes.Graph g = new OnnxBytes.Graph();
        g.initializer(OnnxBytes.floatTensor("w", new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        g.initializer(new Message().packedVarints(1, 3).varint(2, 1).string(8, "b").packedFloats(4, 0.5f, -1, 2));
        g.node(OnnxBytes.constant("scale", OnnxBytes.longTensor("", new long[] {2}, 12, 32)));
        g.node(OnnxBytes.node("/layer/MatMul", "MatMul", List.of("x", "w"), List.of("y"),
                OnnxBytes.intAttribute("transB", 1)));
        g.inputs.add("x");
        g.outputs.add("y");
        return g.model();
    }

    @Test
    void readsInitializersNodesAttributesAndConstants() throws Exception {
        OnnxModel m = OnnxModel.parse(smallModel(), FILE);
        assertEquals(7, m.irVersion());
        assertEquals("carpathia-test", m.producerName());
        assertEquals(14L, m.opsets().get(""));
        assertEquals(List.of("w", "b"), List.copyOf(m.initializers().keySet()));
        OnnxTensor w = m.initializers().get("w");
        assertEquals(OnnxDataType.FLOAT, w.dataType());
        assertArrayEquals(new long[] {2, 3}, w.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, w.toFloats());
        INDArray wt = w.toTransposedArray();
        assertArrayEquals(new long[] {3, 2}, wt.shape());
        assertEquals(DataType.FLOAT, wt.dataType());
        // wᵀ[j, i] = w[i, j]
        assertEquals(4f, wt.getFloat(0, 1));
        assertEquals(3f, wt.getFloat(2, 0));
        assertArrayEquals(new float[] {0.5f, -1, 2}, m.initializers().get("b").toFloats());
        assertArrayEquals(new long[] {12, 32}, m.constant("scale").toLongs());
        assertNull(m.constant("y"));
        OnnxNode mm = m.nodes().get(1);
        assertEquals("MatMul", mm.opType());
        assertEquals("/layer/MatMul", mm.name());
        assertEquals(List.of("x", "w"), mm.inputs());
        assertEquals(1, mm.attribute("transB").i());
        assertEquals(List.of(mm), m.consumers("w"));
        assertEquals(mm, m.producer("y"));
        assertEquals(List.of("x"), m.inputs());
        assertEquals(List.of("y"), m.outputs());
    }

    @Test
    void emptyOrForeignBytesAreRefused() {
        assertMessage(new byte[0], "empty");
        // a valid protobuf with no graph: not an ONNX model
        assertMessage(new Message().varint(1, 7).toBytes(), "no graph");
        assertMessage("{\"not\": \"onnx\"}".getBytes(), "test.onnx");
    }

    @Test
    void aLengthPastTheEndIsRefusedWithoutAllocating() {
        // graph (field 7, wire type 2) claiming 2^31 - 1 bytes
        byte[] lying = new Message().varint(1, 7).raw((byte) 0x3A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0x07).toBytes();
        assertMessage(lying, "bytes are left");
        // raw_data inside a tensor claiming more than its message holds
        Message tensor = new Message().packedVarints(1, 2).varint(2, 1).string(8, "t")
                .raw((byte) 0x4A, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x40);
        OnnxBytes.Graph g = new OnnxBytes.Graph().initializer(tensor);
        assertMessage(g.model(), "bytes are left");
    }

    @Test
    void dataThatDoesNotMatchTheDimsIsRefused() {
        OnnxBytes.Graph g = new OnnxBytes.Graph()
                .initializer(OnnxBytes.floatTensor("w", new long[] {2, 3}, 1, 2, 3, 4, 5));
        assertMessage(g.model(), "'w': raw_data holds 20 bytes, but dims [2, 3] of FLOAT need 24");
        OnnxBytes.Graph huge = new OnnxBytes.Graph()
                .initializer(OnnxBytes.floatTensor("big", new long[] {1L << 40, 1L << 40}, 1));
        assertMessage(huge.model(), "overflow");
        OnnxBytes.Graph typed = new OnnxBytes.Graph()
                .initializer(new Message().packedVarints(1, 4).varint(2, 1).string(8, "f").packedFloats(4, 1, 2));
        assertMessage(typed.model(), "dims hold 4 elements of FLOAT, but the tensor has 2 values");
        OnnxBytes.Graph negative = new OnnxBytes.Graph()
                .initializer(OnnxBytes.floatTensor("n", new long[] {-1}, 1));
        assertMessage(negative.model(), "negative");
    }

    @Test
    void externalDataAndStringsAreRefused() {
        Message external = new Message().packedVarints(1, 2).varint(2, 1).string(8, "ext")
                .message(13, new Message().string(1, "location").string(2, "weights.bin")).varint(14, 1);
        assertMessage(new OnnxBytes.Graph().initializer(external).model(), "'ext': the tensor's data is stored in an "
                + "external file");
        Message strings = new Message().packedVarints(1, 1).varint(2, 8).string(8, "s").bytes(6, "x".getBytes());
        assertMessage(new OnnxBytes.Graph().initializer(strings).model(), "strings");
        Message unknownType = new Message().packedVarints(1, 1).varint(2, 14).string(8, "c").bytes(9, new byte[8]);
        assertMessage(new OnnxBytes.Graph().initializer(unknownType).model(), "COMPLEX64 is not supported");
    }

    @Test
    void groupsAndWrongWireTypesAreRefused() {
        // field 9 of ModelProto as a start-group (wire type 3), nested many times: refused at the first one
        byte[] groups = new byte[100_000];
        java.util.Arrays.fill(groups, (byte) 0x4B);
        assertMessage(groups, "wire type 3");
        // graph (field 7) as a varint
        assertMessage(new Message().varint(7, 1).toBytes(), "ModelProto.graph: wire type 0 at byte 1, expected 2");
    }

    @Test
    void duplicateInitializerNamesAreRefused() {
        OnnxBytes.Graph g = new OnnxBytes.Graph()
                .initializer(OnnxBytes.floatTensor("w", new long[] {1}, 1))
                .initializer(OnnxBytes.floatTensor("w", new long[] {1}, 2));
        assertMessage(g.model(), "two initializers are named 'w'");
    }

    /** Every prefix of a valid model is read (protobuf allows stopping between fields) or refused: nothing else. */
    @Test
    void everyTruncationIsReadOrRefused() {
        byte[] full = smallModel();
        for (int n = 0; n < full.length; n++) {
            byte[] prefix = java.util.Arrays.copyOf(full, n);
            readOrRefuse(prefix);
        }
    }

    /** Random byte flips, insertions and deletions: each result is a model or an OnnxFormatException. */
    @Property(tries = 2000)
    void mutatedModelsAreReadOrRefused(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = smallModel();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(3)) {
                case 0 -> b[at] = (byte) r.nextInt(256);
                case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
                default -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
            }
            if (b.length == 0) break;
        }
        readOrRefuse(b);
    }

    private static void readOrRefuse(byte[] bytes) {
        try {
            OnnxModel m = OnnxModel.parse(bytes, FILE);
            for (OnnxTensor t : m.initializers().values()) {
                // whatever was read holds exactly its dims' elements
                long n = 1;
                for (long d : t.shape()) n *= d;
                assertEquals(n, t.elementCount(), t.toString());
            }
        } catch (OnnxFormatException e) {
            assertTrue(e.getMessage().startsWith("test.onnx: "), e.getMessage());
        }
    }

    private static void assertMessage(byte[] bytes, String expected) {
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxModel.parse(bytes, FILE));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected
                + "'");
    }
}
