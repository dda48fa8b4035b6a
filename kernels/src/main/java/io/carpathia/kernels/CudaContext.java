package io.carpathia.kernels;

import java.util.Objects;

import org.bytedeco.javacpp.BytePointer;

/**
 * One opened CUDA driver library and the primary context of one of its devices. Opening never throws for an absent
 * driver in {@link Cuda}'s default context (that becomes {@link Cuda#isAvailable()} = false); here it throws
 * {@link CudaUnavailableException} with the reason.
 *
 * <p>Every driver call goes through {@link #check}, which turns a non-zero {@code CUresult} into a
 * {@link CudaException} naming the call and the error. A context is thread-safe: the native layer makes it current on
 * whichever thread calls.
 */
public final class CudaContext implements AutoCloseable {
    /** The driver library's name on Linux; {@code -Dcarpathia.cuda.library=/path/libcuda.so.1} picks another. */
    public static final String DEFAULT_LIBRARY = "libcuda.so.1";

    private static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    private static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    private static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    private final long handle;
    private final String library;
    private final CudaDevice device;
    private volatile boolean closed;

    private CudaContext(long handle, String library, CudaDevice device) {
        this.handle = handle;
        this.library = library;
        this.device = device;
    }

    /**
     * Opens {@code library} (a file name the dynamic linker searches for, or a path) and the primary context of device
     * {@code ordinal}.
     *
     * @throws CudaUnavailableException when the JNI library, the driver library or the device cannot be used
     */
    public static CudaContext open(String library, int ordinal) {
        Objects.requireNonNull(library, "library");
        Throwable jni = CudaDriver.loadFailure();
        if (jni != null) {
            throw new CudaUnavailableException("Loader.load", -1, null,
                    "the JNI library of io.carpathia.kernels.CudaDriver could not be loaded on "
                            + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + jni);
        }
        long handle = CudaDriver.open(library, ordinal);
        int status = CudaDriver.status(handle);
        if (status != 0) {
            String message = CudaDriver.message(handle);
            String errorName = status > 0 ? CudaDriver.errorName(handle, status) : null;
            CudaDriver.close(handle);
            String hint = status < 0 ? " (is an NVIDIA driver installed?)" : "";
            throw new CudaUnavailableException(status < 0 ? "dlopen" : callOf(message), status,
                    errorName == null || errorName.isEmpty() ? null : errorName, message + hint);
        }
        try {
            int[] value = new int[1];
            checkOpen(handle, CudaDriver.driverVersion(handle, value), "cuDriverGetVersion");
            int driverVersion = value[0];
            checkOpen(handle, CudaDriver.deviceAttribute(handle, ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, value),
                    "cuDeviceGetAttribute");
            int major = value[0];
            checkOpen(handle, CudaDriver.deviceAttribute(handle, ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, value),
                    "cuDeviceGetAttribute");
            int minor = value[0];
            checkOpen(handle, CudaDriver.deviceAttribute(handle, ATTRIBUTE_MULTIPROCESSOR_COUNT, value),
                    "cuDeviceGetAttribute");
            int multiprocessors = value[0];
            long[] memory = new long[1];
            checkOpen(handle, CudaDriver.deviceTotalMemory(handle, memory), "cuDeviceTotalMem_v2");
            CudaDevice device = new CudaDevice(ordinal, CudaDriver.deviceName(handle), major, minor, multiprocessors,
                    memory[0], driverVersion);
            return new CudaContext(handle, library, device);
        } catch (RuntimeException e) {
            CudaDriver.close(handle);
            throw e;
        }
    }

    private static String callOf(String message) {
        int colon = message.indexOf(':');
        return colon > 0 ? message.substring(0, colon) : message;
    }

    private static void checkOpen(long handle, int code, String call) {
        if (code != 0) throw error(handle, code, call, "");
    }

    private static CudaException error(long handle, int code, String call, String detail) {
        String name = CudaDriver.errorName(handle, code);
        String text = CudaDriver.errorString(handle, code);
        if (name.isEmpty()) name = "CUresult " + code;
        return new CudaException(call, code, name, call + " failed: " + name + (text.isEmpty() ? "" : " (" + text + ")")
                + (detail.isEmpty() ? "" : " " + detail));
    }

    /** Throws a {@link CudaException} when {@code code} is not {@code CUDA_SUCCESS}. */
    void check(int code, String call, String detail) {
        if (code != 0) throw error(handle, code, call, detail);
    }

    /** The native driver handle, after checking that the context is still open. */
    long handle() {
        if (closed) throw new IllegalStateException("the CUDA context on " + device.name() + " was closed");
        return handle;
    }

    public CudaDevice device() {
        return device;
    }

    public String library() {
        return library;
    }

    /** Allocates {@code bytes} of device memory (not initialised). */
    public DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("allocate: bytes must be positive, got " + bytes);
        long[] address = new long[1];
        check(CudaDriver.memAlloc(handle(), bytes, address), "cuMemAlloc_v2", "allocating " + bytes + " bytes");
        return new DeviceBuffer(this, address[0], bytes);
    }

    /** Waits until every kernel and copy queued on this context has finished; reports their errors. */
    public void synchronize() {
        check(CudaDriver.synchronize(handle()), "cuCtxSynchronize", "");
    }

    /** Loads a module from a fatbin, a cubin or PTX text (a NUL is appended, which PTX needs and the others ignore). */
    public CudaModule loadModule(byte[] image, String description) {
        try (BytePointer data = new BytePointer(image.length + 1L)) {
            data.put(image, 0, image.length).put(image.length, (byte) 0);
            long[] module = new long[1];
            check(CudaDriver.moduleLoad(handle(), data.address(), module), "cuModuleLoadData",
                    "loading " + description);
            return new CudaModule(this, module[0], description);
        }
    }

    /** A new timing event. */
    public CudaEvent createEvent() {
        long[] event = new long[1];
        check(CudaDriver.eventCreate(handle(), event), "cuEventCreate", "");
        return new CudaEvent(this, event[0]);
    }

    /** Releases the primary context. Buffers and modules of this context must not be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        CudaDriver.close(handle);
    }
}
