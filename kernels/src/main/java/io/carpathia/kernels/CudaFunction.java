package io.carpathia.kernels;

/** One kernel of a {@link CudaModule}, launched on the context's default stream. */
public final class CudaFunction {
    /** CUDA's limits on a grid's y and z extents (x may reach 2^31 - 1). */
    private static final int MAX_GRID_YZ = 65535;
    /** CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
    private static final int MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    private static final int DEFAULT_DYNAMIC_SHARED = 48 * 1024;

    private final CudaContext context;
    private final long handle;
    private final String name;
    /** The dynamic shared memory the driver lets this kernel have: 48 KiB until raised. */
    private int dynamicSharedLimit = DEFAULT_DYNAMIC_SHARED;

    CudaFunction(CudaContext context, long handle, String name) {
        this.context = context;
        this.handle = handle;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /**
     * Queues the kernel on a grid of {@code gridX × gridY × gridZ} blocks of {@code threads} threads. Launch errors
     * (a bad configuration) surface here; faults inside the kernel surface at the next synchronising call.
     */
    public void launch(int gridX, int gridY, int gridZ, int threads, KernelArguments arguments) {
        launch(gridX, gridY, gridZ, threads, 0, arguments);
    }

    /**
     * {@link #launch} with {@code sharedBytes} of dynamic shared memory per block. Above 48 KiB the kernel is first
     * allowed that much ({@code cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)}), once.
     */
    public void launch(int gridX, int gridY, int gridZ, int threads, int sharedBytes, KernelArguments arguments) {
        if (sharedBytes > dynamicSharedLimit) allowDynamicShared(sharedBytes);
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException(name + ": grid " + gridX + " x " + gridY + " x " + gridZ
                    + " is outside CUDA's limits (x >= 1, 1 <= y, z <= 65535)");
        }
        context.check(CudaDriver.launch(context.handle(), handle, gridX, gridY, gridZ, threads, 1, 1, sharedBytes,
                        arguments.slots(), arguments.count()), "cuLaunchKernel",
                name + " on grid " + gridX + " x " + gridY + " x " + gridZ + " of " + threads + " threads"
                        + (sharedBytes > 0 ? " with " + sharedBytes + " bytes of dynamic shared memory" : ""));
    }

    private synchronized void allowDynamicShared(int bytes) {
        if (bytes <= dynamicSharedLimit) return;
        context.check(CudaDriver.functionSetAttribute(context.handle(), handle, MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                "cuFuncSetAttribute", name + ": " + bytes + " bytes of dynamic shared memory");
        dynamicSharedLimit = bytes;
    }
}
