package io.carpathia.kernels;

/** A point in the default stream, for timing kernels on the GPU's own clock. */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final long handle;
    private boolean destroyed;

    CudaEvent(CudaContext context, long handle) {
        this.context = context;
        this.handle = handle;
    }

    private long handle() {
        if (destroyed) throw new IllegalStateException("CUDA event was destroyed");
        return handle;
    }

    /** Marks the current end of the stream's queue. */
    public void record() {
        context.check(CudaDriver.eventRecord(context.handle(), handle()), "cuEventRecord", "");
    }

    /** Milliseconds of GPU time between {@code start} and this event, waiting for this event to complete. */
    public float millisecondsSince(CudaEvent start) {
        context.check(CudaDriver.eventSynchronize(context.handle(), handle()), "cuEventSynchronize", "");
        float[] ms = new float[1];
        context.check(CudaDriver.eventElapsed(context.handle(), start.handle(), handle(), ms), "cuEventElapsedTime",
                "");
        return ms[0];
    }

    @Override
    public void close() {
        if (destroyed) return;
        destroyed = true;
        context.check(CudaDriver.eventDestroy(context.handle(), handle), "cuEventDestroy_v2", "");
    }
}
