package io.carpathia.kernels.reference;

/**
 * A row-major matrix (or a strided batch of them) in emulated global memory, which knows its true extent: any access
 * the emulated kernel makes outside {@code rows × cols} of a batch is an {@link EmulatedFault}, whatever bounds the
 * kernel itself believed. As an output it counts the writes to every element.
 */
final class GlobalMatrix {
    private final String name;
    private final float[] data;
    private final long offset;
    private final int rows;
    private final int cols;
    private final long ld;
    private final long stride;
    private final int batches;
    private final int[] writes;

    GlobalMatrix(String name, float[] data, long offset, int rows, int cols, long ld, long stride, int batches,
                 boolean output) {
        this.name = name;
        this.data = data;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
        this.ld = ld;
        this.stride = stride;
        this.batches = batches;
        this.writes = output ? new int[batches * rows * cols] : null;
    }

    private long index(int batch, int row, int col, String access) {
        if (batch < 0 || batch >= batches || row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new EmulatedFault(access + " of " + name + " outside its " + rows + " x " + cols + " (batch "
                    + batch + " of " + batches + "): row " + row + ", column " + col);
        }
        return offset + batch * stride + row * ld + col;
    }

    float read(int batch, int row, int col) {
        return data[(int) index(batch, row, col, "read")];
    }

    void write(int batch, int row, int col, float value) {
        data[(int) index(batch, row, col, "write")] = value;
        writes[(batch * rows + row) * cols + col]++;
    }

    /** A 16-byte vector access must start on a 16-byte boundary: the element index a multiple of {@code vec}. */
    void requireVectorAligned(int batch, int row, int col, int vec) {
        long at = index(batch, row, col, "vector read");
        if (at % vec != 0) {
            throw new EmulatedFault("vector access of " + name + " at element " + at + " (row " + row + ", column "
                    + col + ") is not 16-byte aligned");
        }
    }

    /** Every element of every batch was written exactly once. */
    void requireEachWrittenOnce() {
        for (int i = 0; i < writes.length; i++) {
            if (writes[i] != 1) {
                int col = i % cols;
                int row = i / cols % rows;
                int batch = i / cols / rows;
                throw new EmulatedFault(name + " element (batch " + batch + ", row " + row + ", column " + col
                        + ") was written " + writes[i] + " times, not once");
            }
        }
    }
}
