package io.carpathia.kernels.reference;

import static io.carpathia.kernels.KernelTiling.Sgemm.BK;
import static io.carpathia.kernels.KernelTiling.Sgemm.BM;
import static io.carpathia.kernels.KernelTiling.Sgemm.BN;
import static io.carpathia.kernels.KernelTiling.Sgemm.LANES_N;
import static io.carpathia.kernels.KernelTiling.Sgemm.THREADS;
import static io.carpathia.kernels.KernelTiling.Sgemm.TM;
import static io.carpathia.kernels.KernelTiling.Sgemm.TN;
import static io.carpathia.kernels.KernelTiling.Sgemm.WARPS_N;
import static io.carpathia.kernels.KernelTiling.Sgemm.WM;
import static io.carpathia.kernels.KernelTiling.Sgemm.WMITER;
import static io.carpathia.kernels.KernelTiling.Sgemm.WN;
import static io.carpathia.kernels.KernelTiling.Sgemm.WNITER;
import static io.carpathia.kernels.KernelTiling.Sgemm.WSUB_M;
import static io.carpathia.kernels.KernelTiling.Sgemm.WSUB_N;

import io.carpathia.kernels.Gemm;

/**
 * {@code sgemm.cuh} run on the CPU: every block of the grid, every thread of a block, the same slice loads, shared
 * memory layout, fragment reads, fused multiply-adds (in the same order, with {@link Math#fma}) and epilogue, line for
 * line. The result equals the GPU's bit for bit; the point, though, is the index arithmetic, which runs here on
 * shapes of any size with every access checked: global reads and writes against the matrices' true extents, each
 * element of C written once, shared memory free of races and holding the slice being multiplied.
 */
public final class SgemmEmulation {
    private SgemmEmulation() {}

    private static final int WARP_SIZE = 32;
    private static final int ACCUMULATORS = WMITER * TM * WNITER * TN;

    /** Runs the kernel {@code shape.kernelName(FP32, vectorised)} on a grid with {@code shape.gridZ()} layers. */
    public static void run(Gemm shape, float alpha, float[] a, int offsetA, float[] b, int offsetB, float beta,
                           float[] c, int offsetC, boolean vectorised) {
        run(shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC, vectorised, shape.gridZ());
    }

    /** As {@link #run}, with {@code gridZ} block layers looping over the batches (CUDA caps z at 65535). */
    public static void run(Gemm shape, float alpha, float[] a, int offsetA, float[] b, int offsetB, float beta,
                           float[] c, int offsetC, boolean vectorised, int gridZ) {
        if (shape.isEmpty()) return;
        int batches = shape.batchCount();
        GlobalMatrix matrixA = new GlobalMatrix("A", a, offsetA, shape.rowsA(), shape.colsA(), shape.lda(),
                shape.strideA(), batches, false);
        GlobalMatrix matrixB = new GlobalMatrix("B", b, offsetB, shape.rowsB(), shape.colsB(), shape.ldb(),
                shape.strideB(), batches, false);
        GlobalMatrix matrixC = new GlobalMatrix("C", c, offsetC, shape.m(), shape.n(), shape.ldc(), shape.strideC(),
                batches, true);
        Block block = new Block(shape, alpha, beta, matrixA, matrixB, matrixC, vectorised);
        for (int z = 0; z < gridZ; z++) {
            for (int y = 0; y < shape.gridY(); y++) {
                for (int x = 0; x < shape.gridX(); x++) block.run(x, y, z, gridZ);
            }
        }
        matrixC.requireEachWrittenOnce();
    }

    /** One thread block: its shared memory and the registers of its 256 threads. */
    private static final class Block {
        final Gemm shape;
        final float alpha;
        final float beta;
        final GlobalMatrix a;
        final GlobalMatrix b;
        final GlobalMatrix c;
        final boolean vectorised;
        final SliceLoader loadA;
        final SliceLoader loadB;
        final SharedMemory[] sharedA = {new SharedMemory("A0", BK * BM), new SharedMemory("A1", BK * BM)};
        final SharedMemory[] sharedB = {new SharedMemory("B0", BK * BN), new SharedMemory("B1", BK * BN)};
        final float[][] accumulators = new float[THREADS][ACCUMULATORS];

        Block(Gemm shape, float alpha, float beta, GlobalMatrix a, GlobalMatrix b, GlobalMatrix c, boolean vectorised) {
            this.shape = shape;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.vectorised = vectorised;
            // A's tile rows are C's rows (m); B's tile rows are C's columns (n).
            this.loadA = new SliceLoader(a, BM, !shape.transA(), vectorised);
            this.loadB = new SliceLoader(b, BN, shape.transB(), vectorised);
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
            int slices = (k + BK - 1) / BK;
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
                            loadA.load(batch, m, k, m0, (s + 1) * BK, tid);
                            loadB.load(batch, n, k, n0, (s + 1) * BK, tid);
                        }
                    }
                    for (int tid = 0; tid < THREADS; tid++) multiply(sharedA[current], sharedB[current], s, tid);
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

