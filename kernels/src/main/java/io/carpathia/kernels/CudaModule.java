package io.carpathia.kernels;

/** Loaded device code (a fatbin or PTX) and the kernels found in it. */
public final class CudaModule implements AutoCloseable {
    private final CudaContext context;
    private final long handle;
    private final String description;
    private boolean unloaded;

    CudaModule(CudaContext context, long handle, String description) {
        this.context = context;
        this.handle = handle;
        this.description = description;
    }

    public String description() {
        return description;
    }

    /**
     * The kernel named {@code name} (its {@code extern "C"} name).
     *
     * @throws CudaException with {@code CUDA_ERROR_NOT_FOUND} when the module has no such kernel
     */
    public CudaFunction function(String name) {
        if (unloaded) throw new IllegalStateException("module " + description + " was unloaded");
        long[] function = new long[1];
        context.check(CudaDriver.moduleFunction(context.handle(), handle, name, function), "cuModuleGetFunction",
                "looking up kernel " + name + " in " + description);
        return new CudaFunction(context, function[0], name);
    }

    @Override
    public void close() {
        if (unloaded) return;
        unloaded = true;
        context.check(CudaDriver.moduleUnload(context.handle(), handle), "cuModuleUnload", description);
    }
}
