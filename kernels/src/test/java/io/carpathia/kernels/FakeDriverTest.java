package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.kernels.reference.GemmReference;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JNI layer against a fake driver library (src/test/c/fake_libcuda.c) that keeps "device" memory on the host and
 * logs launches: the driver calls, the error names carried by {@link CudaException}, the argument checks, and which
 * kernel each call launches on what grid. The fake computes the products plainly, for the check of each kernel's
 * first product; the kernels' own arithmetic is not run here (the emulation tests cover it).
 */
class FakeDriverTest {
    private static Path library;
    private static CudaContext context;

    @BeforeAll
    static void open() throws Exception {
        library = FakeDriver.library(FakeDriver.WORKING);
        context = CudaContext.open(library.toString(), 0);
        FakeDriver.takeLaunches(library);
    }

    @AfterAll
    static void close() {
        if (context != null) context.close();
    }

    /** Deterministic operands: the fake computes the products, and CudaKernels checks each kernel's first one. */
    private static void zero(DeviceBuffer... buffers) {
        for (DeviceBuffer buffer : buffers) buffer.fill32(0, buffer.bytes() / 4, 0);
    }

    @Test
    void describesTheDevice() {
        CudaDevice device = context.device();
        assertEquals("Fake GPU", device.name());
        assertEquals(9, device.computeMajor());
        assertEquals(0, device.computeMinor());
        assertEquals(132, device.multiprocessors());
        assertEquals(1L << 30, device.totalMemoryBytes());
        assertEquals("Fake GPU (sm_90, 132 SMs, 1.0 GiB, driver CUDA 13.0)", device.describe());
    }

