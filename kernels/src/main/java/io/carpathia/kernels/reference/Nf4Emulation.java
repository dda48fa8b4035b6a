package io.carpathia.kernels.reference;

import static io.carpathia.kernels.KernelTiling.Nf4.ELEMENTS_PER_VECTOR;
import static io.carpathia.kernels.KernelTiling.Nf4.GEMV_WARPS;
import static io.carpathia.kernels.KernelTiling.Nf4.THREADS;

import io.carpathia.kernels.Nf4Layout;

/**
 * {@code nf4.cuh} run on the CPU, thread by thread: the grid-stride loops of dequantization (16-byte vectors of 32
 * codes, then the tail one element at a time) and the warp-per-row matrix-vector product with its butterfly
 * reduction. Every byte, scale and x read is checked against the tensor's true extent, every 16-byte access for
 * alignment, every vector for lying inside one absmax block, and every output element for being written exactly once.
 * The arithmetic is the kernels' (separately rounded products, {@link Math#fma} in the same order), so results equal
 * the GPU's bit for bit.
 */
public final class Nf4Emulation {
    private Nf4Emulation() {}

    private static final int WARP_SIZE = 32;

    /**
     * {@code carpathia_nf4_dequantize_f32} on {@code blocks} blocks of 256 threads; returns the float32 output. The
     * packed codes and the output are taken to start on 16-byte boundaries.
     */
    public static float[] dequantizeF32(Nf4Data data, boolean vectorised, int blocks) {
        float[] out = new float[(int) data.layout().elements()];
        dequantize(data, vectorised, blocks, (e, value) -> out[(int) e] = value);
        return out;
    }

    /** {@code carpathia_nf4_dequantize_bf16}: bfloat16 bits rounded to nearest even. */
    public static short[] dequantizeBf16(Nf4Data data, boolean vectorised, int blocks) {
        short[] out = new short[(int) data.layout().elements()];
        dequantize(data, vectorised, blocks, (e, value) -> out[(int) e] = Rounding.floatToBf16(value));
        return out;
    }

    private interface Output {
        void put(long element, float value);
    }

    private static void dequantize(Nf4Data data, boolean vectorised, int blocks, Output sink) {
        Nf4Layout layout = data.layout();
        long n = layout.elements();
        Memory memory = new Memory(data);
        int[] writes = new int[(int) n];
        long stride = (long) blocks * THREADS;
        long vectors = vectorised ? n / ELEMENTS_PER_VECTOR : 0;
        for (int block = 0; block < blocks; block++) {
            for (int thread = 0; thread < THREADS; thread++) {
                long first = (long) block * THREADS + thread;
                for (long v = first; v < vectors; v += stride) {
                    int[] bytes = memory.vector(v * 16);
                    long e0 = v * ELEMENTS_PER_VECTOR;
                    float scale = memory.scaleOfVector(e0);
                    for (int e = 0; e < ELEMENTS_PER_VECTOR; e++) {
                        write(writes, e0 + e, n);
                        sink.put(e0 + e, Nf4Reference.level(codeInVector(bytes, e)) * scale);
                    }
                }
                for (long e = vectors * ELEMENTS_PER_VECTOR + first; e < n; e += stride) {
                    write(writes, e, n);
                    sink.put(e, Nf4Reference.level(memory.code(e)) * memory.scale(e));
                }
            }
        }
        for (int e = 0; e < n; e++) {
            if (writes[e] != 1) throw new EmulatedFault("output element " + e + " written " + writes[e] + " times");
        }
    }

    private static void write(int[] writes, long element, long n) {
        if (element < 0 || element >= n) {
            throw new EmulatedFault("write of output element " + element + " outside the " + n + " elements");
        }
        writes[(int) element]++;
    }

    /** Byte j of word w of the vector holds elements 8w + 2j (high nibble) and 8w + 2j + 1 (low nibble). */
    static int codeInVector(int[] bytes, int e) {
        int b = bytes[4 * (e / 8) + (e % 8) / 2];
        return (e & 1) != 0 ? b & 0x0f : b >>> 4;
    }

