package io.carpathia.kernels;

import io.carpathia.kernels.reference.Rounding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.bytedeco.javacpp.BytePointer;

/**
 * The check a matrix-product kernel gets on its first product in a {@link CudaKernels}, before that product is handed
 * over: CudaKernels runs it into a scratch copy of C with guard bytes around it, and this class compares a spread of
 * C's elements with alpha·op(A)·op(B) + beta·C computed in double from what the device holds (A and B rounded as
 * the kernel's precision rounds them), and the guards with what was written there. A kernel that computes wrong
 * values on this GPU, or writes outside C, is caught on its first product instead of silently spoiling every later
 * one.
 *
 * <p>The samples: rows 0, m/3, 2m/3 and m − 1, the same columns of n, in the first and the last matrix of a batch —
 * corners, edges, and elements in different warps, warpgroups and swizzle rows of the tiles. An element counts as
 * right within (1e-4 + k·2^-23) · (|alpha|·Σ|a·b| + |beta·c|): float32 accumulation of k products stays inside
 * that, and a wrong tile, index or layout does not.
 */
final class GemmSpotCheck {
    private GemmSpotCheck() {}

    /** The bytes of guard on each side of the scratch copy of C. */
    static final long GUARD_BYTES = 256;
    /** What the guards hold: a float32 NaN no kernel writes by chance. */
    static final int GUARD_PATTERN = 0x7FC0BEEF;
    /** Elements read per copy from the device while gathering the operands' rows and columns. */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    /** One element of C: the matrix of the batch, row and column. */
    record Sample(int batch, int row, int column) {}

    /** What a check found: whether anything could be judged, and what is wrong (null when nothing is). */
    record Result(boolean judged, String problem) {
        boolean passed() {
            return problem == null;
        }
    }

    static List<Sample> samples(Gemm shape) {
        List<Sample> samples = new ArrayList<>();
        TreeSet<Integer> batches = new TreeSet<>(List.of(0, shape.batchCount() - 1));
        for (int batch : batches) {
            for (int row : spread(shape.m())) {
                for (int column : spread(shape.n())) samples.add(new Sample(batch, row, column));
            }
        }
        return samples;
    }

    private static int[] spread(int size) {
        return new TreeSet<>(List.of(0, size / 3, 2 * size / 3, size - 1)).stream().mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Checks the product the kernel {@code kernel} wrote into {@code after} (C at byte {@code offsetAfter}, guards of
     * {@link #GUARD_BYTES} on either side) against A, B and C as they were ({@code before}, at byte
     * {@code offsetBefore}). All offsets are in bytes.
     */
    static Result check(String kernel, GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA,
                        DeviceBuffer b, long offsetB, float beta, DeviceBuffer before, long offsetBefore,
                        DeviceBuffer after, long offsetAfter) {
        String guards = checkGuards(after, offsetAfter, shape.extentC() * 4);
        if (guards != null) return new Result(true, kernel + " wrote outside C (" + shape + "): " + guards);

        List<Sample> samples = samples(shape);
        int k = shape.k();
        long[] indicesA = new long[samples.size() * k];
        long[] indicesB = new long[samples.size() * k];
        long[] indicesC = new long[samples.size()];
        for (int s = 0; s < samples.size(); s++) {
            Sample sample = samples.get(s);
            for (int p = 0; p < k; p++) {
                indicesA[s * k + p] = sample.batch() * shape.strideA()
                        + (shape.transA() ? p * shape.lda() + sample.row() : sample.row() * shape.lda() + p);
                indicesB[s * k + p] = sample.batch() * shape.strideB()
                        + (shape.transB() ? sample.column() * shape.ldb() + p : p * shape.ldb() + sample.column());
            }
            indicesC[s] = sample.batch() * shape.strideC() + sample.row() * shape.ldc() + sample.column();
        }
        double[] valuesA = gather(a, offsetA, indicesA, precision);
        double[] valuesB = gather(b, offsetB, indicesB, precision);
        double[] valuesBefore = beta == 0 ? new double[samples.size()]
                : gather(before, offsetBefore, indicesC, GemmPrecision.FP32);
        double[] valuesAfter = gather(after, offsetAfter, indicesC, GemmPrecision.FP32);

        boolean judged = false;
        double tolerance = 1e-4 + k * 0x1p-23;
        for (int s = 0; s < samples.size(); s++) {
            double sum = 0;
            double magnitude = 0;
            for (int p = 0; p < k; p++) {
                double product = valuesA[s * k + p] * valuesB[s * k + p];
                sum += product;
                magnitude += Math.abs(product);
            }
            double expected = alpha * sum + beta * valuesBefore[s];
            double bound = tolerance * (Math.abs(alpha) * magnitude + Math.abs(beta * valuesBefore[s]));
            // non-finite inputs, or a product beyond float32's range: nothing a float32 kernel can be judged on
            if (!(Math.abs(expected) + bound < Float.MAX_VALUE)) continue;
            judged = true;
            double actual = valuesAfter[s];
            if (!(Math.abs(actual - expected) <= bound + Double.MIN_NORMAL)) {
                Sample sample = samples.get(s);
                return new Result(true, kernel + " computed C" + (shape.batchCount() > 1 ? "[" + sample.batch() + "]"
                        : "") + "[" + sample.row() + ", " + sample.column() + "] = " + (float) actual + " where A and"
                        + " B give " + (float) expected + " (within " + (float) bound + "), " + shape);
            }
        }
        return new Result(judged, null);
    }

    /** Null when both guards around C still hold {@link #GUARD_PATTERN}, else where they do not. */
    private static String checkGuards(DeviceBuffer after, long offsetC, long bytesC) {
        long[][] guards = {{offsetC - GUARD_BYTES, GUARD_BYTES}, {offsetC + bytesC, GUARD_BYTES}};
        for (long[] guard : guards) {
            ByteBuffer bytes = read(after, guard[0], guard[1]);
            for (int i = 0; i < guard[1] / 4; i++) {
                if (bytes.getInt(i * 4) != GUARD_PATTERN) {
                    long relative = guard[0] + i * 4L - offsetC;
                    return "the float32 at byte " + relative + (relative < 0 ? " (before C)" : " (C's last byte is "
                            + (bytesC - 1) + ")") + " changed";
                }
            }
        }
        return null;
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
            long last = sorted[end - 1];
            ByteBuffer chunk = read(buffer, offset + first * width, (last - first + 1) * width);
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

    private static ByteBuffer read(DeviceBuffer buffer, long offset, long length) {
        try (BytePointer host = new BytePointer(length)) {
            buffer.copyToHost(offset, host.address(), length);
            byte[] bytes = new byte[Math.toIntExact(length)];
            host.get(bytes);
            return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
