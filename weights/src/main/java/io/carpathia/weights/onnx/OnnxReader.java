package io.carpathia.weights.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the few messages of {@code onnx.proto} that hold a model's weights and graph, field by field on protobuf's
 * wire format: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto (its name) and
 * OperatorSetIdProto. Every other field is skipped.
 *
 * <p>Every length is checked against the bytes left in its enclosing message before anything is allocated or
 * skipped, so a lying length is an {@link OnnxFormatException}, never a huge allocation or a read past the end.
 * Groups (wire types 3 and 4, which ONNX never uses) are refused rather than skipped, so no input can recurse deeply.
 */
final class OnnxReader {
    // ModelProto
    private static final int MODEL_IR_VERSION = 1;
    private static final int MODEL_PRODUCER_NAME = 2;
    private static final int MODEL_PRODUCER_VERSION = 3;
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET_IMPORT = 8;
    // OperatorSetIdProto
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;
    // GraphProto
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_NAME = 2;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int GRAPH_SPARSE_INITIALIZER = 15;
    // ValueInfoProto
    private static final int VALUE_INFO_NAME = 1;
    // NodeProto
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int NODE_DOMAIN = 7;
    // AttributeProto
    private static final int ATTR_NAME = 1;
    private static final int ATTR_F = 2;
    private static final int ATTR_I = 3;
    private static final int ATTR_S = 4;
    private static final int ATTR_T = 5;
    private static final int ATTR_FLOATS = 7;
    private static final int ATTR_INTS = 8;
    private static final int ATTR_TYPE = 20;
    // TensorProto
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_SEGMENT = 3;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_INT32_DATA = 5;
    private static final int TENSOR_STRING_DATA = 6;
    private static final int TENSOR_INT64_DATA = 7;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DOUBLE_DATA = 10;
    private static final int TENSOR_UINT64_DATA = 11;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;

    private final CodedInputStream in;
    private final ByteBuffer bytes;
    private final Path file;

    private OnnxReader(ByteBuffer bytes, Path file) {
        this.bytes = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.in = CodedInputStream.newInstance(this.bytes.duplicate());
        this.file = file;
    }

    /** Parses a whole ModelProto held in {@code bytes} (from its position to its limit). */
    static OnnxModel read(ByteBuffer bytes, Path file) throws OnnxFormatException {
        OnnxReader r = new OnnxReader(bytes, file);
        try {
            if (!bytes.hasRemaining()) throw r.bad("model", "the file is empty");
            // a limit from the start, so every length can be checked against the bytes left
            r.in.pushLimit(bytes.remaining());
            return r.model();
        } catch (InvalidProtocolBufferException e) {
            throw r.bad("model", "not a valid protobuf ModelProto at byte " + r.in.getTotalBytesRead() + " ("
                    + e.getMessage() + ")", e);
        } catch (OnnxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw r.bad("model", "unreadable at byte " + r.in.getTotalBytesRead() + " (" + e.getMessage() + ")", e);
        }
    }

