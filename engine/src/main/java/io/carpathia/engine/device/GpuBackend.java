package io.carpathia.engine.device;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.quant.Nf4Tensor;
import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.Nf4Data;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products and NF4 dequantization of host arrays on one GPU. The arrays stay where the engine keeps them, in
 * ND4J's host memory: operands are copied from their native addresses straight into device memory, and results
 * straight back, with no host-side staging.
 *
 * <p><b>The cache.</b> Parameters ({@link ParameterVersions#track tracked} arrays) keep a device copy between
 * products and steps, keyed by the array's identity and held weakly (a collected array's device memory is freed at
 * the next call). Each copy remembers the change counter it was made at; it is served only while the counter still
 * reads the same, and is copied again otherwise — after an optimizer step, a state-dict load, an assign. Everything
 * else is copied for each product into grow-only workspaces. NF4 tensors are immutable, so their device copies never
 * need refreshing.
 *
 * <p>One product at a time (the methods are synchronized): the workspaces are shared. The copies back to the host are
 * synchronous, so a result is in host memory when a call returns.
 */
final class GpuBackend {
    private static final long WORKSPACE_GRANULE = 1L << 20;

    private final GpuKernels kernels;
    private final CudaContext context;
    private final WeakIdentityMap<INDArray, CachedArray> arrays = new WeakIdentityMap<>();
    private final WeakIdentityMap<Nf4Tensor, CachedNf4> nf4 = new WeakIdentityMap<>();
    private DeviceBuffer workspaceA;
    private DeviceBuffer workspaceB;
    private DeviceBuffer workspaceC;
    private long uploads;
    private long refreshes;
    private long hits;
    private long operandCopies;

    /** A parameter's device copy and the change count it holds. */
    private static final class CachedArray {
        final DeviceBuffer buffer;
        final AtomicLong counter;
        /** The counter's value when the copy was made; -1 before the first copy completes. */
        long version = -1;

        CachedArray(DeviceBuffer buffer, AtomicLong counter) {
            this.buffer = buffer;
            this.counter = counter;
        }
    }

    /** An NF4 tensor's codes and scales on the device. */
    private record CachedNf4(DeviceNf4 weights, List<DeviceBuffer> buffers) {}

    /** A matrix operand on the device: a buffer and the element offset of its first matrix. */
    private record Operand(DeviceBuffer buffer, long offset) {}

    GpuBackend(GpuKernels kernels) {
        this.kernels = kernels;
        this.context = kernels.context();
    }

    GpuKernels kernels() {
        return kernels;
    }

    // ---- matrix products ---------------------------------------------------------------------------------------

    /**
     * {@code batch} products {@code C_i = alpha · op(A_i) · op(B_i) + beta · C_i} of FLOAT arrays, the matrices of
     * product i starting {@code i · stride} elements after the given offsets (row-major, dense, as
     * {@code Blas.gemm}); k ≥ 1.
     */
    synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, INDArray a, long offA,
                           long strideA, INDArray b, long offB, long strideB, float beta, INDArray c, long offC,
                           long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) return;
        long matrixC = (long) m * n;
        if (batch > 1 && strideC < matrixC) {
            // the outputs overlap (a broadcast operand's gradient accumulating): one product after the other
            for (int i = 0; i < batch; i++) {
                gemm(transA, transB, m, n, k, alpha, a, offA + i * strideA, 0, b, offB + i * strideB, 0, beta, c,
                        offC + i * strideC, 0, 1);
            }
            return;
        }
        freeCollected();
        Gemm shape = Gemm.of(transA, transB, m, n, k);
        if (batch > 1) shape = shape.batched(batch, strideA, strideB, strideC);
        requireInside("A", a, offA, shape.extentA());
        requireInside("B", b, offB, shape.extentB());
        requireInside("C", c, offC, shape.extentC());
        Operand opA = operand(a, offA, shape.extentA(), true);
        Operand opB = operand(b, offB, shape.extentB(), false);
        long bytesC = shape.extentC() * 4;
        workspaceC = ensure(workspaceC, bytesC);
        long hostC = Native.address(c) + offC * 4;
        // C goes up first when it is read (beta != 0) or has gaps between batches, which must come back unchanged
        if (beta != 0 || batch > 1 && strideC > matrixC) workspaceC.copyFromHost(hostC, 0, bytesC);
        kernels.gemm(Device.float32MatmulPrecision().kernels(), shape, alpha, opA.buffer(), opA.offset(),
                opB.buffer(), opB.offset(), beta, workspaceC, 0);
        workspaceC.copyToHost(0, hostC, bytesC);
    }

    /** A device copy must never read past the host array: that would be a crash, not an exception. */
    private static void requireInside(String operand, INDArray array, long offset, long extent) {
        if (offset < 0 || offset + extent > array.length()) {
            throw new IllegalArgumentException("internal: gemm operand " + operand + " spans elements [" + offset
                    + ", " + (offset + extent) + ") of an array of " + array.length() + " " + Shapes.str(array.shape()));
        }
    }

    /** The operand on the device: the parameter's cached copy, or its extent copied into a workspace. */
    private Operand operand(INDArray array, long offset, long extent, boolean first) {
        CachedArray cached = cached(array);
        if (cached != null) return new Operand(cached.buffer, offset);
        long bytes = extent * 4;
        DeviceBuffer workspace;
        if (first) {
            workspace = workspaceA = ensure(workspaceA, bytes);
        } else {
            workspace = workspaceB = ensure(workspaceB, bytes);
        }
        workspace.copyFromHost(Native.address(array) + offset * 4, 0, bytes);
        operandCopies++;
        return new Operand(workspace, 0);
    }

    /**
     * The up-to-date device copy of a tracked FLOAT array (made or refreshed as needed), or null for arrays that are
     * not cached.
     */
    private CachedArray cached(INDArray array) {
        AtomicLong counter = ParameterVersions.counter(array);
        if (counter == null || array.dataType() != DataType.FLOAT || !Native.isDense(array)) return null;
        // read the counter before copying: a write during the copy leaves a newer count, and the next use copies again
        long version = counter.get();
        CachedArray entry = arrays.get(array);
        if (entry != null && entry.version == version) {
            hits++;
            return entry;
        }
        long bytes = array.length() * 4;
        if (entry == null) {
            entry = new CachedArray(context.allocate(bytes), counter);
            arrays.put(array, entry);
            uploads++;
        } else {
            refreshes++;
        }
        entry.buffer.copyFromHost(Native.address(array), 0, bytes);
        entry.version = version;
        return entry;
    }

    private DeviceBuffer ensure(DeviceBuffer buffer, long bytes) {
        if (buffer != null && buffer.bytes() >= bytes) return buffer;
        if (buffer != null) buffer.close();
        long rounded = Math.max(WORKSPACE_GRANULE, (bytes + WORKSPACE_GRANULE - 1) / WORKSPACE_GRANULE * WORKSPACE_GRANULE);
        return context.allocate(rounded);
    }

    // ---- NF4 -----------------------------------------------------------------------------------------------------

    /** Dequantizes {@code weight} on the device into {@code out} (FLOAT, dense, checked by the caller). */
    synchronized void dequantizeNf4(Nf4Tensor weight, INDArray out) {
        long elements = weight.layout().elements();
        if (elements == 0) return;
        freeCollected();
        CachedNf4 codes = nf4.get(weight);
        if (codes == null) {
            codes = upload(weight.data());
            nf4.put(weight, codes);
            uploads++;
        } else {
            hits++;
        }
        long bytes = elements * 4;
        workspaceC = ensure(workspaceC, bytes);
        kernels.nf4Dequantize(codes.weights(), workspaceC, 0);
        workspaceC.copyToHost(0, Native.address(out), bytes);
    }

    private CachedNf4 upload(Nf4Data data) {
        List<DeviceBuffer> buffers = new ArrayList<>();
        try {
            Nf4Layout layout = data.layout();
            DeviceBuffer packed = bytes(data.packed(), buffers);
            DeviceNf4 weights;
            if (layout.isDoubleQuantized()) {
                weights = DeviceNf4.doubleQuantized(layout, packed, bytes(data.absmaxCodes(), buffers),
                        floats(data.codebook(), buffers), floats(data.absmaxScales(), buffers), data.absmaxOffset());
            } else {
                weights = DeviceNf4.plain(layout, packed, floats(data.absmax(), buffers));
            }
            return new CachedNf4(weights, List.copyOf(buffers));
        } catch (RuntimeException e) {
            for (DeviceBuffer buffer : buffers) buffer.close();
            throw e;
        }
    }

    private DeviceBuffer bytes(byte[] values, List<DeviceBuffer> owned) {
        DeviceBuffer buffer = context.allocate(Math.max(1, values.length));
        owned.add(buffer);
        buffer.write(values, 0);
        return buffer;
    }

    private DeviceBuffer floats(float[] values, List<DeviceBuffer> owned) {
        DeviceBuffer buffer = context.allocate(Math.max(4, values.length * 4L));
        owned.add(buffer);
        buffer.write(values, 0);
        return buffer;
    }

    // ---- housekeeping ------------------------------------------------------------------------------------------

    /** Frees the device copies of arrays and NF4 tensors that were garbage-collected. */
    private void freeCollected() {
        for (CachedArray entry : arrays.expunge()) entry.buffer.close();
        for (CachedNf4 entry : nf4.expunge()) entry.buffers().forEach(DeviceBuffer::close);
    }

    /** Frees every cached copy and the workspaces; later products copy again. */
    synchronized void clear() {
        for (CachedArray entry : arrays.clear()) entry.buffer.close();
        for (CachedNf4 entry : nf4.clear()) entry.buffers().forEach(DeviceBuffer::close);
        for (DeviceBuffer workspace : new DeviceBuffer[] {workspaceA, workspaceB, workspaceC}) {
            if (workspace != null) workspace.close();
        }
        workspaceA = workspaceB = workspaceC = null;
    }

    synchronized Device.CacheStatistics statistics() {
        freeCollected();
        long bytes = 0;
        int entries = 0;
        for (CachedArray entry : arrays.values()) {
            bytes += entry.buffer.bytes();
            entries++;
        }
        for (CachedNf4 entry : nf4.values()) {
            for (DeviceBuffer buffer : entry.buffers()) bytes += buffer.bytes();
            entries++;
        }
        return new Device.CacheStatistics(entries, bytes, uploads, refreshes, hits, operandCopies);
    }
}
