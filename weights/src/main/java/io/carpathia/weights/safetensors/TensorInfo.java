package io.carpathia.weights.safetensors;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header: its name, dtype, shape and the byte range {@code [begin, end)} of its
 * data, counted from the start of the data section (the byte after the header).
 */
public final class TensorInfo {
    private final String name;
    private final Dtype dtype;
    private final long[] shape;
    private final long begin;
    private final long end;

    public TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.begin = begin;
        this.end = end;
    }

    public String name() {
        return name;
    }

    public Dtype dtype() {
        return dtype;
    }

    /** The shape; {@code []} for a scalar. A copy: the caller may keep or change it. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** First byte of the data, relative to the data section. */
    public long begin() {
        return begin;
    }

    /** One past the last byte of the data, relative to the data section. */
    public long end() {
        return end;
    }

    public long byteSize() {
        return end - begin;
    }

    /** Number of elements: the product of the shape (1 for a scalar, 0 when a dimension is 0). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d; // validated not to overflow when the header was read
        return n;
    }

    /** The shape as the format writes it, e.g. {@code [2, 3]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ": " + dtype + " " + shapeString() + " bytes [" + begin + ", " + end + ")";
    }
}
