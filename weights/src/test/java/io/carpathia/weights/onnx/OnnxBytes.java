package io.carpathia.weights.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small ONNX ModelProto byte arrays field by field for tests: initializers, nodes with attributes, graph inputs
 * and outputs. Field numbers are those of onnx.proto.
 */
final class OnnxBytes {
    /** One protobuf message being written. */
    static final class Message {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Message string(int field, String value) {
            return io(() -> out.writeString(field, value));
        }

        Message varint(int field, long value) {
            return io(() -> out.writeInt64(field, value));
        }

        Message float32(int field, float value) {
            return io(() -> out.writeFloat(field, value));
        }

        Message bytes(int field, byte[] value) {
            return io(() -> out.writeByteArray(field, value));
        }

        Message message(int field, Message value) {
            return bytes(field, value.toBytes());
        }

        /** A packed repeated varint field. */
        Message packedVarints(int field, long... values) {
            Message packed = new Message();
            for (long v : values) packed.io(() -> packed.out.writeInt64NoTag(v));
            return bytes(field, packed.toBytes());
        }

        /** A packed repeated float field. */
        Message packedFloats(int field, float... values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) b.putFloat(v);
            return bytes(field, b.array());
        }

        /** Raw bytes appended as they are (to write broken fields). */
        Message raw(byte... data) {
            return io(() -> out.writeRawBytes(data));
        }

        byte[] toBytes() {
            io(out::flush);
            return bytes.toByteArray();
        }

        private Message io(IoAction a) {
            try {
                a.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        private interface IoAction {
            void run() throws IOException;
        }
    }

    /** A FLOAT tensor with raw_data. */
    static Message floatTensor(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        Message t = new Message().packedVarints(1, dims).varint(2, 1);
        if (!name.isEmpty()) t.string(8, name);
        return t.bytes(9, b.array());
    }

    /** An INT64 tensor with int64_data. */
    static Message longTensor(String name, long[] dims, long... values) {
        Message t = new Message().packedVarints(1, dims).varint(2, 7).packedVarints(7, values);
        if (!name.isEmpty()) t.string(8, name);
        return t;
    }

    static Message node(String name, String op, List<String> inputs, List<String> outputs, Message... attributes) {
        Message n = new Message();
        for (String in : inputs) n.string(1, in);
        for (String out : outputs) n.string(2, out);
        n.string(3, name).string(4, op);
        for (Message a : attributes) n.message(5, a);
        return n;
    }

    static Message tensorAttribute(String name, Message tensor) {
        return new Message().string(1, name).message(5, tensor).varint(20, 4);
    }

    static Message intAttribute(String name, long value) {
        return new Message().string(1, name).varint(3, value).varint(20, 2);
    }

    /** A Constant node whose output is {@code output}. */
    static Message constant(String output, Message tensor) {
        return node(output + "_node", "Constant", List.of(), List.of(output), tensorAttribute("value", tensor));
    }

    /** A graph builder: nodes and initializers in the order added. */
    static final class Graph {
        final List<Message> nodes = new ArrayList<>();
        final List<Message> initializers = new ArrayList<>();
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();

        Graph node(Message n) {
            nodes.add(n);
            return this;
        }

        Graph initializer(Message t) {
            initializers.add(t);
            return this;
        }

        byte[] model() {
            Message g = new Message();
            for (Message n : nodes) g.message(1, n);
            g.string(2, "test_graph");
            for (Message t : initializers) g.message(5, t);
            for (String in : inputs) g.message(11, new Message().string(1, in));
            for (String out : outputs) g.message(12, new Message().string(1, out));
            return new Message().varint(1, 7).string(2, "carpathia-test").string(3, "1")
                    .message(8, new Message().string(1, "").varint(2, 14)).message(7, g).toBytes();
        }
    }
}