    @Test
    void noDeviceIsUnavailableWithTheDriversErrorName() throws Exception {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaContext.open(FakeDriver.library(FakeDriver.NO_DEVICE).toString(), 0));
        assertEquals("cuInit", e.call());
        assertEquals(100, e.errorCode());
        assertEquals("CUDA_ERROR_NO_DEVICE", e.errorName());
        assertTrue(e.getMessage().contains("cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)"),
                e.getMessage());
    }

    @Test
    void theToolkitsStubLibraryIsUnavailable() throws Exception {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaContext.open(FakeDriver.library(FakeDriver.STUB).toString(), 0));
        assertEquals("CUDA_ERROR_STUB_LIBRARY", e.errorName());
        assertTrue(e.getMessage().contains("stub"), e.getMessage());
    }

    @Test
    void aMissingDeviceOrdinalIsUnavailable() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaContext.open(library.toString(), 3));
        assertEquals(101, e.errorCode());
        assertTrue(e.getMessage().contains("device 3 requested, 1 device(s) present"), e.getMessage());
    }

    @Test
    void copiesRoundTripThroughArraysAndHostAddresses() {
        float[] values = {1f, -2.5f, Float.NaN, 1e-30f, 7f};
        try (DeviceBuffer a = context.allocate(64); DeviceBuffer b = context.allocate(64);
             FloatPointer host = new FloatPointer(5)) {
            a.write(values, 4);
            b.copyFrom(a, 4, 0, 20);
            b.copyToHost(0, host.address(), 20);
            float[] back = new float[5];
            host.get(back);
            assertArrayEquals(values, back);
            b.fill32(8, 2, Float.floatToRawIntBits(3f));
            float[] filled = new float[5];
            b.read(0, filled);
            assertArrayEquals(new float[] {1f, -2.5f, 3f, 3f, 7f}, filled);
        }
    }

    @Test
    void rangesAreCheckedBeforeTheDriverIsCalled() {
        try (DeviceBuffer buffer = context.allocate(16)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> buffer.write(new float[5], 0));
            assertEquals("copyFromHost: 20 bytes at offset 0 do not fit in a device buffer of 16 bytes",
                    e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.read(-4, new float[1]));
            assertThrows(IllegalArgumentException.class, () -> buffer.fill32(2, 1, 0));
        }
    }

    @Test
    void driverErrorsBecomeCudaExceptionsWithTheirNames() {
        CudaException e = assertThrows(CudaException.class, () -> context.allocate(2L << 30));
        assertEquals("cuMemAlloc_v2", e.call());
        assertEquals(2, e.errorCode());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory) allocating 2147483648 bytes",
                e.getMessage());

        CudaException image = assertThrows(CudaException.class,
                () -> context.loadModule("not a fatbin".getBytes(), "junk"));
        assertEquals("CUDA_ERROR_INVALID_IMAGE", image.errorName());

        try (CudaModule module = context.loadModule(CudaKernels.resource(CudaKernels.FATBIN_RESOURCE), "fatbin")) {
            CudaException missing = assertThrows(CudaException.class, () -> module.function("no_such_kernel"));
            assertEquals("CUDA_ERROR_NOT_FOUND", missing.errorName());
            assertTrue(missing.getMessage().contains("looking up kernel no_such_kernel in fatbin"),
                    missing.getMessage());
        }
    }

    @Test
    void freedBuffersAndClosedContextsRefuseUse() throws Exception {
        DeviceBuffer buffer = context.allocate(16);
        buffer.close();
        buffer.close(); // harmless
        assertThrows(IllegalStateException.class, buffer::address);
        CudaContext other = CudaContext.open(library.toString(), 0);
        other.close();
        assertThrows(IllegalStateException.class, () -> other.allocate(16));
    }

    @Test
    void gemmPicksTheKernelAndGridFromTheShape() throws Exception {
        CudaKernels kernels = new CudaKernels(context);
        assertEquals("carpathia_kernels.fatbin", kernels.moduleDescription());
        try (DeviceBuffer a = context.allocate(1 << 20); DeviceBuffer b = context.allocate(1 << 20);
             DeviceBuffer c = context.allocate(1 << 20)) {
            zero(a, b, c);
            kernels.sgemm(Gemm.of(false, false, 256, 300, 64), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmPrecision.TF32, Gemm.of(false, true, 17, 63, 65), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmPrecision.BF16, Gemm.of(true, false, 64, 64, 64).batched(3), 1f, a, 0, b, 0, 1f, c, 0);
            kernels.sgemm(Gemm.of(false, false, 64, 64, 64), 1f, a, 1, b, 0, 0f, c, 0); // A misaligned by 4 bytes
            kernels.sgemm(Gemm.of(false, false, 0, 64, 64), 1f, a, 0, b, 0, 0f, c, 0);  // empty: nothing launched
        }
        assertEquals(List.of(
                "carpathia_sgemm_nn_vec grid=3,2,1 block=256,1,1 shared=0 first=256,300,64",
                "carpathia_gemm_tf32_nt grid=1,1,1 block=256,1,1 shared=0 first=17,63,65",
                "carpathia_gemm_bf16_tn_vec grid=1,1,3 block=256,1,1 shared=0 first=64,64,64",
                "carpathia_sgemm_nn grid=1,1,1 block=256,1,1 shared=0 first=64,64,64"),
                FakeDriver.takeLaunches(library));
    }

    @Test
    void withoutWgmmaTensorCoreProductsStayOnTheWarpLevelKernels() throws Exception {
        CudaKernels kernels = new CudaKernels(context);
        assertFalse(kernels.wgmmaAvailable());  // the fake's probe says 0, as an image without sm_90a code does
        try (DeviceBuffer a = context.allocate(1 << 20); DeviceBuffer b = context.allocate(1 << 20);
             DeviceBuffer c = context.allocate(1 << 20)) {
            zero(a, b, c);
            kernels.gemm(GemmPrecision.BF16, Gemm.of(false, true, 200, 300, 64), 1f, a, 0, b, 0, 0f, c, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernels.gemm(
                    GemmFamily.WGMMA_256, GemmPrecision.BF16, Gemm.of(false, true, 200, 300, 64), 1f, a, 0, b, 0, 0f,
                    c, 0));
            assertTrue(e.getMessage().startsWith("gemm: WGMMA_256 needs an sm_90 GPU running the fatbin's sm_90a"
                    + " code; this is Fake GPU"), e.getMessage());
        }
        assertEquals(List.of(
                "carpathia_wgmma_available grid=1,1,1 block=1,1,1 shared=0",
                "carpathia_gemm_bf16_nt_vec grid=3,2,1 block=256,1,1 shared=0 first=200,300,64"),
                FakeDriver.takeLaunches(library));
    }

    @Test
    void onAnSm90GpuNtTensorCoreProductsGoToTheWarpgroupKernels() throws Exception {
        Path wgmmaLibrary = FakeDriver.library(FakeDriver.WGMMA);
        FakeDriver.takeLaunches(wgmmaLibrary);
        try (CudaContext gpu = CudaContext.open(wgmmaLibrary.toString(), 0);
             DeviceBuffer a = gpu.allocate(1 << 20); DeviceBuffer b = gpu.allocate(1 << 20);
             DeviceBuffer c = gpu.allocate(1 << 20)) {
            zero(a, b, c);
            CudaKernels kernels = new CudaKernels(gpu);
            assertTrue(kernels.wgmmaAvailable());
            kernels.gemm(GemmPrecision.BF16, Gemm.of(false, true, 200, 300, 64), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmPrecision.TF32, Gemm.of(false, true, 129, 7, 12).batched(2), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmFamily.WGMMA_128, GemmPrecision.TF32, Gemm.of(false, true, 5, 9, 4), 1f, a, 0, b, 0, 0f,
                    c, 0);
            // not for the warpgroup kernels: k not whole 16-byte chunks, another form, FP32, a misaligned A
            kernels.gemm(GemmPrecision.BF16, Gemm.of(false, true, 64, 64, 60), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmPrecision.BF16, Gemm.of(false, false, 64, 64, 64), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.sgemm(Gemm.of(false, true, 64, 64, 64), 1f, a, 0, b, 0, 0f, c, 0);
            kernels.gemm(GemmPrecision.TF32, Gemm.of(false, true, 64, 64, 64), 1f, a, 1, b, 0, 0f, c, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernels.gemm(
                    GemmFamily.WGMMA_128, GemmPrecision.TF32, Gemm.of(false, false, 64, 64, 64), 1f, a, 0, b, 0, 0f,
                    c, 0));
            assertTrue(e.getMessage().startsWith("gemm: WGMMA_128 runs TF32 and BF16 products of the NT form"),
                    e.getMessage());
        }
        int wide = KernelTiling.Wgmma.sharedBytes(256);
        int narrow = KernelTiling.Wgmma.sharedBytes(128);
        assertEquals(197632, wide);  // 4 stages of (128 + 256) rows x 128 bytes, + 1 KiB to align the swizzle
        assertEquals(List.of(
                "carpathia_wgmma_available grid=1,1,1 block=1,1,1 shared=0",
                "carpathia_wgmma_bf16_nt_256_c2 grid=2,2,1 block=256,1,1 shared=" + wide + " first=200,300,64",
                "carpathia_wgmma_tf32_nt_256 grid=1,2,2 block=256,1,1 shared=" + wide + " first=129,7,12",
                "carpathia_wgmma_tf32_nt_128 grid=1,1,1 block=256,1,1 shared=" + narrow + " first=5,9,4",
                "carpathia_gemm_bf16_nt grid=1,1,1 block=256,1,1 shared=0 first=64,64,60",
                "carpathia_gemm_bf16_nn_vec grid=1,1,1 block=256,1,1 shared=0 first=64,64,64",
                "carpathia_sgemm_nt_vec grid=1,1,1 block=256,1,1 shared=0 first=64,64,64",
                "carpathia_gemm_tf32_nt grid=1,1,1 block=256,1,1 shared=0 first=64,64,64"),
                FakeDriver.takeLaunches(wgmmaLibrary));
    }

    @Test
    void gemmChecksOperandsAgainstTheShape() {
        CudaKernels kernels = new CudaKernels(context);
        try (DeviceBuffer small = context.allocate(4 * 100); DeviceBuffer big = context.allocate(1 << 16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> kernels.sgemm(Gemm.of(false, false, 10, 10, 11), 1f, small, 0, big, 0, 0f, big, 0));
            assertEquals("gemm: A spans 110 elements from offset 0 (NN m=10 n=10 k=11 lda=11 ldb=10 ldc=10), its "
                    + "device buffer holds 100", e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.gemm(GemmPrecision.BF16, Gemm.of(false, false, 10, 10, 10), 1f, big, 0, big, 0, 0f,
                            small, 1));
        }
    }

    @Test
    void gemmHostCopiesFromAndToHostAddresses() throws Exception {
        CudaKernels kernels = new CudaKernels(context);
        Gemm shape = Gemm.of(false, false, 3, 5, 4).withLeadingDimensions(4, 5, 7);
        try (FloatPointer a = new FloatPointer(12); FloatPointer b = new FloatPointer(20);
             FloatPointer c = new FloatPointer(shape.extentC())) {
            float[] av = new float[12];
            float[] bv = new float[20];
            for (int i = 0; i < 12; i++) a.put(i, av[i] = i - 5);
            for (int i = 0; i < 20; i++) b.put(i, bv[i] = 0.5f * i);
            float[] cv = new float[Math.toIntExact(shape.extentC())];
            for (int i = 0; i < cv.length; i++) c.put(i, cv[i] = 40f + i);
            kernels.gemmHost(GemmPrecision.FP32, shape, 1f, a.address(), b.address(), 0f, c.address());
            // the fake computes the product; the gaps of the padded C (ldc 7, n 5) come back as they went
            GemmReference.gemm(shape, 1f, av, 0, bv, 0, 0f, cv, 0);
            for (int i = 0; i < cv.length; i++) assertEquals(cv[i], c.get(i), "C element " + i);
            assertEquals(40f + 5, c.get(5));
        }
        assertEquals(List.of("carpathia_sgemm_nn grid=1,1,1 block=256,1,1 shared=0 first=3,5,4"),
                FakeDriver.takeLaunches(library));
    }

    @Test
    void nf4LaunchesAndChecks() throws Exception {
        CudaKernels kernels = new CudaKernels(context);
        Nf4Layout layout = Nf4Layout.doubleQuantized(4096 * 64 + 7);
        try (DeviceBuffer packed = context.allocate(layout.packedBytes());
             DeviceBuffer codes = context.allocate(layout.blocks());
             DeviceBuffer codebook = context.allocate(1024);
             DeviceBuffer scales = context.allocate(layout.nestedGroups() * 4);
             DeviceBuffer out = context.allocate(layout.elements() * 4);
             DeviceBuffer x = context.allocate(64 * 4);
             DeviceBuffer y = context.allocate((4096 + 1) * 4)) {
            // deterministic contents (the fake computes the kernels, and CudaKernels checks their first launches)
            packed.fill32(0, (layout.packedBytes() + 3) / 4 - 1, 0x9c3e71a5);
            codes.fill32(0, layout.blocks() / 4, 0x05fa3c81);
            codebook.fill32(0, 256, Float.floatToRawIntBits(0.75f));
            scales.fill32(0, layout.nestedGroups(), Float.floatToRawIntBits(-1.5f));
            x.fill32(0, 64, Float.floatToRawIntBits(0.5f));
            DeviceNf4 weights = DeviceNf4.doubleQuantized(layout, packed, codes, codebook, scales, 0.25f);
            kernels.nf4Dequantize(weights, out, 0, Nf4Output.F32);
            kernels.nf4Dequantize(weights, out, 1, Nf4Output.BF16);
            IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
                    () -> kernels.nf4Dequantize(weights, out, 1, Nf4Output.F32));
            assertTrue(tooSmall.getMessage().startsWith("nf4Dequantize: 262151 F32 elements from offset 1"),
                    tooSmall.getMessage());
            Nf4Layout matrix = Nf4Layout.of(4096 * 64);
            DeviceNf4 plain = DeviceNf4.plain(matrix, packed, out);
            kernels.nf4Gemv(plain, 4096, 64, x, 0, y, 1);
            assertThrows(IllegalArgumentException.class, () -> kernels.nf4Gemv(plain, 4096, 65, x, 0, y, 0));
            assertThrows(IllegalArgumentException.class, () -> kernels.nf4Gemv(plain, 64, 4096, x, 0, y, 0));
        }
        List<String> launches = FakeDriver.takeLaunches(library);
        assertEquals(3, launches.size(), launches.toString());
        // 262151 elements: 8192 vectors of 32 -> 32 blocks of 256 threads, vectorised.
        assertTrue(launches.get(0).startsWith("carpathia_nf4_dequantize_f32 grid=32,1,1 block=256,1,1"),
                launches.get(0));
        // the bf16 output one element in is only 2-byte aligned: one thread per element, capped at 16 blocks per SM
        assertTrue(launches.get(1).startsWith("carpathia_nf4_dequantize_bf16 grid=1025,1,1 block=256,1,1"),
                launches.get(1));
        assertTrue(launches.get(2).startsWith("carpathia_nf4_gemv grid=1024,1,1 block=128,1,1"), launches.get(2));
    }

    @Test
    void eventsTime() {
        try (CudaEvent start = context.createEvent(); CudaEvent end = context.createEvent()) {
            start.record();
            end.record();
            assertEquals(1.5f, end.millisecondsSince(start));
        }
    }
}