    private OnnxModel model() throws IOException {
        long irVersion = 0;
        String producerName = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Graph graph = null;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MODEL_IR_VERSION -> irVersion = varint(tag, "ModelProto.ir_version");
                case MODEL_PRODUCER_NAME -> producerName = string(tag, "ModelProto.producer_name");
                case MODEL_PRODUCER_VERSION -> producerVersion = string(tag, "ModelProto.producer_version");
                case MODEL_OPSET_IMPORT -> {
                    int old = enter(tag, "ModelProto.opset_import");
                    String domain = "";
                    long version = 0;
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case OPSET_DOMAIN -> domain = string(t, "OperatorSetIdProto.domain");
                            case OPSET_VERSION -> version = varint(t, "OperatorSetIdProto.version");
                            default -> skip(t, "OperatorSetIdProto");
                        }
                    }
                    in.popLimit(old);
                    opsets.put(domain, version);
                }
                case MODEL_GRAPH -> {
                    if (graph != null) throw bad("model", "ModelProto has two graphs");
                    int old = enter(tag, "ModelProto.graph");
                    graph = graph();
                    in.popLimit(old);
                }
                default -> skip(tag, "ModelProto");
            }
        }
        if (graph == null) {
            throw bad("model", "no graph (field 7 of ModelProto); is this an ONNX model file?");
        }
        return new OnnxModel(file, irVersion, producerName, producerVersion, opsets, graph.name, graph.nodes,
                graph.initializers, graph.inputs, graph.outputs);
    }

    private record Graph(String name, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers, List<String> inputs,
                         List<String> outputs) {}

    private Graph graph() throws IOException {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NAME -> name = string(tag, "GraphProto.name");
                case GRAPH_NODE -> {
                    String where = "graph.node[" + nodes.size() + "]";
                    int old = enter(tag, where);
                    nodes.add(node(where));
                    in.popLimit(old);
                }
                case GRAPH_INITIALIZER -> {
                    String where = "graph.initializer[" + initializers.size() + "]";
                    int old = enter(tag, where);
                    OnnxTensor t = tensor(where);
                    in.popLimit(old);
                    if (t.name().isEmpty()) throw bad(where, "an initializer has no name");
                    if (initializers.put(t.name(), t) != null) {
                        throw bad(where, "two initializers are named '" + t.name() + "'");
                    }
                }
                case GRAPH_INPUT, GRAPH_OUTPUT -> {
                    boolean input = WireFormat.getTagFieldNumber(tag) == GRAPH_INPUT;
                    String where = input ? "graph.input" : "graph.output";
                    int old = enter(tag, where);
                    String valueName = "";
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        if (WireFormat.getTagFieldNumber(t) == VALUE_INFO_NAME) valueName = string(t, where + ".name");
                        else skip(t, "ValueInfoProto");
                    }
                    in.popLimit(old);
                    (input ? inputs : outputs).add(valueName);
                }
                case GRAPH_SPARSE_INITIALIZER -> throw bad("graph", "the graph has a sparse initializer, which is "
                        + "not supported (only dense initializers are read)");
                default -> skip(tag, "GraphProto");
            }
        }
        return new Graph(name, nodes, initializers, inputs, outputs);
    }

    private OnnxNode node(String where) throws IOException {
        String name = "";
        String opType = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(string(tag, where + ".input"));
                case NODE_OUTPUT -> outputs.add(string(tag, where + ".output"));
                case NODE_NAME -> name = string(tag, where + ".name");
                case NODE_OP_TYPE -> opType = string(tag, where + ".op_type");
                case NODE_DOMAIN -> domain = string(tag, where + ".domain");
                case NODE_ATTRIBUTE -> {
                    String at = where + ".attribute[" + attributes.size() + "]";
                    int old = enter(tag, at);
                    OnnxAttribute a = attribute(at);
                    in.popLimit(old);
                    attributes.put(a.name(), a);
                }
                default -> skip(tag, "NodeProto");
            }
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    private OnnxAttribute attribute(String where) throws IOException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        OnnxTensor t = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTR_NAME -> name = string(tag, where + ".name");
                case ATTR_TYPE -> type = (int) varint(tag, where + ".type");
                case ATTR_F -> {
                    expect(tag, WireFormat.WIRETYPE_FIXED32, where + ".f");
                    f = in.readFloat();
                }
                case ATTR_I -> i = varint(tag, where + ".i");
                case ATTR_S -> s = string(tag, where + ".s");
                case ATTR_T -> {
                    int old = enter(tag, where + ".t");
                    t = tensor(where + ".t");
                    in.popLimit(old);
                }
                case ATTR_FLOATS -> fixed32s(tag, where + ".floats", floats);
                case ATTR_INTS -> varints(tag, where + ".ints", ints);
                default -> skip(tag, "AttributeProto");
            }
        }
        return new OnnxAttribute(name, type, f, i, s, t, floats.toArray(), ints.toArray());
    }

    private OnnxTensor tensor(String where) throws IOException {
        String name = "";
        int dataTypeCode = 0;
        LongList dims = new LongList();
        ByteBuffer raw = null;
        FloatList floatData = new FloatList();
        LongList intData = new LongList();    // int32_data, int64_data and uint64_data, by field
        int intField = 0;
        List<Double> doubleData = new ArrayList<>();
        boolean external = false;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case TENSOR_NAME -> name = string(tag, where + ".name");
                case TENSOR_DATA_TYPE -> dataTypeCode = (int) varint(tag, where + ".data_type");
                case TENSOR_DIMS -> varints(tag, where + ".dims", dims);
                case TENSOR_RAW_DATA -> {
                    expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, where + ".raw_data");
                    int len = length(where + ".raw_data");
                    int at = in.getTotalBytesRead();
                    in.skipRawBytes(len);
                    raw = bytes.duplicate().position(bytes.position() + at).limit(bytes.position() + at + len)
                            .slice().order(ByteOrder.LITTLE_ENDIAN);
                }
                case TENSOR_FLOAT_DATA -> fixed32s(tag, where + ".float_data", floatData);
                case TENSOR_INT32_DATA, TENSOR_INT64_DATA, TENSOR_UINT64_DATA -> {
                    if (intField != 0 && intField != field) {
                        throw bad(where, "the tensor has data in two integer fields (" + intField + " and " + field
                                + ")");
                    }
                    intField = field;
                    varints(tag, where + ".int_data", intData);
                }
                case TENSOR_DOUBLE_DATA -> {
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int len = length(where + ".double_data");
                        if (len % 8 != 0) throw bad(where, "packed double_data of " + len + " bytes, not a multiple of 8");
                        int old = in.pushLimit(len);
                        while (!in.isAtEnd()) doubleData.add(in.readDouble());
                        in.popLimit(old);
                    } else {
                        expect(tag, WireFormat.WIRETYPE_FIXED64, where + ".double_data");
                        doubleData.add(in.readDouble());
                    }
                }
                case TENSOR_EXTERNAL_DATA -> {
                    external = true;
                    skip(tag, "TensorProto");
                }
                case TENSOR_DATA_LOCATION -> external |= varint(tag, where + ".data_location") == 1;
                case TENSOR_SEGMENT -> throw bad(where, "the tensor is split into segments, which is not supported");
                case TENSOR_STRING_DATA -> throw bad(where, "the tensor holds strings, which are not supported");
                default -> skip(tag, "TensorProto");
            }
        }
        String label = where + (name.isEmpty() ? "" : " '" + name + "'");
        if (external) {
            throw bad(label, "the tensor's data is stored in an external file (data_location EXTERNAL); only "
                    + "self-contained .onnx files are supported (re-export without external data)");
        }
        OnnxDataType type = OnnxDataType.ofCode(dataTypeCode);
        if (type == null) {
            throw bad(label, "data_type " + OnnxDataType.nameOf(dataTypeCode) + " is not supported (supported: "
                    + Arrays.toString(OnnxDataType.values()) + ")");
        }
        long[] shape = dims.toArray();
        long count = 1;
        for (long d : shape) {
            if (d < 0) throw bad(label, "dims " + Arrays.toString(shape) + " has a negative dimension");
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw bad(label, "dims " + Arrays.toString(shape) + " overflow a 64-bit element count");
            }
        }
        ByteBuffer data;
        if (raw != null) {
            if (floatData.size > 0 || intData.size > 0 || !doubleData.isEmpty()) {
                throw bad(label, "the tensor has both raw_data and typed data fields");
            }
            if (count > raw.remaining() / type.byteSize() || count * type.byteSize() != raw.remaining()) {
                throw bad(label, "raw_data holds " + raw.remaining() + " bytes, but dims " + Arrays.toString(shape)
                        + " of " + type + " need " + (count <= Long.MAX_VALUE / type.byteSize()
                        ? Long.toString(count * type.byteSize()) : "more than 2^63") + " bytes");
            }
            data = raw;
        } else {
            data = typedData(label, type, count, floatData, intData, intField, doubleData);
        }
        return new OnnxTensor(name, type, shape, data);
    }

    /** The typed data field that {@code type} uses, re-encoded as little-endian element bytes. */
    private ByteBuffer typedData(String label, OnnxDataType type, long count, FloatList floatData, LongList intData,
                                 int intField, List<Double> doubleData) throws OnnxFormatException {
        int expectedField = switch (type) {
            case FLOAT -> TENSOR_FLOAT_DATA;
            case DOUBLE -> TENSOR_DOUBLE_DATA;
            case INT64 -> TENSOR_INT64_DATA;
            case UINT32, UINT64 -> TENSOR_UINT64_DATA;
            default -> TENSOR_INT32_DATA; // INT32, the 8- and 16-bit integers, BOOL, FLOAT16, BFLOAT16
        };
        long found = expectedField == TENSOR_FLOAT_DATA ? floatData.size
                : expectedField == TENSOR_DOUBLE_DATA ? doubleData.size() : intField == expectedField ? intData.size : 0;
        boolean otherData = (expectedField != TENSOR_FLOAT_DATA && floatData.size > 0)
                || (expectedField != TENSOR_DOUBLE_DATA && !doubleData.isEmpty())
                || (intData.size > 0 && intField != expectedField);
        if (otherData || found != count) {
            throw bad(label, "dims hold " + count + " elements of " + type + ", but the tensor has " + found
                    + " values in the field " + type + " uses" + (otherData ? " and data in another field" : "")
                    + " (and no raw_data)");
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(count * type.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < count; k++) {
            switch (type) {
                case FLOAT -> out.putFloat(floatData.values[k]);
                case DOUBLE -> out.putDouble(doubleData.get(k));
                case INT64, UINT64 -> out.putLong(intData.values[k]);
                case INT32, UINT32 -> out.putInt((int) intData.values[k]);
                case INT16, UINT16, FLOAT16, BFLOAT16 -> out.putShort((short) intData.values[k]);
                case INT8, UINT8, BOOL -> out.put((byte) intData.values[k]);
            }
        }
        return out.flip();
    }

    // ------------------------------------------------------------------------------------------------ wire format

    /** Enters a length-delimited sub-message: checks its length and sets it as the limit; returns the old limit. */
    private int enter(int tag, String where) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, where);
        return in.pushLimit(length(where));
    }

    /** Reads a length prefix and checks it against the bytes left in the enclosing message. */
    private int length(String where) throws IOException {
        int len = in.readRawVarint32();
        int left = in.getBytesUntilLimit();
        if (len < 0 || len > left) {
            throw bad(where, "a length of " + Integer.toUnsignedString(len) + " bytes at byte "
                    + in.getTotalBytesRead() + ", but only " + left + " bytes are left in the enclosing message "
                    + "(truncated or corrupt file)");
        }
        return len;
    }

    private String string(int tag, String where) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED, where);
        return new String(in.readRawBytes(length(where)), StandardCharsets.UTF_8);
    }

    private long varint(int tag, String where) throws IOException {
        expect(tag, WireFormat.WIRETYPE_VARINT, where);
        return in.readRawVarint64();
    }

    /** A repeated varint field, packed (one length-delimited run) or not (one value per tag). */
    private void varints(int tag, String where, LongList out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(length(where));
            while (!in.isAtEnd()) out.add(in.readRawVarint64());
            in.popLimit(old);
        } else {
            out.add(varint(tag, where));
        }
    }

    /** A repeated float field, packed or not. */
    private void fixed32s(int tag, String where, FloatList out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int len = length(where);
            if (len % 4 != 0) throw bad(where, "packed floats of " + len + " bytes, not a multiple of 4");
            out.reserve(len / 4);
            int old = in.pushLimit(len);
            while (!in.isAtEnd()) out.add(in.readFloat());
            in.popLimit(old);
        } else {
            expect(tag, WireFormat.WIRETYPE_FIXED32, where);
            out.add(in.readFloat());
        }
    }

    private void expect(int tag, int wireType, String where) throws OnnxFormatException {
        int found = WireFormat.getTagWireType(tag);
        if (found != wireType) {
            throw bad(where, "wire type " + found + " at byte " + in.getTotalBytesRead() + ", expected " + wireType
                    + " (corrupt file, or not ONNX)");
        }
    }

    /** Skips a field this reader does not need; groups are refused (ONNX has none, and they nest without bound). */
    private void skip(int tag, String message) throws IOException {
        switch (WireFormat.getTagWireType(tag)) {
            case WireFormat.WIRETYPE_VARINT -> in.readRawVarint64();
            case WireFormat.WIRETYPE_FIXED64 -> in.skipRawBytes(8);
            case WireFormat.WIRETYPE_FIXED32 -> in.skipRawBytes(4);
            case WireFormat.WIRETYPE_LENGTH_DELIMITED -> in.skipRawBytes(length(message + " field "
                    + WireFormat.getTagFieldNumber(tag)));
            default -> throw bad(message, "field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag) + " at byte " + in.getTotalBytesRead()
                    + ", which ONNX never uses (corrupt file, or not ONNX)");
        }
    }

    private OnnxFormatException bad(String where, String problem) {
        return new OnnxFormatException(file, where + ": " + problem);
    }

    private OnnxFormatException bad(String where, String problem, Throwable cause) {
        return new OnnxFormatException(file, where + ": " + problem, cause);
    }

    /** A growable list of longs (dims, ints, integer data) without boxing. */
    private static final class LongList {
        long[] values = new long[8];
        int size;

        void add(long v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    /** A growable list of floats. */
    private static final class FloatList {
        float[] values = new float[8];
        int size;

        /** Makes room for {@code n} more (n is bounded by bytes actually present in the file). */
        void reserve(int n) {
            if (size + n > values.length) values = Arrays.copyOf(values, size + n);
        }

        void add(float v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
