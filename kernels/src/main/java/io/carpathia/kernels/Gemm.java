package io.carpathia.kernels;

/**
 * The shape of a matrix product {@code C = alpha · op(A) · op(B) + beta · C}, checked once and shared by the GPU
 * launch, the CPU reference and the emulations. Row-major, as {@code io.carpathia.engine.cpu.Blas.gemm}: op(A) is
 * m × k (A is stored k × m when {@code transA}), op(B) is k × n (B is n × k when {@code transB}), C is m × n.
 * Leading dimensions count elements between row starts; a strided batch repeats the product {@code batchCount} times
 * with each matrix advanced by its stride (a stride of 0 reuses one matrix, e.g. a shared weight).
 *
 * <p>The three forms a linear layer needs are provided: NN ({@code y = x W}), NT ({@code dx = dy W^T}) and TN
 * ({@code dW = x^T dy}). TT is not.
 */
public record Gemm(boolean transA, boolean transB, int m, int n, int k, long lda, long ldb, long ldc, int batchCount,
                   long strideA, long strideB, long strideC) {

    public Gemm {
        if (transA && transB) {
            throw new IllegalArgumentException("gemm: the TT form (both operands transposed) is not provided; "
                    + "only NN, NT and TN are");
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: sizes must be non-negative, got m=" + m + ", n=" + n + ", k="
                    + k);
        }
        if (batchCount < 1) throw new IllegalArgumentException("gemm: batchCount must be >= 1, got " + batchCount);
        checkLeading("lda", lda, transA ? m : k, transA ? "A is [k, m]" : "A is [m, k]");
        checkLeading("ldb", ldb, transB ? k : n, transB ? "B is [n, k]" : "B is [k, n]");
        checkLeading("ldc", ldc, n, "C is [m, n]");
        if (strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("gemm: batch strides must be non-negative, got strideA=" + strideA
                    + ", strideB=" + strideB + ", strideC=" + strideC);
        }
        long extentC = m == 0 || n == 0 ? 0 : (m - 1L) * ldc + n;
        if (batchCount > 1 && strideC < extentC) {
            throw new IllegalArgumentException("gemm: strideC=" + strideC + " makes the " + batchCount
                    + " outputs overlap (each spans " + extentC + " elements)");
        }
        if ((long) ceilDiv(m, KernelTiling.Sgemm.BM) > 65535) {
            throw new IllegalArgumentException("gemm: m=" + m + " needs more than 65535 row tiles of 128");
        }
    }

    private static void checkLeading(String name, long value, int columns, String layout) {
        if (value < Math.max(1, columns)) {
            throw new IllegalArgumentException("gemm: " + name + "=" + value + " is less than the " + columns
                    + " columns of its matrix (" + layout + ", row-major)");
        }
    }

    /** A dense product: leading dimensions equal to the row lengths, one batch. */
    public static Gemm of(boolean transA, boolean transB, int m, int n, int k) {
        return new Gemm(transA, transB, m, n, k, Math.max(1, transA ? m : k), Math.max(1, transB ? k : n),
                Math.max(1, n), 1, 0, 0, 0);
    }

    /** The same product with other leading dimensions. */
    public Gemm withLeadingDimensions(long lda, long ldb, long ldc) {
        return new Gemm(transA, transB, m, n, k, lda, ldb, ldc, batchCount, strideA, strideB, strideC);
    }

    /** {@code batchCount} products of densely packed matrices (each stride one matrix). */
    public Gemm batched(int batchCount) {
        return new Gemm(transA, transB, m, n, k, lda, ldb, ldc, batchCount, (long) rowsA() * lda,
                (long) rowsB() * ldb, (long) m * ldc);
    }

    /** {@code batchCount} products with the given element strides. */
    public Gemm batched(int batchCount, long strideA, long strideB, long strideC) {
        return new Gemm(transA, transB, m, n, k, lda, ldb, ldc, batchCount, strideA, strideB, strideC);
    }

    /** Rows of A as stored. */
    public int rowsA() {
        return transA ? k : m;
    }

    /** Columns of A as stored: its contiguous dimension. */
    public int colsA() {
        return transA ? m : k;
    }

    public int rowsB() {
        return transB ? n : k;
    }

    public int colsB() {
        return transB ? k : n;
    }

    /** Elements from A's first to one past its last, over all batches (0 when A is empty). */
    public long extentA() {
        return extent(rowsA(), colsA(), lda, strideA);
    }

    public long extentB() {
        return extent(rowsB(), colsB(), ldb, strideB);
    }

    public long extentC() {
        return extent(m, n, ldc, strideC);
    }

    private long extent(int rows, int cols, long ld, long stride) {
        if (rows == 0 || cols == 0) return 0;
        return (batchCount - 1L) * stride + (rows - 1L) * ld + cols;
    }

    /** Multiply-adds over all batches, for GFLOP/s (2 flops each). */
    public double multiplyAdds() {
        return (double) m * n * k * batchCount;
    }

    /** Whether nothing needs launching: C is empty. */
    public boolean isEmpty() {
        return m == 0 || n == 0;
    }

    /**
     * Whether the kernels' 16-byte vector loads and stores apply: A and B must start on 16-byte boundaries (byte
     * addresses given) and have contiguous dimensions, leading dimensions and batch strides that are multiples of the
     * vector (4 float32 or 8 bfloat16 elements), and C the same with 4 float32 elements. Then every vector lies wholly
     * inside or wholly outside its matrix, which is what lets the kernels test only its first element.
     */
    public boolean vectorisable(GemmPrecision precision, long addressA, long addressB, long addressC) {
        int vec = precision.vectorElements();
        return addressA % 16 == 0 && colsA() % vec == 0 && lda % vec == 0 && strideA % vec == 0
                && addressB % 16 == 0 && colsB() % vec == 0 && ldb % vec == 0 && strideB % vec == 0
                && addressC % 16 == 0 && n % 4 == 0 && ldc % 4 == 0 && strideC % 4 == 0;
    }

    /**
     * Whether Hopper's warpgroup kernels (gemm_wgmma.cuh) can run this product: the NT form (A [m, k], B [n, k],
     * both k-contiguous) in TF32 or BF16, A and B starting on 16-byte boundaries, and k, lda, ldb and the batch
     * strides of A and B multiples of 16 bytes' worth of elements, so that every 16-byte copy lies wholly inside or
     * wholly outside its row. m, n and C's layout are free.
     */
    public boolean wgmmaEligible(GemmPrecision precision, long addressA, long addressB) {
        int vec = precision.vectorElements();
        return precision.hasWgmma() && !transA && transB && k % vec == 0 && lda % vec == 0 && ldb % vec == 0
                && strideA % vec == 0 && strideB % vec == 0 && addressA % 16 == 0 && addressB % 16 == 0;
    }

    /**
     * The warpgroup kernel for tile width {@code tileN} (128 or 256), e.g. {@code carpathia_wgmma_bf16_nt_256_c2};
     * "_c2" when C can be written two columns at a time (n, ldc and strideC even, C 8-byte aligned).
     */
    public String wgmmaKernelName(GemmPrecision precision, int tileN, long addressC) {
        if (!precision.hasWgmma()) throw new IllegalArgumentException("no warpgroup kernel for " + precision);
        boolean pairs = n % 2 == 0 && ldc % 2 == 0 && strideC % 2 == 0 && addressC % 8 == 0;
        return precision.wgmmaPrefix() + "nt_" + tileN + (pairs ? "_c2" : "");
    }

    /** The kernel's name, e.g. {@code carpathia_sgemm_nt_vec}. */
    public String kernelName(GemmPrecision precision, boolean vectorised) {
        return precision.kernelPrefix() + (transA ? "t" : "n") + (transB ? "t" : "n") + (vectorised ? "_vec" : "");
    }

    /** Grid x: tiles of 128 columns of C. */
    public int gridX() {
        return ceilDiv(n, KernelTiling.Sgemm.BN);
    }

    /** Grid y: tiles of 128 rows of C. */
    public int gridY() {
        return ceilDiv(m, KernelTiling.Sgemm.BM);
    }

    /** Grid z: one block layer per batch, capped by CUDA's limit (the kernels loop over the rest). */
    public int gridZ() {
        return Math.min(batchCount, 65535);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return String.format("%s%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d%s", transA ? "T" : "N", transB ? "T" : "N", m, n,
                k, lda, ldb, ldc, batchCount > 1 ? " batch=" + batchCount + " strides=" + strideA + "/" + strideB + "/"
                        + strideC : "");
    }
}
