package io.carpathia.weights.safetensors;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The element types of the safetensors format, all little-endian.
 *
 * <p>The constants are declared in the order of the reference implementation's {@code Dtype} enum (Rust crate
 * {@code safetensors}, {@code tensor.rs}), which is "increasing alignment": the reference writer sorts tensors by
 * that order descending, then by name, and {@link SafetensorsWriter} does the same through {@link #ordinal()}.
 */
public enum Dtype {
    BOOL(1, Kind.BOOL, DataType.BOOL),
    U8(1, Kind.UNSIGNED, DataType.UBYTE),
    I8(1, Kind.SIGNED, DataType.BYTE),
    /** 8-bit float, 1 sign, 5 exponent (bias 15), 2 mantissa bits; infinities and NaNs as in IEEE 754. */
    F8_E5M2(1, Kind.FLOAT, null),
    /** 8-bit float "E4M3FN", 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, NaN = S.1111.111. */
    F8_E4M3(1, Kind.FLOAT, null),
    I16(2, Kind.SIGNED, DataType.SHORT),
    U16(2, Kind.UNSIGNED, DataType.UINT16),
    F16(2, Kind.FLOAT, DataType.HALF),
    BF16(2, Kind.FLOAT, DataType.BFLOAT16),
    I32(4, Kind.SIGNED, DataType.INT),
    U32(4, Kind.UNSIGNED, DataType.UINT32),
    F32(4, Kind.FLOAT, DataType.FLOAT),
    F64(8, Kind.FLOAT, DataType.DOUBLE),
    I64(8, Kind.SIGNED, DataType.LONG),
    U64(8, Kind.UNSIGNED, DataType.UINT64);

    /** What the bits of an element mean. */
    public enum Kind { BOOL, SIGNED, UNSIGNED, FLOAT }

    private final int byteSize;
    private final Kind kind;
    private final DataType nd4jType;

    Dtype(int byteSize, Kind kind, DataType nd4jType) {
        this.byteSize = byteSize;
        this.kind = kind;
        this.nd4jType = nd4jType;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isFloatingPoint() {
        return kind == Kind.FLOAT;
    }

    /** True for the signed and unsigned integer types (not BOOL). */
    public boolean isInteger() {
        return kind == Kind.SIGNED || kind == Kind.UNSIGNED;
    }

    /**
     * The ND4J type that holds these bytes unchanged, or FLOAT for the 8-bit floats, which ND4J lacks (they widen
     * exactly to float32).
     */
    public DataType nd4jType() {
        return nd4jType != null ? nd4jType : DataType.FLOAT;
    }

    /** True when {@link #nd4jType()} stores the file's bytes as they are, so a read is a plain copy. */
    public boolean hasExactNd4jType() {
        return nd4jType != null;
    }

    /** The safetensors dtype of an ND4J array type, for writing. */
    public static Dtype of(DataType type) {
        for (Dtype d : values()) {
            if (d.nd4jType == type) return d;
        }
        throw new IllegalArgumentException("ND4J type " + type + " has no safetensors dtype (supported: DOUBLE, FLOAT,"
                + " HALF, BFLOAT16, LONG, INT, SHORT, BYTE, UBYTE, UINT16, UINT32, UINT64, BOOL)");
    }

    /** The dtype named {@code name} exactly as the format spells it ("F32", "BF16", ...), or null if there is none. */
    public static Dtype parse(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }
}
