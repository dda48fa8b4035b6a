package io.carpathia.kernels.reference;

import static io.carpathia.kernels.KernelTiling.Wgmma.ATOM_BYTES;
import static io.carpathia.kernels.KernelTiling.Wgmma.BM;
import static io.carpathia.kernels.KernelTiling.Wgmma.CHUNKS_PER_ROW;
import static io.carpathia.kernels.KernelTiling.Wgmma.CHUNK_BYTES;
import static io.carpathia.kernels.KernelTiling.Wgmma.MMA_N;
import static io.carpathia.kernels.KernelTiling.Wgmma.PREFETCH;
import static io.carpathia.kernels.KernelTiling.Wgmma.ROW_BYTES;
import static io.carpathia.kernels.KernelTiling.Wgmma.STAGES;
import static io.carpathia.kernels.KernelTiling.Wgmma.THREADS;
import static io.carpathia.kernels.KernelTiling.Wgmma.WARPGROUP_ROWS;

import java.util.Arrays;

import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;

/**
 * {@code gemm_wgmma.cuh} run on the CPU: the ring of stages, each thread's cp.async chunks with their 128-byte
 * swizzle and zero fill, the TF32 rounding pass, the shared-memory descriptors each wgmma is given, and the
 * accumulator layout the epilogue writes from.
 *
 * <p>The wgmma instruction is modelled from the PTX ISA's description of the k-major layout with 128-byte swizzle:
 * the descriptor's start address, stride byte offset (between 8-row groups) and swizzle mode are decoded from the
 * same 64-bit value the kernel builds, element (row r, k element e) of the instruction's operand is read at byte
 * {@code start + (r / 8) * SBO + (r % 8) * 128 + e * size}, with bits 4-6 of that address XORed with bits 7-9. Every
 * read must find the tile and element the kernel means (the copies tag each element), so a swizzle or descriptor
 * that disagrees with the copies fails here. Global reads are checked against the matrices' true extents, C is
 * written exactly once, and the ring's reuse is checked: a stage is refilled only once no wgmma may still read it.
 * Products are accumulated in float64 and rounded once (the hardware's order is unspecified).
 */
public final class WgmmaEmulation {
    private WgmmaEmulation() {}

    private static final long UNFILLED = Long.MIN_VALUE;

    /**
     * Runs {@code shape.wgmmaKernelName(precision, tileN, ...)} on a grid with {@code gridZ} block layers. For
     * {@link GemmPrecision#BF16}, {@code a} and {@code b} hold bfloat16 values (as floats).
     */
    public static void run(GemmPrecision precision, int tileN, Gemm shape, float alpha, float[] a, int offsetA,
                           float[] b, int offsetB, float beta, float[] c, int offsetC, int gridZ) {
        if (!precision.hasWgmma()) throw new IllegalArgumentException("no warpgroup kernel for " + precision);
        if (!shape.wgmmaEligible(precision, (long) offsetA * precision.inputBytes(),
                (long) offsetB * precision.inputBytes())) {
            throw new IllegalArgumentException("the warpgroup kernels do not take " + shape);
        }
        if (shape.isEmpty()) return;
        int batches = shape.batchCount();
        GlobalMatrix matrixA = new GlobalMatrix("A", a, offsetA, shape.m(), shape.k(), shape.lda(), shape.strideA(),
                batches, false);
        GlobalMatrix matrixB = new GlobalMatrix("B", b, offsetB, shape.n(), shape.k(), shape.ldb(), shape.strideB(),
                batches, false);
        GlobalMatrix matrixC = new GlobalMatrix("C", c, offsetC, shape.m(), shape.n(), shape.ldc(), shape.strideC(),
                batches, true);
        Block block = new Block(precision, tileN, shape, alpha, beta, matrixA, matrixB, matrixC);
        int gridX = (shape.n() + tileN - 1) / tileN;
        int gridY = (shape.m() + BM - 1) / BM;
        for (int z = 0; z < gridZ; z++) {
            for (int y = 0; y < gridY; y++) {
                for (int x = 0; x < gridX; x++) block.run(x, y, z, gridZ);
            }
        }
        matrixC.requireEachWrittenOnce();
    }

    /** gemm_wgmma.cuh's {@code descriptor}: the 64-bit shared-memory matrix descriptor. */
    static long descriptor(int sharedAddress) {
        return (long) ((sharedAddress & 0x3FFFF) >> 4) | (1L << 16) | ((long) (ATOM_BYTES >> 4) << 32) | (1L << 62);
    }

    /** gemm_wgmma.cuh's {@code swizzled}: the byte offset of chunk c of row r in a tile. */
    static int swizzled(int r, int c) {
        return r * ROW_BYTES + ((c ^ (r % 8)) * CHUNK_BYTES);
    }

    /** The shared byte address the tensor cores read for operand element (row, e) of a k-major SW128 descriptor. */
    static int operandAddress(long descriptor, int row, int e, int elementBytes) {
        if (descriptor >>> 62 != 1) throw new EmulatedFault("descriptor swizzle mode " + (descriptor >>> 62)
                + " is not the 128-byte swizzle");
        int start = (int) (descriptor & 0x3FFF) << 4;
        int strideBytes = (int) ((descriptor >>> 32) & 0x3FFF) << 4;
        int linear = start + (row / 8) * strideBytes + (row % 8) * ROW_BYTES + e * elementBytes;
        return linear ^ (((linear >> 7) & 7) << 4);
    }

