package io.carpathia.weights.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A tensor of an ONNX model (an initializer, or the value of a Constant node): its name, element type, dims and
 * data. The data is kept as little-endian bytes — a window onto the file for {@code raw_data}, or the typed fields
 * ({@code float_data}, {@code int64_data}, ...) re-encoded — and checked on reading to hold exactly dims' product
 * elements.
 */
public final class OnnxTensor {
    private final String name;
    private final OnnxDataType type;
    private final long[] shape;
    private final ByteBuffer data;

    OnnxTensor(String name, OnnxDataType type, long[] shape, ByteBuffer data) {
        this.name = name;
        this.type = type;
        this.shape = shape.clone();
        this.data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The tensor's name; empty for the value of a Constant node, which is named by the node's output. */
    public String name() {
        return name;
    }

    public OnnxDataType dataType() {
        return type;
    }

    /** The dims ([] for a scalar). */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The product of the dims (1 for a scalar). */
    public long elementCount() {
        return data.remaining() / type.byteSize();
    }

    /** The elements as little-endian bytes, read-only, positioned at the first byte. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The elements of a FLOAT tensor, in row-major order. */
    public float[] toFloats() {
        require(OnnxDataType.FLOAT);
        float[] out = new float[Math.toIntExact(elementCount())];
        data().asFloatBuffer().get(out);
        return out;
    }

    /** The elements of a tensor of any integer or boolean type, widened to long (UINT64 above 2⁶³ is refused). */
    public long[] toLongs() {
        long n = elementCount();
        long[] out = new long[Math.toIntExact(n)];
        ByteBuffer b = data();
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (type) {
                case INT64 -> b.getLong();
                case UINT64 -> {
                    long v = b.getLong();
                    if (v < 0) throw new ArithmeticException("tensor '" + name + "': UINT64 value "
                            + Long.toUnsignedString(v) + " does not fit in a long");
                    yield v;
                }
                case INT32 -> b.getInt();
                case UINT32 -> b.getInt() & 0xFFFFFFFFL;
                case INT16 -> b.getShort();
                case UINT16 -> b.getShort() & 0xFFFF;
                case INT8 -> b.get();
                case UINT8, BOOL -> b.get() & 0xFF;
                default -> throw new IllegalStateException("tensor '" + name + "' holds " + type
                        + ", not integers");
            };
        }
        return out;
    }

    /** The elements of any numeric tensor as doubles (exact for every type but the largest 64-bit integers). */
    public double[] toDoubles() {
        return switch (type) {
            case FLOAT -> {
                float[] f = toFloats();
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                yield d;
            }
            case DOUBLE -> {
                double[] d = new double[Math.toIntExact(elementCount())];
                data().asDoubleBuffer().get(d);
                yield d;
            }
            case FLOAT16, BFLOAT16 -> {
                double[] d = new double[Math.toIntExact(elementCount())];
                ByteBuffer b = data();
                for (int i = 0; i < d.length; i++) {
                    short bits = b.getShort();
                    d[i] = type == OnnxDataType.BFLOAT16 ? Float.intBitsToFloat((bits & 0xFFFF) << 16)
                            : halfToFloat(bits);
                }
                yield d;
            }
            default -> {
                long[] l = toLongs();
                double[] d = new double[l.length];
                for (int i = 0; i < l.length; i++) d[i] = l[i];
                yield d;
            }
        };
    }

    /**
     * A new dense row-major array: FLOAT and DOUBLE keep their type, integer and boolean types become LONG, FLOAT16 and
     * BFLOAT16 widen to FLOAT.
     */
    public INDArray toArray() {
        return switch (type) {
            case FLOAT -> Nd4j.create(toFloats(), shape, DataType.FLOAT);
            case DOUBLE -> Nd4j.create(toDoubles(), shape, DataType.DOUBLE);
            case FLOAT16, BFLOAT16 -> {
                double[] d = toDoubles();
                float[] f = new float[d.length];
                for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
                yield Nd4j.create(f, shape, DataType.FLOAT);
            }
            default -> Nd4j.createFromArray(toLongs()).reshape('c', shape);
        };
    }

    /** A 2-D FLOAT tensor [r, c] transposed into a new dense [c, r] FLOAT array. */
    public INDArray toTransposedArray() {
        require(OnnxDataType.FLOAT);
        if (shape.length != 2) {
            throw new IllegalStateException("tensor '" + name + "' has dims " + Arrays.toString(shape)
                    + "; only a matrix can be transposed");
        }
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        float[] src = toFloats();
        float[] dst = new float[src.length];
        // dst[j, i] = src[i, j]: blocks of 64 x 64 keep both sides in cache
        for (int i0 = 0; i0 < rows; i0 += 64) {
            for (int j0 = 0; j0 < cols; j0 += 64) {
                for (int i = i0; i < Math.min(rows, i0 + 64); i++) {
                    for (int j = j0; j < Math.min(cols, j0 + 64); j++) dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
        return Nd4j.create(dst, new long[] {cols, rows}, DataType.FLOAT);
    }

    private void require(OnnxDataType expected) {
        if (type != expected) {
            throw new IllegalStateException("tensor '" + name + "' holds " + type + ", not " + expected);
        }
    }

    /** IEEE 754 half precision bits to float. */
    private static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero): mant · 2⁻²⁴
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + name + ", " + type + " " + Arrays.toString(shape) + "]";
    }
}
