package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.carpathia.kernels.Cuda;
import io.carpathia.kernels.CudaUnavailableException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Choosing a device: the CPU by default, scoped selection per thread, and the clear failure without a GPU. */
class DeviceTest {

    @Test
    void withoutADriverCudaFailsWithCudasReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has a GPU");
        String reason = Cuda.unavailableReason();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, Device::cuda);
        assertEquals("CUDA is not available: " + reason, e.getMessage());
        assertEquals(reason, e.reason());
        // the same, however it is asked for; and asking again gives the same answer rather than a half-made device
        assertEquals(e.getMessage(), assertThrows(CudaUnavailableException.class, () -> Device.parse("cuda")).getMessage());
        assertEquals(e.getMessage(), assertThrows(CudaUnavailableException.class, Device::cuda).getMessage());
        CudaUnavailableException other = assertThrows(CudaUnavailableException.class, () -> Device.cuda(1));
        assertTrue(other.getMessage().startsWith("CUDA is not available: "), other.getMessage());
        assertSame(Device.cpu(), Device.current());
    }

    @Test
    void parseNamesTheChoices() {
        assertSame(Device.cpu(), Device.parse("cpu"));
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "CUDA", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(bad));
            assertEquals("device '" + bad + "' is not one of cpu, cuda, cuda:N (N = 0, 1, ...)", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Test
    void theCpuIsTheDefaultAndHasNothingToCache() {
        Device cpu = Device.current();
        assertSame(Device.cpu(), cpu);
        assertFalse(cpu.isCuda());
        assertEquals("cpu", cpu.name());
        assertEquals(new Device.CacheStatistics(0, 0, 0, 0, 0, 0), cpu.cacheStatistics());
        cpu.clearCache();
        assertNull(Device.currentGpu());
    }

    @Test
    void useIsScopedNestedAndPerThread() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Device other = FakeGpu.device("cuda:other");
        try (Device.Use outer = gpu.use()) {
            assertSame(gpu, Device.current());
            assertSame(gpu.backend(), Device.currentGpu());
            // another thread keeps its own choice: the CPU
            assertSame(Device.cpu(), CompletableFuture.supplyAsync(Device::current).get());
            assertNull(CompletableFuture.supplyAsync(Device::currentGpu).get());
            try (Device.Use inner = other.use()) {
                assertSame(other, Device.current());
                try (Device.Use cpu = Device.cpu().use()) {
                    assertSame(Device.cpu(), Device.current());
                    assertNull(Device.currentGpu());
                }
                assertSame(other, Device.current());
            }
            assertSame(gpu, Device.current());
            outer.close();
            outer.close(); // closing twice changes nothing
            assertSame(Device.cpu(), Device.current());
        }
        assertSame(Device.cpu(), Device.current());
        assertNull(Device.currentGpu());
    }

    @Test
    void aGpuDeviceDescribesItself() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        assertTrue(gpu.isCuda());
        assertEquals("cuda:fake", gpu.toString());
        assertEquals("cuda:fake: Fake GPU (sm_90, 132 SMs, 1.0 GiB, driver CUDA 13.0)", gpu.describe());
    }
}