    /**
     * {@code carpathia_nf4_gemv}: y = W x for W [rows, cols], one warp per row, 4 rows per block. The packed codes and
     * x are taken to start on 16-byte boundaries.
     */
    public static float[] gemv(Nf4Data data, int rows, int cols, float[] x, boolean vectorised) {
        if ((long) rows * cols != data.layout().elements() || x.length != cols) {
            throw new IllegalArgumentException("nf4 gemv: W " + rows + " x " + cols + " with "
                    + data.layout().elements() + " elements, x of " + x.length);
        }
        Memory memory = new Memory(data);
        float[] y = new float[rows];
        int[] writes = new int[rows];
        int blocks = (rows + GEMV_WARPS - 1) / GEMV_WARPS;
        float[] sums = new float[WARP_SIZE];
        for (int block = 0; block < blocks; block++) {
            for (int warp = 0; warp < GEMV_WARPS; warp++) {
                int row = block * GEMV_WARPS + warp;
                if (row >= rows) continue;
                long rowStart = (long) row * cols;
                for (int lane = 0; lane < WARP_SIZE; lane++) {
                    float sum = 0f;
                    if (vectorised) {
                        int vectors = cols / ELEMENTS_PER_VECTOR;
                        for (int v = lane; v < vectors; v += WARP_SIZE) {
                            if ((rowStart / 2) % 16 != 0) {
                                throw new EmulatedFault("row " + row + " of packed codes is not 16-byte aligned");
                            }
                            int[] bytes = memory.vector(rowStart / 2 + v * 16L);
                            float scale = memory.scaleOfVector(rowStart + (long) v * ELEMENTS_PER_VECTOR);
                            for (int e = 0; e < ELEMENTS_PER_VECTOR; e++) {
                                float w = Nf4Reference.level(codeInVector(bytes, e)) * scale;
                                sum = Math.fma(w, readX(x, v * ELEMENTS_PER_VECTOR + e), sum);
                            }
                        }
                    } else {
                        for (int col = lane; col < cols; col += WARP_SIZE) {
                            long e = rowStart + col;
                            float w = Nf4Reference.level(memory.code(e)) * memory.scale(e);
                            sum = Math.fma(w, readX(x, col), sum);
                        }
                    }
                    sums[lane] = sum;
                }
                // __shfl_xor_sync butterfly: after each step every lane holds its sum plus its partner's.
                for (int offset = WARP_SIZE / 2; offset > 0; offset /= 2) {
                    float[] next = new float[WARP_SIZE];
                    for (int lane = 0; lane < WARP_SIZE; lane++) next[lane] = sums[lane] + sums[lane ^ offset];
                    System.arraycopy(next, 0, sums, 0, WARP_SIZE);
                }
                y[row] = sums[0];
                writes[row]++;
            }
        }
        for (int r = 0; r < rows; r++) {
            if (writes[r] != 1) throw new EmulatedFault("y[" + r + "] written " + writes[r] + " times");
        }
        return y;
    }

    private static float readX(float[] x, int index) {
        if (index < 0 || index >= x.length) {
            throw new EmulatedFault("read of x[" + index + "] outside its " + x.length + " elements");
        }
        return x[index];
    }

    /** The tensor's global memory, every read checked. */
    private static final class Memory {
        final Nf4Data data;
        final Nf4Layout layout;

        Memory(Nf4Data data) {
            this.data = data;
            this.layout = data.layout();
        }

        int packedByte(long index) {
            if (index < 0 || index >= layout.packedBytes()) {
                throw new EmulatedFault("read of packed byte " + index + " outside the " + layout.packedBytes());
            }
            return data.packed()[(int) index] & 0xff;
        }

        int[] vector(long firstByte) {
            if (firstByte % 16 != 0) throw new EmulatedFault("16-byte read of packed codes at byte " + firstByte);
            int[] bytes = new int[16];
            for (int j = 0; j < 16; j++) bytes[j] = packedByte(firstByte + j);
            return bytes;
        }

        int code(long element) {
            int b = packedByte(element >> 1);
            return (element & 1) != 0 ? b & 0x0f : b >>> 4;
        }

        /** Scales.of_element. */
        float scale(long element) {
            long block = element >> layout.log2Blocksize();
            if (block >= layout.blocks()) {
                throw new EmulatedFault("read of absmax " + block + " outside the " + layout.blocks() + " blocks");
            }
            if (!layout.isDoubleQuantized()) return data.absmax()[(int) block];
            int code = data.absmaxCodes()[(int) block] & 0xff;
            float scaled = data.codebook()[code] * data.absmaxScales()[(int) (block >> layout.log2NestedBlocksize())];
            return scaled + data.absmaxOffset();
        }

        /** The one scale of a vector of 32 elements, which must lie in one block. */
        float scaleOfVector(long e0) {
            long last = Math.min(e0 + ELEMENTS_PER_VECTOR, layout.elements()) - 1;
            if (e0 >> layout.log2Blocksize() != last >> layout.log2Blocksize()) {
                throw new EmulatedFault("the vector of elements " + e0 + ".." + last + " spans two absmax blocks of "
                        + layout.blocksize());
            }
            return scale(e0);
        }
    }
}