        void multiply(SharedMemory as, SharedMemory bs, int slice, int tid) {
            int warp = tid / WARP_SIZE;
            int lane = tid % WARP_SIZE;
            int warpRow = warp / WARPS_N;
            int warpCol = warp % WARPS_N;
            int laneRow = lane / LANES_N;
            int laneCol = lane % LANES_N;
            float[] acc = accumulators[tid];
            float[] fragA = new float[WMITER * TM];
            float[] fragB = new float[WNITER * TN];
            for (int kk = 0; kk < BK; kk++) {
                for (int wm = 0; wm < WMITER; wm++) {
                    int at = kk * BM + warpRow * WM + wm * WSUB_M + laneRow * TM;
                    requireFloat4Aligned(at, "A fragment");
                    for (int q = 0; q < 4; q++) fragA[wm * TM + q] = as.read(at + q, tid, slice);
                }
                for (int wn = 0; wn < WNITER; wn++) {
                    int at = kk * BN + warpCol * WN + wn * WSUB_N + laneCol * TN;
                    requireFloat4Aligned(at, "B fragment");
                    for (int q = 0; q < 4; q++) fragB[wn * TN + q] = bs.read(at + q, tid, slice);
                }
                for (int i = 0; i < WMITER * TM; i++) {
                    for (int j = 0; j < WNITER * TN; j++) {
                        acc[i * WNITER * TN + j] = Math.fma(fragA[i], fragB[j], acc[i * WNITER * TN + j]);
                    }
                }
            }
        }

        void epilogue(int batch, int m0, int n0, int tid) {
            int warp = tid / WARP_SIZE;
            int lane = tid % WARP_SIZE;
            int warpRow = warp / WARPS_N;
            int warpCol = warp % WARPS_N;
            int laneRow = lane / LANES_N;
            int laneCol = lane % LANES_N;
            float[] acc = accumulators[tid];
            for (int wm = 0; wm < WMITER; wm++) {
                for (int tm = 0; tm < TM; tm++) {
                    int row = m0 + warpRow * WM + wm * WSUB_M + laneRow * TM + tm;
                    if (row >= shape.m()) continue;
                    for (int wn = 0; wn < WNITER; wn++) {
                        int col = n0 + warpCol * WN + wn * WSUB_N + laneCol * TN;
                        int r = (wm * TM + tm) * WNITER * TN + wn * TN;
                        if (vectorised) {
                            if (col < shape.n()) {
                                c.requireVectorAligned(batch, row, col, 4);
                                for (int q = 0; q < 4; q++) {
                                    float old = beta != 0 ? c.read(batch, row, col + q) : 0f;
                                    c.write(batch, row, col + q, GemmEpilogue.apply(acc[r + q], alpha, beta, old));
                                }
                            }
                        } else {
                            for (int tn = 0; tn < TN; tn++) {
                                if (col + tn < shape.n()) {
                                    float old = beta != 0 ? c.read(batch, row, col + tn) : 0f;
                                    c.write(batch, row, col + tn, GemmEpilogue.apply(acc[r + tn], alpha, beta, old));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** One operand's k slice, staged per thread in "registers" and stored k-major ([BK][X]) in shared memory. */
    private static final class SliceLoader {
        final GlobalMatrix operand;
        final int x;
        final boolean kContiguous;
        final boolean vectorised;
        final int loads;
        final int vecsPerRow;
        final float[][] staged;

        SliceLoader(GlobalMatrix operand, int x, boolean kContiguous, boolean vectorised) {
            this.operand = operand;
            this.x = x;
            this.kContiguous = kContiguous;
            this.vectorised = vectorised;
            this.loads = x * BK / 4 / THREADS;
            this.vecsPerRow = (kContiguous ? BK : x) / 4;
            this.staged = new float[THREADS][loads * 4];
        }

        void load(int batch, int xSize, int kSize, int x0, int k0, int tid) {
            for (int i = 0; i < loads; i++) {
                int v = tid + i * THREADS;
                int r = v / vecsPerRow;
                int c = (v % vecsPerRow) * 4;
                if (kContiguous) {
                    VectorLoads.load(operand, batch, x0 + r, k0 + c, xSize, kSize, 4, vectorised, staged[tid], i * 4);
                } else {
                    VectorLoads.load(operand, batch, k0 + r, x0 + c, kSize, xSize, 4, vectorised, staged[tid], i * 4);
                }
            }
        }

        void store(SharedMemory shared, int tid, int slice) {
            for (int i = 0; i < loads; i++) {
                int v = tid + i * THREADS;
                int r = v / vecsPerRow;
                int c = (v % vecsPerRow) * 4;
                for (int j = 0; j < 4; j++) {
                    if (kContiguous) {
                        shared.write((c + j) * x + r, staged[tid][i * 4 + j], tid, slice);
                    } else {
                        requireFloat4Aligned(r * x + c, "shared store");
                        shared.write(r * x + c + j, staged[tid][i * 4 + j], tid, slice);
                    }
                }
            }
        }
    }

    static void requireFloat4Aligned(int index, String what) {
        if (index % 4 != 0) throw new EmulatedFault(what + " at shared slot " + index + " is not 16-byte aligned");
    }
}
