package io.carpathia.weights.onnx;

import java.util.Arrays;

/**
 * An attribute of an ONNX node ({@code AttributeProto}) of one of the kinds read here: a float, an integer, a string,
 * a tensor, a list of floats or a list of integers. Sub-graphs and the other kinds are skipped; their attributes keep
 * only a name and {@code type}.
 *
 * @param type {@code AttributeProto.AttributeType}: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, ...
 */
public record OnnxAttribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats,
                            long[] ints) {
    public static final int FLOAT = 1;
    public static final int INT = 2;
    public static final int STRING = 3;
    public static final int TENSOR = 4;
    public static final int FLOATS = 6;
    public static final int INTS = 7;

    @Override
    public String toString() {
        String value = switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> "\"" + s + "\"";
            case TENSOR -> String.valueOf(t);
            case FLOATS -> Arrays.toString(floats);
            case INTS -> Arrays.toString(ints);
            default -> "(type " + type + ")";
        };
        return name + "=" + value;
    }
}