    private static final class Block {
        final GemmPrecision precision;
        final int tileN;
        final Gemm shape;
        final float alpha;
        final float beta;
        final GlobalMatrix a;
        final GlobalMatrix b;
        final GlobalMatrix c;
        final int elementBytes;
        final int perChunk;
        final int kPerTile;
        final int mmaK;
        final int stageBytes;
        final int aBytes;
        /** Shared memory, one slot per element, with the (tile, operand row, k) each slot was filled for. */
        final float[] values;
        final long[] tags;
        final int[] stageTile = new int[STAGES];

        Block(GemmPrecision precision, int tileN, Gemm shape, float alpha, float beta, GlobalMatrix a, GlobalMatrix b,
              GlobalMatrix c) {
            this.precision = precision;
            this.tileN = tileN;
            this.shape = shape;
            this.alpha = alpha;
            this.beta = beta;
            this.a = a;
            this.b = b;
            this.c = c;
            this.elementBytes = precision.inputBytes();
            this.perChunk = CHUNK_BYTES / elementBytes;
            this.kPerTile = ROW_BYTES / elementBytes;
            this.mmaK = precision == GemmPrecision.BF16 ? 16 : 8;
            this.aBytes = BM * ROW_BYTES;
            this.stageBytes = aBytes + tileN * ROW_BYTES;
            this.values = new float[STAGES * stageBytes / elementBytes];
            this.tags = new long[values.length];
        }

        static long tag(int tile, char operand, int row, int k) {
            return (((long) tile * 2 + (operand == 'A' ? 0 : 1)) << 40) | ((long) row << 20) | k;
        }

        void run(int bx, int by, int bz, int gridZ) {
            int m0 = by * BM;
            int n0 = bx * tileN;
            int tiles = (shape.k() + kPerTile - 1) / kPerTile;
            for (int batch = bz; batch < shape.batchCount(); batch += gridZ) {
                Arrays.fill(tags, UNFILLED);
                Arrays.fill(stageTile, -1);
                double[][] acc = new double[THREADS][(tileN / MMA_N) * 64];
                for (int j = 0; j < PREFETCH && j < tiles; j++) copyTile(batch, j, m0, n0);
                for (int j = 0; j < tiles; j++) {
                    int stage = j % STAGES;
                    if (stageTile[stage] != j) {
                        throw new EmulatedFault("tile " + j + " is multiplied from stage " + stage + ", which holds "
                                + (stageTile[stage] < 0 ? "nothing" : "tile " + stageTile[stage]));
                    }
                    if (precision == GemmPrecision.TF32) roundStage(stage);
                    int next = j + PREFETCH;
                    if (next < tiles) {
                        // wgmma groups of tiles j - 1 (in flight) and j (about to issue) read their stages
                        int previous = stageTile[next % STAGES];
                        if (previous >= 0 && previous >= j - 1) {
                            throw new EmulatedFault("tile " + next + " is copied into stage " + next % STAGES
                                    + " while tile " + previous + "'s wgmma may still read it");
                        }
                        copyTile(batch, next, m0, n0);
                    }
                    multiply(stage, j, acc);
                }
                epilogue(batch, m0, n0, acc);
            }
        }

        /** copy_tile for A and B: each thread's chunks, with their swizzle and zero fill. */
        void copyTile(int batch, int tile, int m0, int n0) {
            int stage = tile % STAGES;
            stageTile[stage] = tile;
            int k0 = tile * kPerTile;
            copyOperand(a, 'A', batch, tile, stage * stageBytes, BM, m0, k0, shape.m());
            copyOperand(b, 'B', batch, tile, stage * stageBytes + aBytes, tileN, n0, k0, shape.n());
        }

        void copyOperand(GlobalMatrix matrix, char operand, int batch, int tile, int tileAddress, int rows, int x0,
                         int k0, int xSize) {
            for (int tid = 0; tid < THREADS; tid++) {
                for (int i = 0; i < rows * CHUNKS_PER_ROW / THREADS; i++) {
                    int v = tid + i * THREADS;
                    int r = v / CHUNKS_PER_ROW;
                    int ch = v % CHUNKS_PER_ROW;
                    int row = x0 + r;
                    int col = k0 + ch * perChunk;
                    boolean valid = row < xSize && col < shape.k();
                    if (valid) matrix.requireVectorAligned(batch, row, col, perChunk);
                    int address = tileAddress + swizzled(r, ch);
                    if (address % CHUNK_BYTES != 0) throw new EmulatedFault("cp.async to an unaligned address");
                    for (int e = 0; e < perChunk; e++) {
                        int slot = address / elementBytes + e;
                        values[slot] = valid ? matrix.read(batch, row, col + e) : 0f;
                        tags[slot] = tag(tile, operand, r, ch * perChunk + e);
                    }
                }
            }
        }

