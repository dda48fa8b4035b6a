package io.carpathia.kernels;

/**
 * The process-wide CUDA context: device 0 of the driver library named by {@code -Dcarpathia.cuda.library} (default
 * {@code libcuda.so.1}), opened on first use and kept for the life of the process.
 *
 * <pre>{@code
 * if (!Cuda.isAvailable()) System.err.println("CPU only: " + Cuda.unavailableReason());
 * CudaContext gpu = Cuda.context();   // throws CudaUnavailableException with the same reason
 * }</pre>
 */
public final class Cuda {
    private Cuda() {}

    private static final class Default {
        static final CudaContext CONTEXT;
        static final CudaUnavailableException FAILURE;

        static {
            CudaContext context = null;
            CudaUnavailableException failure = null;
            try {
                context = CudaContext.open(System.getProperty("carpathia.cuda.library", CudaContext.DEFAULT_LIBRARY),
                        Integer.getInteger("carpathia.cuda.device", 0));
            } catch (CudaUnavailableException e) {
                failure = e;
            } catch (CudaException e) {
                failure = new CudaUnavailableException(e.call(), e.errorCode(), e.errorName(), e.getMessage());
            }
            CONTEXT = context;
            FAILURE = failure;
        }
    }

    /** Whether a GPU can be used: the JNI library loaded, the driver opened and device 0 has a context. */
    public static boolean isAvailable() {
        return Default.CONTEXT != null;
    }

    /**
     * Why {@link #isAvailable()} is false (for example the dynamic linker's "libcuda.so.1: cannot open shared object
     * file: No such file or directory"), or {@code null} when CUDA is available.
     */
    public static String unavailableReason() {
        return Default.FAILURE == null ? null : Default.FAILURE.reason();
    }

    /**
     * The default context.
     *
     * @throws CudaUnavailableException when there is none, with the reason
     */
    public static CudaContext context() {
        if (Default.CONTEXT == null) {
            CudaUnavailableException f = Default.FAILURE;
            throw new CudaUnavailableException(f.call(), f.errorCode(), f.errorName(), f.reason());
        }
        return Default.CONTEXT;
    }
}
