package io.carpathia.kernels;

import io.carpathia.kernels.reference.Nf4Reference;
import io.carpathia.kernels.reference.Rounding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.bytedeco.javacpp.BytePointer;

/**
 * The check a kernel gets on its first launch in a {@link CudaKernels}, before its output is handed over. CudaKernels
 * runs that launch into a scratch copy of the output with {@link #GUARD_BYTES} of guard on either side; this class
 * says whether the guards still hold {@link #GUARD_PATTERN} and whether a spread of output elements equals what the
 * CPU computes from the operands as the device holds them. A kernel that computes wrong values on this GPU, or writes
 * outside its output, is caught on its first launch instead of silently spoiling every later one.
 *
 * <ul>
 *   <li><b>Matrix products</b>: rows 0, m/3, 2m/3 and m − 1, the same columns of n, in the first and the last matrix
 *       of a batch — corners, edges, and elements in different warps, warpgroups and swizzle rows of the tiles —
 *       against alpha·op(A)·op(B) + beta·C in double with A and B rounded as the kernel's precision rounds them,
 *       within (1e-4 + k·2^-23)·(|alpha|·Σ|a·b| + |beta·c|). Float32 accumulation of k products stays inside that;
 *       a wrong tile, index or layout does not.</li>
 *   <li><b>NF4 dequantization</b>: both nibbles, block and nested-group edges, thirds and the tail, bit for bit
 *       against {@link Nf4Reference} (the kernels round exactly as it does).</li>
 *   <li><b>The NF4 matrix-vector product</b>: rows 0, r/3, 2r/3 and r − 1 against the dot product in double, within
 *       (1e-5 + cols·2^-23)·Σ|w·x|.</li>
 * </ul>
 * Samples whose inputs are not finite (or whose result leaves float32's range) are not judged, and differences below
 * float32's smallest normal number (results that round into the subnormal range or to zero) are allowed.
 */
final class KernelSpotCheck {
    private KernelSpotCheck() {}

    /** The bytes of guard on each side of the scratch copy of an output. */
    static final long GUARD_BYTES = 256;
    /** What the guards hold: a float32 NaN no kernel writes by chance. */
    static final int GUARD_PATTERN = 0x7FC0BEEF;
    /** Elements read per copy from the device while gathering a product's rows and columns. */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    /** What a check found: whether anything could be judged, and what is wrong (null when nothing is). */
    record Result(boolean judged, String problem) {
        boolean passed() {
            return problem == null;
        }
    }

    /**
     * Null when the {@link #GUARD_BYTES} on either side of the {@code bytes} at {@code offset} of a scratch buffer
     * filled with {@link #GUARD_PATTERN} (whole words from byte 0) still hold it, else which byte changed.
     */
    static String guards(DeviceBuffer scratch, long offset, long bytes) {
        for (long first : new long[] {offset - GUARD_BYTES, offset + bytes}) {
            ByteBuffer values = read(scratch, first, GUARD_BYTES);
            for (int i = 0; i < GUARD_BYTES; i++) {
                long at = first + i;
                if (values.get(i) != (byte) (GUARD_PATTERN >>> (8 * (at % 4)))) {
                    return "byte " + (at - offset) + " of its output changed (the output is bytes 0 to "
                            + (bytes - 1) + ")";
                }
            }
        }
        return null;
    }

    // ---- matrix products -----------------------------------------------------------------------------------------

    /** The matrices of a batch that are checked: the first and the last. */
    static int[] sampledBatches(Gemm shape) {
        return spread(shape.batchCount(), false);
    }

    /** Rows (or columns) checked among {@code size}: 0, a third, two thirds and the last, each once. */
    static int[] spread(int size) {
        return spread(size, true);
    }

