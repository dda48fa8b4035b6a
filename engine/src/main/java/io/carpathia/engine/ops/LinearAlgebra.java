package io.carpathia.engine.ops;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Reduce;
import io.carpathia.engine.device.MatMul;
import java.util.Arrays;
import java.util.function.LongUnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products, through {@link MatMul} (OpenBLAS, or the GPU when a CUDA device is in use). Transposes never
 * materialise: the backward products pass transpose flags to gemm, and batched products are gemm calls at offsets
 * into one buffer (one strided-batched call where every operand's matrices are evenly spaced).
 */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    /**
     * Matrix product with PyTorch's rules: 1-D × 1-D is a dot product; a 1-D left operand is a row vector and a
     * 1-D right operand a column vector (that dimension is dropped from the result); N-D operands are stacks of
     * matrices whose batch dimensions broadcast. a: [..., m, k], b: [..., k, n] -> [..., m, n].
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() == 0 || b.rank() == 0) {
            throw new ShapeException("matmul: both operands need at least one dimension, got " + Shapes.str(a.shape())
                    + " and " + Shapes.str(b.shape()));
        }
        boolean vecA = a.rank() == 1;
        boolean vecB = b.rank() == 1;
        Tensor a2 = vecA ? ShapeOps.unsqueeze(a, 0) : a;   // [k] -> [1, k]
        Tensor b2 = vecB ? ShapeOps.unsqueeze(b, 1) : b;   // [k] -> [k, 1]
        Tensor out = batchedMatmul(a2, b2);
        if (vecB) out = ShapeOps.squeeze(out, -1);
        if (vecA) out = ShapeOps.squeeze(out, vecB ? -1 : -2);
        return out;
    }

    /** a: [..., m, k] × b: [..., k, n] -> [..., m, n], batch dims broadcast. */
    private static Tensor batchedMatmul(Tensor a, Tensor b) {
        long[] as = a.shape();
        long[] bs = b.shape();
        int m = (int) as[as.length - 2];
        int k = (int) as[as.length - 1];
        int n = (int) bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new ShapeException("matmul: inner dimensions differ: " + Shapes.str(as) + " × " + Shapes.str(bs)
                    + " (" + k + " vs " + bs[bs.length - 2] + ")");
        }
        long[] aBatch = Arrays.copyOf(as, as.length - 2);
        long[] bBatch = Arrays.copyOf(bs, bs.length - 2);
        long[] batch = Shapes.broadcast("matmul (batch dimensions)", aBatch, bBatch);
        long[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        DataType dt = Autograd.floatType(a, b);
        Tensor out = Autograd.result(dt, outShape);
        INDArray av = computeType(a.value(), dt);
        INDArray bv = computeType(b.value(), dt);
        INDArray cv = out.value();
        // b is one matrix shared by every batch: [B·m, k] × [k, n] is a single product (and so are the gradients)
        boolean sharedB = bBatch.length == 0 || Shapes.numel(bBatch) == 1 && Shapes.numel(aBatch) == Shapes.numel(batch);

        if (sharedB) {
            long rows = Shapes.numel(batch) * m;
            MatMul.gemm(false, false, (int) rows, n, k, 1, av, 0, bv, 0, 0, cv, 0);
        } else {
            BatchIndex bi = new BatchIndex(batch, aBatch, bBatch);
            // C_i = A_i·B_i
            bi.gemm(false, false, m, n, k, bi.ofA(av, (long) m * k), bi.ofB(bv, (long) k * n), 0,
                    bi.ofOutput(cv, (long) m * n));
        }
        Autograd.record(out, "matmul", g -> {
            // C = A·B:  dA = dC·Bᵀ,  dB = Aᵀ·dC; batches that were broadcast accumulate (gemm's beta = 1)
            if (a.requiresGrad()) {
                INDArray ga = Autograd.temp(dt, as);
                Native.fill(ga, 0);
                if (sharedB) {
                    long rows = Shapes.numel(batch) * m;
                    MatMul.gemm(false, true, (int) rows, k, n, 1, g, 0, bv, 0, 0, ga, 0);
                } else {
                    BatchIndex bi = new BatchIndex(batch, aBatch, bBatch);
                    // dA_i += dC_i·B_iᵀ
                    bi.gemm(false, true, m, k, n, bi.ofOutput(g, (long) m * n), bi.ofB(bv, (long) k * n), 1,
                            bi.ofA(ga, (long) m * k));
                }
                Autograd.accumulate(a, ga, true);
            }
            if (b.requiresGrad()) {
                INDArray gb = Autograd.temp(dt, bs);
                Native.fill(gb, 0);
                if (sharedB) {
                    // dB = Σ_batches Aᵀ·dC = A_flatᵀ · dC_flat: one product over all rows
                    long rows = Shapes.numel(batch) * m;
                    MatMul.gemm(true, false, k, n, (int) rows, 1, av, 0, g, 0, 0, gb, 0);
                } else {
                    BatchIndex bi = new BatchIndex(batch, aBatch, bBatch);
                    // dB_i += A_iᵀ·dC_i
                    bi.gemm(true, false, k, n, m, bi.ofA(av, (long) m * k), bi.ofOutput(g, (long) m * n), 1,
                            bi.ofB(gb, (long) k * n));
                }
                Autograd.accumulate(b, gb, true);
            }
        }, a, b);
        return out;
    }

    /**
     * Maps a flat index over the broadcast batch shape to the flat batch index of each operand, and runs a product
     * over the batch with each operand's matrices where this mapping puts them.
     */
    private static final class BatchIndex {
        final long count;
        private final long[] shape;
        private final long[] aStrides;
        private final long[] bStrides;
        /** How far an operand's batch index moves per batch: 1 (it has every batch), 0 (one matrix), -1 (neither). */
        private final int aStep;
        private final int bStep;

        BatchIndex(long[] batch, long[] aBatch, long[] bBatch) {
            this.shape = batch;
            this.count = Shapes.numel(batch);
            this.aStrides = Shapes.broadcastStrides(aBatch, batch);
            this.bStrides = Shapes.broadcastStrides(bBatch, batch);
            this.aStep = step(aBatch, count);
            this.bStep = step(bBatch, count);
        }

        /** An operand with every batch has index i (no dimension was broadcast), one with a single matrix index 0. */
        private static int step(long[] operandBatch, long count) {
            long n = Shapes.numel(operandBatch);
            return n == count ? 1 : n == 1 ? 0 : -1;
        }

        long a(long i) {
            return offset(i, aStrides);
        }

        long b(long i) {
            return offset(i, bStrides);
        }

        /** A's matrices of {@code size} elements each, where the broadcast puts them. */
        Matrices ofA(INDArray array, long size) {
            return new Matrices(array, this::a, size, aStep < 0 ? -1 : aStep * size);
        }

        Matrices ofB(INDArray array, long size) {
            return new Matrices(array, this::b, size, bStep < 0 ? -1 : bStep * size);
        }

        /** The output's (and its gradient's) matrices: one per batch. */
        Matrices ofOutput(INDArray array, long size) {
            return new Matrices(array, i -> i, size, size);
        }

        /**
         * For every batch i: C_i = op(X_i)·op(Y_i) + beta·C_i. One strided call when every operand's matrices are
         * evenly spaced, else one call per batch, in order of i.
         */
        void gemm(boolean transX, boolean transY, int m, int n, int k, Matrices x, Matrices y, double beta,
                  Matrices c) {
            if (x.stride() >= 0 && y.stride() >= 0 && c.stride() >= 0 && count <= Integer.MAX_VALUE) {
                MatMul.gemmStrided(transX, transY, m, n, k, 1, x.array(), 0, x.stride(), y.array(), 0, y.stride(),
                        beta, c.array(), 0, c.stride(), (int) count);
                return;
            }
            for (long i = 0; i < count; i++) {
                MatMul.gemm(transX, transY, m, n, k, 1, x.array(), x.start(i), y.array(), y.start(i), beta,
                        c.array(), c.start(i));
            }
        }

        private long offset(long i, long[] strides) {
            long off = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                off += (i % shape[d]) * strides[d];
                i /= shape[d];
            }
            return off;
        }
    }

    /**
     * An operand's matrices over the batch: matrix i starts at element {@code batchIndex(i) · size};
     * {@code stride} ≥ 0 when that is i · stride for every i (0: one matrix broadcast to all), -1 otherwise.
     */
    private record Matrices(INDArray array, LongUnaryOperator batchIndex, long size, long stride) {
        long start(long i) {
            return batchIndex.applyAsLong(i) * size;
        }
    }

    /** y = x·Wᵀ + b with W: [out, in] (PyTorch's nn.Linear layout); x: [..., in] -> [..., out]; b may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return dense("linear", x, weight, bias, true);
    }

    /** y = x·W + b with W: [in, out] (Hugging Face's Conv1D layout, used by GPT-2); b may be null. */
    public static Tensor affine(Tensor x, Tensor weight, Tensor bias) {
        return dense("affine", x, weight, bias, false);
    }

    /**
     * The fused dense layer. x is read as a [rows, in] matrix; the bias is written into the output first and the
     * product accumulated onto it (gemm beta = 1), so the forward is one pass plus one gemm.
     */
    private static Tensor dense(String op, Tensor x, Tensor w, Tensor bias, boolean weightOutIn) {
        long[] xs = x.shape();
        long[] ws = w.shape();
        if (ws.length != 2 || xs.length == 0) {
            throw new ShapeException(op + ": weight must be 2-D and input at least 1-D, got weight "
                    + Shapes.str(ws) + " and input " + Shapes.str(xs));
        }
        int in = (int) xs[xs.length - 1];
        int outF = (int) (weightOutIn ? ws[0] : ws[1]);
        int wIn = (int) (weightOutIn ? ws[1] : ws[0]);
        if (wIn != in) {
            throw new ShapeException(op + ": input's last dimension is " + in + " but weight " + Shapes.str(ws)
                    + " expects " + wIn + (weightOutIn ? " (weight is [out, in])" : " (weight is [in, out])"));
        }
        if (bias != null && (bias.rank() != 1 || bias.size(0) != outF)) {
            throw new ShapeException(op + ": bias must have shape [" + outF + "], got " + Shapes.str(bias.shape()));
        }
        long rows = Shapes.numel(xs) / Math.max(in, 1);
        long[] outShape = xs.clone();
        outShape[outShape.length - 1] = outF;
        DataType dt = Autograd.floatType(x, w, bias);
        Tensor out = Autograd.result(dt, outShape);
        INDArray xv = computeType(x.value(), dt);
        INDArray wv = computeType(w.value(), dt);
        INDArray ov = out.value();
        if (bias != null) Chunks.broadcast(bias.value(), ov);   // each row starts as the bias
        // out[rows, outF] (+)= x[rows, in] · op(W)
        MatMul.gemm(false, weightOutIn, (int) rows, outF, in, 1, xv, 0, wv, 0, bias != null ? 1 : 0, ov, 0);
        Autograd.record(out, op, g -> {
            if (x.requiresGrad()) {
                // dx[rows, in] = g[rows, out] · W[out, in]   (or · Wᵀ for the [in, out] layout)
                INDArray gx = Autograd.temp(dt, xs);
                MatMul.gemm(false, !weightOutIn, (int) rows, in, outF, 1, g, 0, wv, 0, 0, gx, 0);
                Autograd.accumulate(x, gx, true);
            }
            if (w.requiresGrad()) {
                INDArray gw = Autograd.temp(dt, ws);
                if (weightOutIn) {
                    // dW[out, in] = gᵀ[out, rows] · x[rows, in]
                    MatMul.gemm(true, false, outF, in, (int) rows, 1, g, 0, xv, 0, 0, gw, 0);
                } else {
                    // dW[in, out] = xᵀ[in, rows] · g[rows, out]
                    MatMul.gemm(true, false, in, outF, (int) rows, 1, xv, 0, g, 0, 0, gw, 0);
                }
                Autograd.accumulate(w, gw, true);
            }
            if (bias != null && bias.requiresGrad()) {
                // db = Σ_rows g
                INDArray gb = Autograd.temp(dt, outF);
                Reduce.sumTo(g, gb, false);
                Autograd.accumulate(bias, gb, true);
            }
        }, x, w, bias);
        return out;
    }

    /** The array in the compute dtype (a copy only when an operand's dtype differs). */
    static INDArray computeType(INDArray a, DataType dt) {
        if (a.dataType() == dt) return a;
        INDArray c = org.nd4j.linalg.factory.Nd4j.createUninitialized(dt, a.shape());
        Native.copy(a, c);
        return c;
    }
}
