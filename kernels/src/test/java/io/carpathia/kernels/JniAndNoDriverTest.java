package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/** The JNI library loads; without a GPU, CUDA reports itself unavailable with the reason. */
class JniAndNoDriverTest {

    @Test
    void jniLibraryLoadsOnLinux() {
        assertNull(CudaDriver.loadFailure(), () -> "JNI library failed to load: " + CudaDriver.loadFailure());
    }

    @Test
    void openingAMissingLibraryReturnsTheDlerrorText() {
        long handle = CudaDriver.open("libcarpathia-no-such-driver.so.7", 0);
        try {
            assertEquals(-1, CudaDriver.status(handle));
            assertTrue(CudaDriver.message(handle).contains("libcarpathia-no-such-driver.so.7"),
                    CudaDriver.message(handle));
        } finally {
            CudaDriver.close(handle);
        }
    }

    @Test
    void contextOnAMissingLibraryThrowsUnavailableWithTheReason() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaContext.open("/nonexistent/libcuda.so.1", 0));
        assertEquals("dlopen", e.call());
        assertEquals(-1, e.errorCode());
        assertNull(e.errorName());
        assertTrue(e.getMessage().startsWith("CUDA is not available: /nonexistent/libcuda.so.1"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot open shared object file"), e.getMessage());
    }

    /**
     * Without a GPU: no driver library at all (the dynamic linker's message), or one that cannot serve (a stub, no
     * device: the failing call and the driver's error name). Skipped where CUDA works.
     */
    @Test
    void withoutAGpuCudaIsUnavailableWithAReason() {
        assumeFalse(Cuda.isAvailable(), "a GPU is usable here");
        String reason = Cuda.unavailableReason();
        assertNotNull(reason);
        assertTrue(reason.startsWith("libcuda.so.1: cannot open shared object file") || reason.contains("CUDA_ERROR_"),
                reason);
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, Cuda::context);
        assertEquals("CUDA is not available: " + reason, e.getMessage());
        assertEquals(reason, e.reason());
        CudaUnavailableException fromKernels = assertThrows(CudaUnavailableException.class, CudaKernels::get);
        assertEquals(e.getMessage(), fromKernels.getMessage());
    }

    @Test
    void availabilityAndReasonAgree() {
        assertEquals(Cuda.isAvailable(), Cuda.unavailableReason() == null);
        if (!Cuda.isAvailable()) assertFalse(Cuda.unavailableReason().isBlank());
    }
}