    private static int[] spread(int size, boolean thirds) {
        List<Integer> at = thirds ? List.of(0, size / 3, 2 * size / 3, size - 1) : List.of(0, size - 1);
        return new TreeSet<>(at).stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Checks the product {@code kernel} wrote into {@code after} (C at byte {@code offsetAfter}) against A, B and C as
     * they were ({@code before}, at byte {@code offsetBefore}): every pair of {@link #spread} rows and columns, in the
     * {@link #sampledBatches}. Each sampled row of op(A) and column of op(B) is read once. All offsets are in bytes.
     */
    static Result gemm(String kernel, GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA,
                       DeviceBuffer b, long offsetB, float beta, DeviceBuffer before, long offsetBefore,
                       DeviceBuffer after, long offsetAfter) {
        int k = shape.k();
        int[] rows = spread(shape.m());
        int[] columns = spread(shape.n());
        double tolerance = 1e-4 + k * 0x1p-23;
        boolean judged = false;
        for (int batch : sampledBatches(shape)) {
            long[] indicesA = new long[rows.length * k];   // op(A)[row, p]
            long[] indicesB = new long[columns.length * k];   // op(B)[p, column]
            long[] indicesC = new long[rows.length * columns.length];
            for (int p = 0; p < k; p++) {
                for (int i = 0; i < rows.length; i++) {
                    indicesA[i * k + p] = batch * shape.strideA()
                            + (shape.transA() ? p * shape.lda() + rows[i] : rows[i] * shape.lda() + p);
                }
                for (int j = 0; j < columns.length; j++) {
                    indicesB[j * k + p] = batch * shape.strideB()
                            + (shape.transB() ? columns[j] * shape.ldb() + p : p * shape.ldb() + columns[j]);
                }
            }
            for (int i = 0; i < rows.length; i++) {
                for (int j = 0; j < columns.length; j++) {
                    indicesC[i * columns.length + j] = batch * shape.strideC() + rows[i] * shape.ldc() + columns[j];
                }
            }
            double[] valuesA = gather(a, offsetA, indicesA, precision);
            double[] valuesB = gather(b, offsetB, indicesB, precision);
            double[] valuesBefore = beta == 0 ? new double[indicesC.length]
                    : gather(before, offsetBefore, indicesC, GemmPrecision.FP32);
            double[] valuesAfter = gather(after, offsetAfter, indicesC, GemmPrecision.FP32);
            for (int i = 0; i < rows.length; i++) {
                for (int j = 0; j < columns.length; j++) {
                    double sum = 0;
                    double magnitude = 0;
                    for (int p = 0; p < k; p++) {
                        double product = valuesA[i * k + p] * valuesB[j * k + p];
                        sum += product;
                        magnitude += Math.abs(product);
                    }
                    int s = i * columns.length + j;
                    double expected = alpha * sum + beta * valuesBefore[s];
                    double bound = tolerance * (Math.abs(alpha) * magnitude + Math.abs(beta * valuesBefore[s]));
                    if (!withinFloat32(expected, bound)) continue;
                    judged = true;
                    if (!(Math.abs(valuesAfter[s] - expected) <= bound + Float.MIN_NORMAL)) {
                        String element = "C" + (shape.batchCount() > 1 ? "[" + batch + "]" : "") + "[" + rows[i]
                                + ", " + columns[j] + "]";
                        return new Result(true, kernel + " computed " + element + " = " + (float) valuesAfter[s]
                                + " where A and B give " + (float) expected + " (within " + (float) bound + "), "
                                + shape);
                    }
                }
            }
        }
        return new Result(judged, null);
    }

    private static boolean withinFloat32(double expected, double bound) {
        return Math.abs(expected) + bound < Float.MAX_VALUE;   // false for NaN and infinities too
    }

    /**
     * The elements at {@code indices} (counted from byte {@code offset} in elements of the precision's input type;
     * FP32 for C) as doubles, rounded as the kernels round their inputs. Reads ascending runs of at most
     * {@link #CHUNK_ELEMENTS} elements, so a row takes one copy and a strided column a few.
     */
    private static double[] gather(DeviceBuffer buffer, long offset, long[] indices, GemmPrecision precision) {
        int width = precision.inputBytes();
        long[] sorted = indices.clone();
        Arrays.sort(sorted);
        double[] sortedValues = new double[sorted.length];
        int i = 0;
        while (i < sorted.length) {
            long first = sorted[i];
            int end = i;
            while (end < sorted.length && sorted[end] - first < CHUNK_ELEMENTS) end++;
            ByteBuffer chunk = read(buffer, offset + first * width, (sorted[end - 1] - first + 1) * width);
            for (int j = i; j < end; j++) {
                int at = Math.toIntExact((sorted[j] - first) * width);
                sortedValues[j] = switch (precision) {
                    case FP32 -> chunk.getFloat(at);
                    case TF32 -> Rounding.roundToTf32(chunk.getFloat(at));
                    case BF16 -> Rounding.bf16ToFloat(chunk.getShort(at));
                };
            }
            i = end;
        }
        double[] values = new double[indices.length];
        for (int j = 0; j < indices.length; j++) values[j] = sortedValues[Arrays.binarySearch(sorted, indices[j])];
        return values;
    }

    // ---- NF4 -----------------------------------------------------------------------------------------------------

    /** Elements of an n-element tensor that dequantization is checked at (both nibbles, block and group edges). */
    static long[] nf4Samples(Nf4Layout layout) {
        long n = layout.elements();
        long block = layout.blocksize();
        long group = layout.isDoubleQuantized() ? block * layout.nestedBlocksize() : block;
        TreeSet<Long> elements = new TreeSet<>();
        for (long e : new long[] {0, 1, block - 1, block, block + 1, group - 1, group, n / 3, n / 2 + 1, 2 * n / 3,
                n - 2, n - 1}) {
            if (e >= 0 && e < n) elements.add(e);
        }
        return elements.stream().mapToLong(Long::longValue).toArray();
    }

    /** Checks the dequantized {@code weights} the kernel wrote as {@code type} into {@code after} at byte offset. */
    static Result nf4Dequantize(String kernel, DeviceNf4 weights, Nf4Output type, DeviceBuffer after,
                                long offsetAfter) {
        boolean judged = false;
        for (long e : nf4Samples(weights.layout())) {
            float expected = new Nf4Span(weights, e, e + 1).value(e);
            if (!Float.isFinite(expected)) continue;
            judged = true;
            ByteBuffer got = read(after, offsetAfter + e * type.bytes(), type.bytes());
            boolean right = type == Nf4Output.F32
                    ? got.getInt(0) == Float.floatToRawIntBits(expected)
                    : got.getShort(0) == Rounding.floatToBf16(expected);
            if (!right) {
                float actual = type == Nf4Output.F32 ? got.getFloat(0) : Rounding.bf16ToFloat(got.getShort(0));
                return new Result(true, kernel + " dequantized element " + e + " of " + weights.layout().elements()
                        + " to " + actual + " where its code and scale give " + expected);
            }
        }
        return new Result(judged, null);
    }

    /** Checks y = W x that the kernel wrote into {@code after} at byte offset, x at byte {@code offsetX}. */
    static Result nf4Gemv(String kernel, DeviceNf4 weights, int rows, int cols, DeviceBuffer x, long offsetX,
                          DeviceBuffer after, long offsetAfter) {
        ByteBuffer xs = read(x, offsetX, cols * 4L);
        boolean judged = false;
        for (int row : spread(rows)) {
            long first = (long) row * cols;
            Nf4Span span = new Nf4Span(weights, first, first + cols);
            double sum = 0;
            double magnitude = 0;
            for (int c = 0; c < cols; c++) {
                double product = (double) span.value(first + c) * xs.getFloat(c * 4);
                sum += product;
                magnitude += Math.abs(product);
            }
            double bound = (1e-5 + cols * 0x1p-23) * magnitude;
            if (!withinFloat32(sum, bound)) continue;
            judged = true;
            float actual = read(after, offsetAfter + row * 4L, 4).getFloat(0);
            if (!(Math.abs(actual - sum) <= bound + Float.MIN_NORMAL)) {
                return new Result(true, kernel + " computed y[" + row + "] = " + actual + " where W and x give "
                        + (float) sum + " (within " + (float) bound + "), W " + rows + " x " + cols);
            }
        }
        return new Result(judged, null);
    }

    /** The codes and scales of elements [from, to) of an NF4 tensor on the device, read in a few copies. */
    private static final class Nf4Span {
        private final Nf4Layout layout;
        private final long firstElement;
        private final long firstBlock;
        private final ByteBuffer packed;
        private final float[] absmax;

        Nf4Span(DeviceNf4 weights, long from, long to) {
            layout = weights.layout();
            firstElement = from & ~1L;
            packed = read(weights.packed(), from / 2, (to - 1) / 2 - from / 2 + 1);
            int log2Block = layout.log2Blocksize();
            firstBlock = from >> log2Block;
            int blocks = Math.toIntExact(((to - 1) >> log2Block) - firstBlock + 1);
            absmax = new float[blocks];
            if (!layout.isDoubleQuantized()) {
                ByteBuffer values = read(weights.absmax(), firstBlock * 4, blocks * 4L);
                for (int i = 0; i < blocks; i++) absmax[i] = values.getFloat(i * 4);
                return;
            }
            ByteBuffer codes = read(weights.absmaxCodes(), firstBlock, blocks);
            ByteBuffer codebook = read(weights.codebook(), 0, 256 * 4);
            long firstGroup = firstBlock / layout.nestedBlocksize();
            long lastGroup = (firstBlock + blocks - 1) / layout.nestedBlocksize();
            ByteBuffer scales = read(weights.absmaxScales(), firstGroup * 4, (lastGroup - firstGroup + 1) * 4);
            for (int i = 0; i < blocks; i++) {
                int code = codes.get(i) & 0xff;
                long group = (firstBlock + i) / layout.nestedBlocksize() - firstGroup;
                absmax[i] = Nf4Reference.doubleQuantizedAbsmax(codebook.getFloat(code * 4),
                        scales.getFloat(Math.toIntExact(group * 4)), weights.absmaxOffset());
            }
        }

        /** Element e's value: its level times its block's absmax, one float32 product, as the kernels. */
        float value(long e) {
            int b = packed.get(Math.toIntExact((e - firstElement) >> 1)) & 0xff;
            int code = (e & 1) == 0 ? b >>> 4 : b & 0x0f;
            return Nf4Reference.level(code) * absmax[Math.toIntExact((e >> layout.log2Blocksize()) - firstBlock)];
        }
    }

    private static ByteBuffer read(DeviceBuffer buffer, long offset, long length) {
        try (BytePointer host = new BytePointer(length)) {
            buffer.copyToHost(offset, host.address(), length);
            byte[] bytes = new byte[Math.toIntExact(length)];
            host.get(bytes);
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
