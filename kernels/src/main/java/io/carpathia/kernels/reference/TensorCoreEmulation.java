package io.carpathia.kernels.reference;

import static io.carpathia.kernels.KernelTiling.TensorCore.BM;
import static io.carpathia.kernels.KernelTiling.TensorCore.BN;
import static io.carpathia.kernels.KernelTiling.TensorCore.MMA_M;
import static io.carpathia.kernels.KernelTiling.TensorCore.MMA_N;
import static io.carpathia.kernels.KernelTiling.TensorCore.M_FRAGS;
import static io.carpathia.kernels.KernelTiling.TensorCore.N_FRAGS;
import static io.carpathia.kernels.KernelTiling.TensorCore.THREADS;
import static io.carpathia.kernels.KernelTiling.TensorCore.WARPS_N;
import static io.carpathia.kernels.KernelTiling.TensorCore.WM;
import static io.carpathia.kernels.KernelTiling.TensorCore.WN;

import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.KernelTiling;

/**
 * {@code gemm_tensorcore.cuh} run on the CPU: blocks, threads, slice loads (with the TF32 rounding on the way into
 * shared memory), the padded shared layout, each lane's fragment loads at the offsets the kernel computes, and the
 * epilogue, with every access checked as in {@link SgemmEmulation}. The {@code mma.sync} instruction itself is
 * modelled from the PTX ISA's fragment tables: the warp's fragments are gathered into the 16 × k and k × 8 tiles
 * (each element must come from exactly one lane), multiplied in float64 and rounded once, and scattered back. The
 * hardware's order of accumulation is unspecified, so results agree with the GPU to rounding, not bit for bit.
 */
public final class TensorCoreEmulation {
    private TensorCoreEmulation() {}

    private static final int WARP_SIZE = 32;
    private static final int ACCUMULATORS = M_FRAGS * N_FRAGS * 4;

    /**
     * Runs {@code shape.kernelName(precision, vectorised)}. For {@link GemmPrecision#BF16}, {@code a} and {@code b}
     * hold bfloat16 values (as floats, see {@link Rounding#roundToBf16(float[])}).
     */
    public static void run(GemmPrecision precision, Gemm shape, float alpha, float[] a, int offsetA, float[] b,
                           int offsetB, float beta, float[] c, int offsetC, boolean vectorised) {
        run(precision, shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC, vectorised, shape.gridZ());
    }

    public static void run(GemmPrecision precision, Gemm shape, float alpha, float[] a, int offsetA, float[] b,
                           int offsetB, float beta, float[] c, int offsetC, boolean vectorised, int gridZ) {
        if (precision == GemmPrecision.FP32) {
            throw new IllegalArgumentException("the tensor-core kernels are TF32 or BF16; FP32 is SgemmEmulation's");
        }
        if (shape.isEmpty()) return;
        int batches = shape.batchCount();
        GlobalMatrix matrixA = new GlobalMatrix("A", a, offsetA, shape.rowsA(), shape.colsA(), shape.lda(),
                shape.strideA(), batches, false);
        GlobalMatrix matrixB = new GlobalMatrix("B", b, offsetB, shape.rowsB(), shape.colsB(), shape.ldb(),
                shape.strideB(), batches, false);
        GlobalMatrix matrixC = new GlobalMatrix("C", c, offsetC, shape.m(), shape.n(), shape.ldc(), shape.strideC(),
                batches, true);
        Block block = new Block(precision, shape, alpha, beta, matrixA, matrixB, matrixC, vectorised);
        for (int z = 0; z < gridZ; z++) {
            for (int y = 0; y < shape.gridY(); y++) {
                for (int x = 0; x < shape.gridX(); x++) block.run(x, y, z, gridZ);
            }
        }
        matrixC.requireEachWrittenOnce();
    }

    private static final class Block {
        final boolean tf32;
        final KernelTiling.TensorCore.Shape p;
        final int stride;
        final Gemm shape;
        final float alpha;
        final float beta;
        final GlobalMatrix c;
        final boolean vectorised;
        final SliceLoader loadA;
        final SliceLoader loadB;
        final SharedMemory[] sharedA;
        final SharedMemory[] sharedB;
        final float[][] accumulators = new float[THREADS][ACCUMULATORS];
        // per lane of the warp being multiplied: A fragments [M_FRAGS][elements], B fragments [N_FRAGS][elements]
        final float[][][] fragA;
        final float[][][] fragB;

