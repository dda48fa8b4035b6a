package io.carpathia.kernels;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI binding of {@code src/main/cpp/carpathia_cuda.h}: a thin layer over the CUDA driver API, which that header
 * opens with {@code dlopen} at run time. The JavaCPP Maven plugin generates and compiles the JNI code at build time
 * (phase process-classes) with the host's C++ compiler; nothing of CUDA is needed for that.
 *
 * <p>Every {@code int} result is a {@code CUresult}; {@link CudaContext} checks them. Addresses are plain
 * {@code long}s: device pointers, host pointers (for example an ND4J buffer's) and driver handles alike.
 */
@Platform(value = "linux", include = "carpathia_cuda.h", link = "dl")
final class CudaDriver {
    private static final Throwable LOAD_FAILURE = load();

    private CudaDriver() {}

    private static Throwable load() {
        try {
            Loader.load(CudaDriver.class);
            return null;
        } catch (Throwable e) { // UnsatisfiedLinkError on an OS without the library, or an extraction failure
            return e;
        }
    }

    /** Why the JNI library could not be loaded, or {@code null} when it was. */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    @Name("carpathia_open") static native long open(String library, int ordinal);
    @Name("carpathia_status") static native int status(long driver);
    @Name("carpathia_message") static native String message(long driver);
    @Name("carpathia_device_name") static native String deviceName(long driver);
    @Name("carpathia_close") static native void close(long driver);
    @Name("carpathia_error_name") static native String errorName(long driver, int code);
    @Name("carpathia_error_string") static native String errorString(long driver, int code);
    @Name("carpathia_driver_version") static native int driverVersion(long driver, int[] version);
    @Name("carpathia_device_attribute") static native int deviceAttribute(long driver, int attribute, int[] value);
    @Name("carpathia_device_total_memory") static native int deviceTotalMemory(long driver, long[] bytes);
    @Name("carpathia_synchronize") static native int synchronize(long driver);
    @Name("carpathia_mem_alloc") static native int memAlloc(long driver, long bytes, long[] address);
    @Name("carpathia_mem_free") static native int memFree(long driver, long address);
    @Name("carpathia_memcpy_htod") static native int memcpyHtoD(long driver, long device, long host, long bytes);
    @Name("carpathia_memcpy_dtoh") static native int memcpyDtoH(long driver, long host, long device, long bytes);
    @Name("carpathia_memcpy_dtod") static native int memcpyDtoD(long driver, long target, long source, long bytes);
    @Name("carpathia_memset_d32") static native int memsetD32(long driver, long device, int value, long count);
    @Name("carpathia_module_load") static native int moduleLoad(long driver, long image, long[] module);
    @Name("carpathia_module_unload") static native int moduleUnload(long driver, long module);
    @Name("carpathia_module_function") static native int moduleFunction(long driver, long module, String name,
                                                                       long[] function);
    @Name("carpathia_function_set_attribute") static native int functionSetAttribute(long driver, long function,
                                                                                      int attribute, int value);
    @Name("carpathia_launch") static native int launch(long driver, long function, int gridX, int gridY, int gridZ,
                                                       int blockX, int blockY, int blockZ, int sharedBytes,
                                                       long[] arguments, int argumentCount);
    @Name("carpathia_event_create") static native int eventCreate(long driver, long[] event);
    @Name("carpathia_event_record") static native int eventRecord(long driver, long event);
    @Name("carpathia_event_synchronize") static native int eventSynchronize(long driver, long event);
    @Name("carpathia_event_elapsed") static native int eventElapsed(long driver, long start, long end,
                                                                    float[] milliseconds);
    @Name("carpathia_event_destroy") static native int eventDestroy(long driver, long event);
}
