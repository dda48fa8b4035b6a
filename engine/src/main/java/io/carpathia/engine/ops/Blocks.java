package io.carpathia.engine.ops;

import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies and adds runs of consecutive elements between dense arrays: the inner loop of narrow, split, concat, index
 * select, gather and embedding lookup. A transfer is {@code rows} runs of {@code n} elements each; row r's run starts
 * at {@code srcStart.of(r)} in the source and {@code dstStart.of(r)} in the destination (element offsets).
 */
final class Blocks {
    private Blocks() {}

    /** Where row r's run starts, in elements from the start of the array. */
    @FunctionalInterface
    interface RowStart {
        long of(long row);
    }

    /**
     * dst[dstStart(r) + c] = src[srcStart(r) + c] for r < rows, c < n. Float and double arrays in any mix; integer
     * arrays (ids) of one type. Large copies run on several threads (every destination run is written once).
     */
    static void copy(INDArray src, RowStart srcStart, INDArray dst, RowStart dstStart, long rows, long n) {
        if (rows == 0 || n == 0) return;
        if (!src.dataType().isFPType() || !dst.dataType().isFPType()) {
            copyIntegers(src, srcStart, dst, dstStart, rows, n);
            return;
        }
        Native.View vs = Native.view(src);
        Native.View vd = Native.view(dst);
        // the destination's rows·n elements go by in chunks; a chunk may hold the tail of one run and the head of the next
        Chunks.each(rows * n, (from, len, buf) -> {
            long pos = from;
            long end = from + len;
            while (pos < end) {
                long r = pos / n;
                long c = pos - r * n;
                int run = (int) Math.min(n - c, end - pos);
                vs.load(srcStart.of(r) + c, run, buf, 0);
                vd.store(buf, 0, run, dstStart.of(r) + c);
                pos += run;
            }
        });
    }

    /** The same transfer for integer arrays, through Java arrays (ids and masks are small). */
    private static void copyIntegers(INDArray src, RowStart srcStart, INDArray dst, RowStart dstStart, long rows, long n) {
        if (src.dataType() != dst.dataType()) {
            throw new IllegalArgumentException("internal: copy from " + src.dataType() + " into " + dst.dataType());
        }
        long[] s = IntArrays.read(src);
        long[] d = IntArrays.read(dst);
        for (long r = 0; r < rows; r++) {
            System.arraycopy(s, (int) srcStart.of(r), d, (int) dstStart.of(r), (int) n);
        }
        IntArrays.write(d, dst);
    }

    /**
     * dst[dstStart(r) + c] += src[srcStart(r) + c] for r < rows, c < n (float or double). Several rows may add into
     * the same destination run (a repeated index), so the rows go in order on one thread.
     */
    static void add(INDArray src, RowStart srcStart, INDArray dst, RowStart dstStart, long rows, long n) {
        if (rows == 0 || n == 0) return;
        Native.View vs = Native.view(src);
        Native.View vd = Native.view(dst);
        int width = (int) Math.min(n, Chunks.CHUNK);
        double[] acc = new double[width];
        double[] add = new double[width];
        for (long r = 0; r < rows; r++) {
            long s0 = srcStart.of(r);
            long d0 = dstStart.of(r);
            for (long c = 0; c < n; c += width) {
                int run = (int) Math.min(width, n - c);
                vd.load(d0 + c, run, acc, 0);
                vs.load(s0 + c, run, add, 0);
                for (int i = 0; i < run; i++) acc[i] += add[i];
                vd.store(acc, 0, run, d0 + c);
            }
        }
    }
}