        Block(GemmPrecision precision, Gemm shape, float alpha, float beta, GlobalMatrix a, GlobalMatrix b,
              GlobalMatrix c, boolean vectorised) {
            this.tf32 = precision == GemmPrecision.TF32;
            this.p = tf32 ? KernelTiling.TensorCore.TF32 : KernelTiling.TensorCore.BF16;
            this.stride = p.bk() + p.pad();
            this.shape = shape;
            this.alpha = alpha;
            this.beta = beta;
            this.c = c;
            this.vectorised = vectorised;
            this.loadA = new SliceLoader(a, BM, !shape.transA(), vectorised, p, tf32);
            this.loadB = new SliceLoader(b, BN, shape.transB(), vectorised, p, tf32);
            this.sharedA = new SharedMemory[] {new SharedMemory("A0", BM * stride),
                    new SharedMemory("A1", BM * stride)};
            this.sharedB = new SharedMemory[] {new SharedMemory("B0", BN * stride),
                    new SharedMemory("B1", BN * stride)};
            // A fragment: 4 registers of 1 (tf32) or 2 (bf16) values; B fragment: 2 registers.
            int perRegister = tf32 ? 1 : 2;
            this.fragA = new float[WARP_SIZE][M_FRAGS][4 * perRegister];
            this.fragB = new float[WARP_SIZE][N_FRAGS][2 * perRegister];
        }

        void barrier() {
            for (SharedMemory s : sharedA) s.barrier();
            for (SharedMemory s : sharedB) s.barrier();
        }

        void run(int blockX, int blockY, int blockZ, int gridZ) {
            int m = shape.m();
            int n = shape.n();
            int k = shape.k();
            int m0 = blockY * BM;
            int n0 = blockX * BN;
            int bk = p.bk();
            int slices = (k + bk - 1) / bk;
            for (int batch = blockZ; batch < shape.batchCount(); batch += gridZ) {
                for (float[] acc : accumulators) java.util.Arrays.fill(acc, 0f);

                for (int tid = 0; tid < THREADS; tid++) {
                    loadA.load(batch, m, k, m0, 0, tid);
                    loadB.load(batch, n, k, n0, 0, tid);
                }
                for (int tid = 0; tid < THREADS; tid++) {
                    loadA.store(sharedA[0], tid, 0);
                    loadB.store(sharedB[0], tid, 0);
                }
                barrier();

                for (int s = 0; s < slices; s++) {
                    int current = s & 1;
                    boolean more = s + 1 < slices;
                    if (more) {
                        for (int tid = 0; tid < THREADS; tid++) {
                            loadA.load(batch, m, k, m0, (s + 1) * bk, tid);
                            loadB.load(batch, n, k, n0, (s + 1) * bk, tid);
                        }
                    }
                    for (int ks = 0; ks < bk; ks += p.mmaK()) {
                        for (int warp = 0; warp < THREADS / WARP_SIZE; warp++) {
                            multiplyWarp(sharedA[current], sharedB[current], s, ks, warp);
                        }
                    }
                    if (more) {
                        for (int tid = 0; tid < THREADS; tid++) {
                            loadA.store(sharedA[current ^ 1], tid, s + 1);
                            loadB.store(sharedB[current ^ 1], tid, s + 1);
                        }
                    }
                    barrier();
                }

                for (int tid = 0; tid < THREADS; tid++) epilogue(batch, m0, n0, tid);
            }
        }

        /** One k step of one warp: every lane loads its fragments, then the warp's 4 × 4 mma.sync. */
        void multiplyWarp(SharedMemory as, SharedMemory bs, int slice, int ks, int warp) {
            int warpRow = warp / WARPS_N;
            int warpCol = warp % WARPS_N;
            for (int lane = 0; lane < WARP_SIZE; lane++) {
                int tid = warp * WARP_SIZE + lane;
                int g = lane / 4;
                int t = lane % 4;
                for (int i = 0; i < M_FRAGS; i++) {
                    loadFragmentA(as, (warpRow * WM + i * MMA_M + g) * stride + ks, t, tid, slice, fragA[lane][i]);
                }
                for (int j = 0; j < N_FRAGS; j++) {
                    loadFragmentB(bs, (warpCol * WN + j * MMA_N + g) * stride + ks, t, tid, slice, fragB[lane][j]);
                }
            }
            for (int i = 0; i < M_FRAGS; i++) {
                for (int j = 0; j < N_FRAGS; j++) mma(warp, i, j);
            }
        }