        /** round_tile_tf32 on a whole stage (each thread rounds the chunks it copied; together, all of them). */
        void roundStage(int stage) {
            int from = stage * stageBytes / elementBytes;
            int to = from + stageBytes / elementBytes;
            for (int i = from; i < to; i++) values[i] = Rounding.roundToTf32(values[i]);
        }

        static String describe(long tag) {
            if (tag == UNFILLED) return "nothing";
            long tileAndOperand = tag >>> 40;
            return (tileAndOperand % 2 == 0 ? "A" : "B") + " tile " + tileAndOperand / 2 + " row "
                    + ((tag >>> 20) & 0xFFFFF) + " k " + (tag & 0xFFFFF);
        }

        /** The wgmma group of one tile: per warpgroup, k step and n half, the descriptors the kernel builds. */
        void multiply(int stage, int tile, double[][] acc) {
            int stageAddress = stage * stageBytes;
            int kSteps = kPerTile / mmaK;
            for (int warpgroup = 0; warpgroup < 2; warpgroup++) {
                int tileA = stageAddress + warpgroup * WARPGROUP_ROWS * ROW_BYTES;
                int tileB = stageAddress + aBytes;
                for (int ks = 0; ks < kSteps; ks++) {
                    for (int h = 0; h < tileN / MMA_N; h++) {
                        long descA = descriptor(tileA + ks * mmaK * elementBytes);
                        long descB = descriptor(tileB + h * MMA_N * ROW_BYTES + ks * mmaK * elementBytes);
                        // the 64 x mmaK and MMA_N x mmaK operands, as the instruction sees them
                        float[][] opA = new float[WARPGROUP_ROWS][mmaK];
                        float[][] opB = new float[MMA_N][mmaK];
                        for (int r = 0; r < WARPGROUP_ROWS; r++) {
                            for (int e = 0; e < mmaK; e++) {
                                opA[r][e] = operandAt(descA, 'A', tile, warpgroup * WARPGROUP_ROWS + r, r,
                                        ks * mmaK + e, e);
                            }
                        }
                        for (int r = 0; r < MMA_N; r++) {
                            for (int e = 0; e < mmaK; e++) {
                                opB[r][e] = operandAt(descB, 'B', tile, h * MMA_N + r, r, ks * mmaK + e, e);
                            }
                        }
                        // d[4 jn + q] of thread (warp w, lane g*4+t): row 16 w + g + 8 (q / 2), column 8 jn + 2 t + q % 2
                        for (int w = 0; w < 4; w++) {
                            for (int lane = 0; lane < 32; lane++) {
                                int thread = warpgroup * 128 + w * 32 + lane;
                                int g = lane / 4;
                                int t = lane % 4;
                                for (int reg = 0; reg < 64; reg++) {
                                    int jn = reg / 4;
                                    int q = reg % 4;
                                    int row = 16 * w + g + 8 * (q / 2);
                                    int col = 8 * jn + 2 * t + q % 2;
                                    double dot = 0;
                                    for (int e = 0; e < mmaK; e++) dot += (double) opA[row][e] * opB[col][e];
                                    acc[thread][h * 64 + reg] += dot;
                                }
                            }
                        }
                    }
                }
            }
        }

        /** Element e of a k step read through the descriptor; {@code tileRow} is the row within the whole tile. */
        float operandAt(long descriptor, char operand, int tile, int tileRow, int descriptorRow, int k, int e) {
            int address = operandAddress(descriptor, descriptorRow, e, elementBytes);
            int slot = address / elementBytes;
            if (slot < 0 || slot >= values.length) {
                throw new EmulatedFault("wgmma reads shared byte " + address + ", outside the block's stages");
            }
            long expected = tag(tile, operand, tileRow, k);
            if (tags[slot] != expected) {
                throw new EmulatedFault("wgmma reads " + operand + " tile " + tile + " row " + tileRow + " k " + k
                        + " at shared byte " + address + ", which holds " + describe(tags[slot]));
            }
            return values[slot];
        }

        void epilogue(int batch, int m0, int n0, double[][] acc) {
            for (int thread = 0; thread < THREADS; thread++) {
                int warpgroup = thread / 128;
                int w = thread / 32 % 4;
                int lane = thread % 32;
                int g = lane / 4;
                int t = lane % 4;
                for (int half = 0; half < 2; half++) {
                    int row = m0 + warpgroup * WARPGROUP_ROWS + w * 16 + g + 8 * half;
                    if (row >= shape.m()) continue;
                    for (int h = 0; h < tileN / MMA_N; h++) {
                        for (int jn = 0; jn < MMA_N / 8; jn++) {
                            int col = n0 + h * MMA_N + jn * 8 + 2 * t;
                            for (int p = 0; p < 2; p++) {
                                if (col + p >= shape.n()) continue;
                                float accumulator = (float) acc[thread][h * 64 + 4 * jn + 2 * half + p];
                                float old = beta != 0f ? c.read(batch, row, col + p) : 0f;
                                c.write(batch, row, col + p, GemmEpilogue.apply(accumulator, alpha, beta, old));
                            }
                        }
                    }
                }
            }
        }
    }
}
