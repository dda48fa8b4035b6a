package io.carpathia.kernels;

/** CUDA was asked for on a machine where it cannot run: no driver library, no device, or no JNI library for this OS. */
public final class CudaUnavailableException extends CudaException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public CudaUnavailableException(String call, int errorCode, String errorName, String reason) {
        super(call, errorCode, errorName, "CUDA is not available: " + reason);
        this.reason = reason;
    }

    /** Why, without the "CUDA is not available: " in front. */
    public String reason() {
        return reason;
    }
}