        // Tf32::load_a / Bf16::load_a: registers (g, t), (g+8, t), (g, t+4), (g+8, t+4); bf16 registers hold the
        // pairs (2t, 2t+1) and (2t+8, 2t+9).
        void loadFragmentA(SharedMemory s, int p0, int t, int tid, int slice, float[] out) {
            if (tf32) {
                out[0] = s.read(p0 + t, tid, slice);
                out[1] = s.read(p0 + 8 * stride + t, tid, slice);
                out[2] = s.read(p0 + t + 4, tid, slice);
                out[3] = s.read(p0 + 8 * stride + t + 4, tid, slice);
            } else {
                pair(s, p0 + 2 * t, tid, slice, out, 0);
                pair(s, p0 + 8 * stride + 2 * t, tid, slice, out, 2);
                pair(s, p0 + 2 * t + 8, tid, slice, out, 4);
                pair(s, p0 + 8 * stride + 2 * t + 8, tid, slice, out, 6);
            }
        }

        void loadFragmentB(SharedMemory s, int p0, int t, int tid, int slice, float[] out) {
            if (tf32) {
                out[0] = s.read(p0 + t, tid, slice);
                out[1] = s.read(p0 + t + 4, tid, slice);
            } else {
                pair(s, p0 + 2 * t, tid, slice, out, 0);
                pair(s, p0 + 2 * t + 8, tid, slice, out, 2);
            }
        }

        /** One 32-bit load of two bfloat16 values: the lower address goes to the low half. */
        static void pair(SharedMemory s, int at, int tid, int slice, float[] out, int to) {
            if (at % 2 != 0) throw new EmulatedFault("32-bit load of a bfloat16 pair at odd shared slot " + at);
            out[to] = s.read(at, tid, slice);
            out[to + 1] = s.read(at + 1, tid, slice);
        }

        /**
         * mma.sync.m16n8k8 (.tf32) or m16n8k16 (.bf16) of fragments (i, j) across the warp, per the PTX ISA's
         * fragment layouts; D replaces the accumulators.
         */
        void mma(int warp, int i, int j) {
            int kDim = p.mmaK();
            float[][] tileA = new float[MMA_M][kDim];
            float[][] tileB = new float[kDim][MMA_N];
            float[][] tileC = new float[MMA_M][MMA_N];
            int[][] seenA = new int[MMA_M][kDim];
            int[][] seenB = new int[kDim][MMA_N];
            for (int lane = 0; lane < WARP_SIZE; lane++) {
                int g = lane / 4;
                int t = lane % 4;
                float[] fa = fragA[lane][i];
                float[] fb = fragB[lane][j];
                if (tf32) {
                    put(tileA, seenA, g, t, fa[0]);
                    put(tileA, seenA, g + 8, t, fa[1]);
                    put(tileA, seenA, g, t + 4, fa[2]);
                    put(tileA, seenA, g + 8, t + 4, fa[3]);
                    put(tileB, seenB, t, g, fb[0]);
                    put(tileB, seenB, t + 4, g, fb[1]);
                } else {
                    for (int h = 0; h < 2; h++) {
                        put(tileA, seenA, g, 2 * t + h, fa[h]);
                        put(tileA, seenA, g + 8, 2 * t + h, fa[2 + h]);
                        put(tileA, seenA, g, 2 * t + 8 + h, fa[4 + h]);
                        put(tileA, seenA, g + 8, 2 * t + 8 + h, fa[6 + h]);
                        put(tileB, seenB, 2 * t + h, g, fb[h]);
                        put(tileB, seenB, 2 * t + 8 + h, g, fb[2 + h]);
                    }
                }
                float[] acc = accumulators[warp * WARP_SIZE + lane];
                int at = (i * N_FRAGS + j) * 4;
                tileC[g][2 * t] = acc[at];
                tileC[g][2 * t + 1] = acc[at + 1];
                tileC[g + 8][2 * t] = acc[at + 2];
                tileC[g + 8][2 * t + 1] = acc[at + 3];
            }
            requireCovered(seenA, "A");
            requireCovered(seenB, "B");
            float[][] d = new float[MMA_M][MMA_N];
            for (int r = 0; r < MMA_M; r++) {
                for (int col = 0; col < MMA_N; col++) {
                    double sum = tileC[r][col];
                    for (int kk = 0; kk < kDim; kk++) sum += (double) tileA[r][kk] * tileB[kk][col];
                    d[r][col] = (float) sum;
                }
            }
            for (int lane = 0; lane < WARP_SIZE; lane++) {
                int g = lane / 4;
                int t = lane % 4;
                float[] acc = accumulators[warp * WARP_SIZE + lane];
                int at = (i * N_FRAGS + j) * 4;
                acc[at] = d[g][2 * t];
                acc[at + 1] = d[g][2 * t + 1];
                acc[at + 2] = d[g + 8][2 * t];
                acc[at + 3] = d[g + 8][2 * t + 1];
            }
        }

