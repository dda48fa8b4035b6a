package io.carpathia.weights.onnx;

import io.carpathia.weights.safetensors.Dtype;

/**
 * The element types of ONNX's {@code TensorProto.DataType} that hold numbers, with their codes and the safetensors
 * {@link Dtype} of the same bits. STRING, the complex types and the 4-bit and 8-bit float types are not read.
 */
public enum OnnxDataType {
    FLOAT(1, Dtype.F32),
    UINT8(2, Dtype.U8),
    INT8(3, Dtype.I8),
    UINT16(4, Dtype.U16),
    INT16(5, Dtype.I16),
    INT32(6, Dtype.I32),
    INT64(7, Dtype.I64),
    BOOL(9, Dtype.BOOL),
    FLOAT16(10, Dtype.F16),
    DOUBLE(11, Dtype.F64),
    UINT32(12, Dtype.U32),
    UINT64(13, Dtype.U64),
    BFLOAT16(16, Dtype.BF16);

    private final int code;
    private final Dtype dtype;

    OnnxDataType(int code, Dtype dtype) {
        this.code = code;
        this.dtype = dtype;
    }

    /** The number in {@code TensorProto.data_type}. */
    public int code() {
        return code;
    }

    /** The safetensors type with the same element bits. */
    public Dtype dtype() {
        return dtype;
    }

    public int byteSize() {
        return dtype.byteSize();
    }

    /** The type of a {@code data_type} code, or null when it is not one of these. */
    public static OnnxDataType ofCode(int code) {
        for (OnnxDataType t : values()) if (t.code == code) return t;
        return null;
    }

    /** ONNX's name of a code, for messages ("STRING", "COMPLEX64", or the number when unknown). */
    static String nameOf(int code) {
        OnnxDataType t = ofCode(code);
        if (t != null) return t.name();
        return switch (code) {
            case 0 -> "UNDEFINED";
            case 8 -> "STRING";
            case 14 -> "COMPLEX64";
            case 15 -> "COMPLEX128";
            case 17, 18, 19, 20 -> "FLOAT8 (code " + code + ")";
            case 21, 22 -> "INT4/UINT4 (code " + code + ")";
            default -> "code " + code;
        };
    }
}
