package io.carpathia.kernels;

/**
 * The sizes of an NF4-quantized tensor in the bitsandbytes layout (see {@code src/main/cuda/nf4.cuh}): {@code elements}
 * values of the flattened row-major tensor, packed two per byte (element 2i in the high nibble), one absmax per
 * {@code blocksize} elements, and, when double-quantized, one absmax scale per {@code nestedBlocksize} absmax values.
 *
 * @param nestedBlocksize 0 for plain float32 absmax; else the group size of the double quantization (256)
 */
public record Nf4Layout(long elements, int blocksize, int nestedBlocksize) {
    /** QLoRA's block size. */
    public static final int DEFAULT_BLOCKSIZE = 64;
    /** bitsandbytes' group size for double quantization. */
    public static final int DEFAULT_NESTED_BLOCKSIZE = 256;

    public Nf4Layout {
        if (elements < 0) throw new IllegalArgumentException("nf4: elements must be non-negative, got " + elements);
        if (blocksize < 2 || Integer.bitCount(blocksize) != 1) {
            throw new IllegalArgumentException("nf4: blocksize must be a power of two >= 2, got " + blocksize);
        }
        if (nestedBlocksize != 0 && Integer.bitCount(nestedBlocksize) != 1) {
            throw new IllegalArgumentException("nf4: nestedBlocksize must be 0 (no double quantization) or a power of"
                    + " two, got " + nestedBlocksize);
        }
    }

    /** Plain float32 absmax per block of 64. */
    public static Nf4Layout of(long elements) {
        return new Nf4Layout(elements, DEFAULT_BLOCKSIZE, 0);
    }

    /** Double-quantized absmax: blocks of 64, groups of 256. */
    public static Nf4Layout doubleQuantized(long elements) {
        return new Nf4Layout(elements, DEFAULT_BLOCKSIZE, DEFAULT_NESTED_BLOCKSIZE);
    }

    public boolean isDoubleQuantized() {
        return nestedBlocksize != 0;
    }

    /** Bytes of packed codes: two elements per byte, the last byte half used when {@code elements} is odd. */
    public long packedBytes() {
        return (elements + 1) / 2;
    }

    /** Number of absmax values (float32, or uint8 codes when double-quantized). */
    public long blocks() {
        return (elements + blocksize - 1) / blocksize;
    }

    /** Number of float32 absmax scales of the double quantization (0 when plain). */
    public long nestedGroups() {
        return isDoubleQuantized() ? (blocks() + nestedBlocksize - 1) / nestedBlocksize : 0;
    }

    /**
     * Blocks of {@link KernelTiling.Nf4#THREADS} threads for dequantizing: one vector (or element) per thread, capped
     * at 16 blocks per multiprocessor, beyond which the kernel's grid-stride loop takes over.
     */
    public int dequantizeBlocks(boolean vectorised, int multiprocessors) {
        int perVector = KernelTiling.Nf4.ELEMENTS_PER_VECTOR;
        long threads = vectorised ? Math.max(elements / perVector, elements % perVector) : elements;
        long blocks = (threads + KernelTiling.Nf4.THREADS - 1) / KernelTiling.Nf4.THREADS;
        return (int) Math.max(1, Math.min(blocks, 16L * Math.max(1, multiprocessors)));
    }

    /** Whether dequantization may use 16-byte vectors: blocks of at least 32 and 16-byte aligned addresses. */
    public boolean dequantizeVectorisable(long packedAddress, long outputAddress) {
        return blocksize >= KernelTiling.Nf4.ELEMENTS_PER_VECTOR && packedAddress % 16 == 0 && outputAddress % 16 == 0;
    }

    /** Whether the matrix-vector product over rows of {@code cols} may use 16-byte vectors. */
    public boolean gemvVectorisable(int cols, long packedAddress, long xAddress) {
        return cols % KernelTiling.Nf4.ELEMENTS_PER_VECTOR == 0 && blocksize >= KernelTiling.Nf4.ELEMENTS_PER_VECTOR
                && packedAddress % 16 == 0 && xAddress % 16 == 0;
    }

    public int log2Blocksize() {
        return Integer.numberOfTrailingZeros(blocksize);
    }

    public int log2NestedBlocksize() {
        return isDoubleQuantized() ? Integer.numberOfTrailingZeros(nestedBlocksize) : 0;
    }
}