        static void put(float[][] tile, int[][] seen, int row, int col, float value) {
            tile[row][col] = value;
            seen[row][col]++;
        }

        static void requireCovered(int[][] seen, String operand) {
            for (int r = 0; r < seen.length; r++) {
                for (int col = 0; col < seen[r].length; col++) {
                    if (seen[r][col] != 1) {
                        throw new EmulatedFault("mma " + operand + " fragment element (" + r + ", " + col
                                + ") supplied by " + seen[r][col] + " lanes, not one");
                    }
                }
            }
        }

        void epilogue(int batch, int m0, int n0, int tid) {
            int warp = tid / WARP_SIZE;
            int lane = tid % WARP_SIZE;
            int warpRow = warp / WARPS_N;
            int warpCol = warp % WARPS_N;
            int g = lane / 4;
            int t = lane % 4;
            float[] acc = accumulators[tid];
            for (int i = 0; i < M_FRAGS; i++) {
                for (int half = 0; half < 2; half++) {
                    int row = m0 + warpRow * WM + i * MMA_M + g + 8 * half;
                    if (row >= shape.m()) continue;
                    for (int j = 0; j < N_FRAGS; j++) {
                        int col = n0 + warpCol * WN + j * MMA_N + 2 * t;
                        int r = (i * N_FRAGS + j) * 4 + 2 * half;
                        if (vectorised) {
                            if (col < shape.n()) {
                                c.requireVectorAligned(batch, row, col, 2);
                                for (int q = 0; q < 2; q++) write(batch, row, col + q, acc[r + q]);
                            }
                        } else {
                            if (col < shape.n()) write(batch, row, col, acc[r]);
                            if (col + 1 < shape.n()) write(batch, row, col + 1, acc[r + 1]);
                        }
                    }
                }
            }
        }

        void write(int batch, int row, int col, float accumulator) {
            float old = beta != 0 ? c.read(batch, row, col) : 0f;
            c.write(batch, row, col, GemmEpilogue.apply(accumulator, alpha, beta, old));
        }
    }

    /** One operand's k slice, stored [X][BK + PAD] (k contiguous) in shared memory. */
    private static final class SliceLoader {
        final GlobalMatrix operand;
        final int x;
        final boolean kContiguous;
        final boolean vectorised;
        final boolean tf32;
        final int bk;
        final int vec;
        final int stride;
        final int loads;
        final float[][] staged;

        SliceLoader(GlobalMatrix operand, int x, boolean kContiguous, boolean vectorised,
                    KernelTiling.TensorCore.Shape p, boolean tf32) {
            this.operand = operand;
            this.x = x;
            this.kContiguous = kContiguous;
            this.vectorised = vectorised;
            this.tf32 = tf32;
            this.bk = p.bk();
            this.vec = p.vec();
            this.stride = p.bk() + p.pad();
            this.loads = x * bk / vec / THREADS;
            this.staged = new float[THREADS][loads * vec];
        }

        /** The vector's row and first column in the memory block ({@code position} in the kernel). */
        int row(int v) {
            return kContiguous ? v / (bk / vec) : v % bk;
        }

        int column(int v) {
            return kContiguous ? (v % (bk / vec)) * vec : (v / bk) * vec;
        }

        void load(int batch, int xSize, int kSize, int x0, int k0, int tid) {
            for (int i = 0; i < loads; i++) {
                int v = tid + i * THREADS;
                int r = row(v);
                int c = column(v);
                if (kContiguous) {
                    VectorLoads.load(operand, batch, x0 + r, k0 + c, xSize, kSize, vec, vectorised, staged[tid],
                            i * vec);
                } else {
                    VectorLoads.load(operand, batch, k0 + r, x0 + c, kSize, xSize, vec, vectorised, staged[tid],
                            i * vec);
                }
            }
        }

        void store(SharedMemory shared, int tid, int slice) {
            for (int i = 0; i < loads; i++) {
                int v = tid + i * THREADS;
                int r = row(v);
                int c = column(v);
                if (kContiguous && (r * stride + c) % vec != 0) {
                    throw new EmulatedFault("16-byte shared store at slot " + (r * stride + c) + " is not aligned");
                }
                for (int j = 0; j < vec; j++) {
                    float value = staged[tid][i * vec + j];
                    float converted = tf32 ? Rounding.roundToTf32(value) : value;
                    int at = kContiguous ? r * stride + c + j : (c + j) * stride + r;
                    shared.write(at, converted, tid, slice);
                }
            }
        }
    }
}
