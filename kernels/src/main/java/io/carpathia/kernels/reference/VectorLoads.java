package io.carpathia.kernels.reference;

/** common.cuh's {@code load_vec16}, emulated over a {@link GlobalMatrix}. */
final class VectorLoads {
    private VectorLoads() {}

    /**
     * Elements (row, col .. col + vec - 1) into {@code out} at {@code at}, zeros outside {@code rows × cols} (the
     * bounds the kernel passes). Vectorised, only the first element is tested, as on the GPU: the matrix then must
     * make all {@code vec} inside or all outside, and the access must be aligned, or the {@link GlobalMatrix} faults.
     */
    static void load(GlobalMatrix matrix, int batch, int row, int col, int rows, int cols, int vec, boolean vectorised,
                     float[] out, int at) {
        if (vectorised) {
            if (row < rows && col < cols) {
                matrix.requireVectorAligned(batch, row, col, vec);
                for (int j = 0; j < vec; j++) out[at + j] = matrix.read(batch, row, col + j);
            } else {
                for (int j = 0; j < vec; j++) out[at + j] = 0f;
            }
            return;
        }
        for (int j = 0; j < vec; j++) {
            out[at + j] = row < rows && col + j < cols ? matrix.read(batch, row, col + j) : 0f;
        }
    }
}
