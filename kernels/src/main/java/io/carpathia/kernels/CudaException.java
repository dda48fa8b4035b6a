package io.carpathia.kernels;

/**
 * A CUDA driver call failed. Carries the call ({@code cuMemAlloc_v2}), the driver's error code (a {@code CUresult}; -1
 * when there is none because the driver library itself could not be loaded) and the error's name
 * ({@code CUDA_ERROR_OUT_OF_MEMORY}), which is what to search for.
 */
public class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errorCode;
    private final String errorName;

    public CudaException(String call, int errorCode, String errorName, String message) {
        super(message);
        this.call = call;
        this.errorCode = errorCode;
        this.errorName = errorName;
    }

    /** The driver API function that failed, e.g. {@code cuLaunchKernel}. */
    public String call() {
        return call;
    }

    /** The {@code CUresult}, or -1 when the driver library could not be loaded. */
    public int errorCode() {
        return errorCode;
    }

    /** The driver's name for the error, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS}; {@code null} when there is none. */
    public String errorName() {
        return errorName;
    }
}
