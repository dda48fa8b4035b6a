package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The dense copy behind {@link ShapeOps#transpose} and {@link ShapeOps#permute}, forward and backward. */
final class PermuteCopy {
    private PermuteCopy() {}

    /**
     * dst = src with its dimensions reordered (dimension i of dst is dimension order[i] of src), both dense. Runs
     * over dst's rows (its last dimension): each row reads src with one stride, as a memory copy when that stride is
     * 1 (the last dimension stayed last, as in [B, T, nh, hs] -> [B, nh, T, hs]). Values are copied as they are,
     * whatever their type.
     */
    static void into(INDArray src, int[] order, INDArray dst) {
        long[] srcShape = src.shape();
        long[] dstShape = dst.shape();
        int rank = dstShape.length;
        long[] srcStrides = Shapes.strides(srcShape);
        // the stride in src of each dst dimension
        long[] strides = new long[rank];
        for (int i = 0; i < rank; i++) strides[i] = srcStrides[order[i]];
        int rowLength = (int) dstShape[rank - 1];
        long rowStride = strides[rank - 1];
        long rows = rowLength == 0 ? 0 : dst.length() / rowLength;
        Native.View vs = Native.view(src);
        Native.View vd = Native.view(dst);
        long grain = Math.max(1, Chunks.GRAIN / Math.max(rowLength, 1));
        Parallel.forRange(rows, grain, (from, to) -> {
            // the multi-index of row `from` over dst's leading dimensions, and its offset in src
            long[] idx = new long[rank];
            long offset = 0;
            long rem = from;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d] = rem % dstShape[d];
                rem /= dstShape[d];
                offset += idx[d] * strides[d];
            }
            for (long r = from; r < to; r++) {
                vs.copyTo(offset, rowStride, rowLength, vd, r * rowLength);
                for (int d = rank - 2; d >= 0; d--) {
                    idx[d]++;
                    offset += strides[d];
                    if (idx[d] < dstShape[d]) break;
                    offset -= idx[d] * strides[d];
                    idx[d] = 0;
                }
            }
        });
    }
}
