package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.kernels.reference.GemmReference;
import io.carpathia.kernels.reference.Rounding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The check of each kernel's first launch ({@link KernelSpotCheck} in {@link CudaKernels}), on the stand-in driver,
 * which computes the kernels plainly: right kernels pass and then write their output directly; the {@code broken}
 * flavour's wrong kernels (values off by one, a write past C, NF4 nibbles the wrong way round) are caught, never
 * launched again, and leave the output as it was; AUTO leaves broken warpgroup kernels for the warp-level ones.
 */
class KernelSpotCheckTest {

    /** Values that float32 and TF32 multiply exactly (small multiples of 1/4), so results compare exactly. */
    private static float[] values(long seed, long count) {
        Random random = new Random(seed);
        float[] out = new float[Math.toIntExact(count)];
        for (int i = 0; i < out.length; i++) out[i] = (random.nextInt(17) - 8) / 4f;
        return out;
    }

    private static float[] read(DeviceBuffer buffer, long count) {
        float[] out = new float[Math.toIntExact(count)];
        buffer.read(0, out);
        return out;
    }

    @Test
    void aKernelsFirstProductIsCheckedAndThenItWritesCDirectly() throws Exception {
        Path library = FakeDriver.library(FakeDriver.WORKING);
        try (CudaContext gpu = CudaContext.open(library.toString(), 0)) {
            CudaKernels kernels = new CudaKernels(gpu);
            Gemm shape = Gemm.of(true, false, 37, 21, 19).batched(3);
            float[] a = values(1, shape.extentA());
            float[] b = values(2, shape.extentB());
            float[] c = values(3, shape.extentC());
            try (DeviceBuffer da = gpu.allocate(a.length * 4L); DeviceBuffer db = gpu.allocate(b.length * 4L);
                 DeviceBuffer dc = gpu.allocate(c.length * 4L)) {
                da.write(a, 0);
                db.write(b, 0);
                dc.write(c, 0);
                assertEquals(List.of(), List.copyOf(kernels.checkedKernels()));
                kernels.sgemm(shape, 0.5f, da, 0, db, 0, 2f, dc, 0);
                GemmReference.gemm(shape, 0.5f, a, 0, b, 0, 2f, c, 0);
                assertArrayEquals(c, read(dc, c.length));
                assertEquals(List.of("carpathia_sgemm_tn"), List.copyOf(kernels.checkedKernels()));
                kernels.sgemm(shape, 0.5f, da, 0, db, 0, 2f, dc, 0);   // now straight into C
                GemmReference.gemm(shape, 0.5f, a, 0, b, 0, 2f, c, 0);
                assertArrayEquals(c, read(dc, c.length));
            }
        }
    }

    @Test
    void aProductThatCannotBeJudgedIsHandedOverAndTheNextOneIsChecked() throws Exception {
        Path library = FakeDriver.library(FakeDriver.WORKING);
        try (CudaContext gpu = CudaContext.open(library.toString(), 0);
             DeviceBuffer a = gpu.allocate(4 * 64); DeviceBuffer b = gpu.allocate(4 * 64);
             DeviceBuffer c = gpu.allocate(4 * 64)) {
            CudaKernels kernels = new CudaKernels(gpu);
            a.fill32(0, 64, Float.floatToRawIntBits(Float.NaN));
            b.fill32(0, 64, Float.floatToRawIntBits(1f));
            kernels.sgemm(Gemm.of(false, false, 8, 8, 8), 1f, a, 0, b, 0, 0f, c, 0);
            assertTrue(Float.isNaN(read(c, 1)[0]));
            assertTrue(kernels.checkedKernels().isEmpty());
            a.fill32(0, 64, Float.floatToRawIntBits(3f));
            kernels.sgemm(Gemm.of(false, false, 8, 8, 8), 1f, a, 0, b, 0, 0f, c, 0);
            assertEquals(24f, read(c, 1)[0]);
            assertEquals(1, kernels.checkedKernels().size());
        }
    }

    @Test
    void autoLeavesAWrongWarpgroupKernelForTheWarpLevelOnes() throws Exception {
        Path library = FakeDriver.library(FakeDriver.BROKEN);
        FakeDriver.takeLaunches(library);
        try (CudaContext gpu = CudaContext.open(library.toString(), 0)) {
            CudaKernels kernels = new CudaKernels(gpu);
            Gemm shape = Gemm.of(false, true, 200, 300, 64);
            float[] a = values(4, shape.extentA());
            float[] b = values(5, shape.extentB());
            float[] c = new float[Math.toIntExact(shape.extentC())];
            try (DeviceBuffer da = gpu.allocate(a.length * 4L); DeviceBuffer db = gpu.allocate(b.length * 4L);
                 DeviceBuffer dc = gpu.allocate(c.length * 4L)) {
                da.write(a, 0);
                db.write(b, 0);
                kernels.gemm(GemmPrecision.TF32, shape, 1f, da, 0, db, 0, 0f, dc, 0);
                GemmReference.gemm(shape, 1f, Rounding.roundToTf32(a), 0, Rounding.roundToTf32(b), 0, 0f, c, 0);
                assertArrayEquals(c, read(dc, c.length));
                String withdrawn = kernels.wgmmaWithdrawn();
                assertTrue(withdrawn.startsWith("the carpathia_wgmma_tf32_nt_256_c2 kernel gives wrong results on "
                        + "Fake GPU"), withdrawn);
                assertTrue(withdrawn.contains("carpathia_wgmma_tf32_nt_256_c2 computed C[0, 0] = "), withdrawn);
                kernels.gemm(GemmPrecision.TF32, shape, 1f, da, 0, db, 0, 0f, dc, 0);
            }
        }
        String wgmma = "carpathia_wgmma_tf32_nt_256_c2 grid=2,2,1 block=256,1,1 shared="
                + KernelTiling.Wgmma.sharedBytes(256) + " first=200,300,64";
        String warpLevel = "carpathia_gemm_tf32_nt_vec grid=3,2,1 block=256,1,1 shared=0 first=200,300,64";
        assertEquals(List.of("carpathia_wgmma_available grid=1,1,1 block=1,1,1 shared=0", wgmma, warpLevel,
                warpLevel), FakeDriver.takeLaunches(library));
    }

    @Test
    void aWrongKernelThrowsLeavesCAsItWasAndIsNotLaunchedAgain() throws Exception {
        Path library = FakeDriver.library(FakeDriver.BROKEN);
        try (CudaContext gpu = CudaContext.open(library.toString(), 0);
             DeviceBuffer a = gpu.allocate(1 << 16); DeviceBuffer b = gpu.allocate(1 << 16);
             DeviceBuffer c = gpu.allocate(1 << 16)) {
            CudaKernels kernels = new CudaKernels(gpu);
            a.write(values(6, 4096), 0);
            b.write(values(7, 4096), 0);
            float[] before = values(8, 4096);
            c.write(before, 0);
            FakeDriver.takeLaunches(library);
            // a forced warpgroup family has no other kernel to go to
            IllegalStateException forced = assertThrows(IllegalStateException.class, () -> kernels.gemm(
                    GemmFamily.WGMMA_256, GemmPrecision.BF16, Gemm.of(false, true, 30, 40, 64), 1f, a, 0, b, 0, 0.5f,
                    c, 0));
            assertTrue(forced.getMessage().startsWith("the carpathia_wgmma_bf16_nt_256_c2 kernel gives wrong results"
                    + " on Fake GPU"), forced.getMessage());
            assertTrue(forced.getMessage().endsWith("It will not be launched again; please report this with the"
                    + " output of the kernels check (kernels/README.md)."), forced.getMessage());
            assertNull(kernels.wgmmaWithdrawn());
            // a failed kernel stays failed: no launch, the same message
            assertEquals(2, FakeDriver.takeLaunches(library).size());   // the probe and the one product
            IllegalStateException again = assertThrows(IllegalStateException.class, () -> kernels.gemm(
                    GemmFamily.WGMMA_256, GemmPrecision.BF16, Gemm.of(false, true, 30, 40, 64), 1f, a, 0, b, 0, 0.5f,
                    c, 0));
            assertEquals(forced.getMessage(), again.getMessage());
            assertEquals(List.of(), FakeDriver.takeLaunches(library));
            // AUTO, coming to the same kernel, leaves the warpgroup kernels without launching it again
            kernels.gemm(GemmPrecision.BF16, Gemm.of(false, true, 30, 40, 64), 1f, a, 0, b, 0, 0.5f, c, 0);
            assertEquals(forced.getMessage(), kernels.wgmmaWithdrawn());
            assertEquals(List.of("carpathia_gemm_bf16_nt_vec grid=1,1,1 block=256,1,1 shared=0 first=30,40,64"),
                    FakeDriver.takeLaunches(library));
            c.write(before, 0);

            // a wrong warp-level kernel: values off by one
            IllegalStateException nn = assertThrows(IllegalStateException.class,
                    () -> kernels.sgemm(Gemm.of(false, false, 9, 11, 13), 1f, a, 0, b, 0, 0f, c, 0));
            assertTrue(nn.getMessage().contains("carpathia_sgemm_nn computed C[0, 0] = 1.8125 where A and B give 0.8125"),
                    nn.getMessage());
            // a kernel that writes one float past C
            Gemm tn = Gemm.of(true, false, 9, 11, 13).batched(2);
            IllegalStateException past = assertThrows(IllegalStateException.class,
                    () -> kernels.sgemm(tn, 1f, a, 0, b, 0, 0f, c, 0));
            assertTrue(past.getMessage().contains("carpathia_sgemm_tn wrote outside its output: byte "
                    + tn.extentC() * 4 + " of its output changed (the output is bytes 0 to " + (tn.extentC() * 4 - 1)
                    + ")"), past.getMessage());
            assertArrayEquals(before, read(c, before.length));   // no failed product touched C
            assertFalse(kernels.checkedKernels().contains("carpathia_sgemm_tn"));
        }
    }

    /** Random NF4 codes and float absmax in [0.5, 1.5) on the device. */
    private static DeviceNf4 nf4(CudaContext gpu, Nf4Layout layout, List<DeviceBuffer> buffers, long seed) {
        Random random = new Random(seed);
        byte[] packed = new byte[Math.toIntExact(layout.packedBytes())];
        random.nextBytes(packed);
        float[] absmax = new float[Math.toIntExact(layout.blocks())];
        for (int i = 0; i < absmax.length; i++) absmax[i] = 0.5f + random.nextFloat();
        DeviceBuffer devicePacked = gpu.allocate(packed.length);
        DeviceBuffer deviceAbsmax = gpu.allocate(absmax.length * 4L);
        buffers.add(devicePacked);
        buffers.add(deviceAbsmax);
        devicePacked.write(packed, 0);
        deviceAbsmax.write(absmax, 0);
        return DeviceNf4.plain(layout, devicePacked, deviceAbsmax);
    }

    @Test
    void nf4KernelsAreCheckedOnTheirFirstLaunchAndAWrongOneIsRefused() throws Exception {
        List<DeviceBuffer> buffers = new ArrayList<>();
        Nf4Layout layout = Nf4Layout.of(40 * 64);   // W [40, 64]
        for (String flavour : List.of(FakeDriver.WORKING, FakeDriver.BROKEN)) {
            try (CudaContext gpu = CudaContext.open(FakeDriver.library(flavour).toString(), 0)) {
                CudaKernels kernels = new CudaKernels(gpu);
                DeviceNf4 weights = nf4(gpu, layout, buffers, 9);
                try (DeviceBuffer out = gpu.allocate(layout.elements() * 4); DeviceBuffer x = gpu.allocate(64 * 4);
                     DeviceBuffer y = gpu.allocate(40 * 4)) {
                    out.fill32(0, layout.elements(), Float.floatToRawIntBits(-7f));
                    x.write(values(10, 64), 0);
                    if (flavour.equals(FakeDriver.WORKING)) {
                        kernels.nf4Dequantize(weights, out, 0, Nf4Output.F32);
                        kernels.nf4Gemv(weights, 40, 64, x, 0, y, 0);
                        assertEquals(Set.of("carpathia_nf4_dequantize_f32/vectorised",
                                "carpathia_nf4_gemv/vectorised"), kernels.checkedKernels());
                    } else {
                        IllegalStateException wrong = assertThrows(IllegalStateException.class,
                                () -> kernels.nf4Dequantize(weights, out, 0, Nf4Output.F32));
                        assertTrue(wrong.getMessage().startsWith("the carpathia_nf4_dequantize_f32/vectorised kernel "
                                + "gives wrong results on Fake GPU"), wrong.getMessage());
                        assertTrue(wrong.getMessage().contains("dequantized element 0 of 2560 to "), wrong.getMessage());
                        assertEquals(-7f, read(out, 1)[0]);   // the output was not touched
                        IllegalStateException gemv = assertThrows(IllegalStateException.class,
                                () -> kernels.nf4Gemv(weights, 40, 64, x, 0, y, 0));
                        assertTrue(gemv.getMessage().contains("carpathia_nf4_gemv/vectorised computed y[0] = "),
                                gemv.getMessage());
                    }
                } finally {
                    for (DeviceBuffer buffer : buffers) buffer.close();
                    buffers.clear();
                }
            }
        }
    }

    @Test
    void nf4SamplesCoverBothNibblesAndTheBlockAndGroupEdges() {
        assertArrayEquals(new long[] {0, 1, 2}, KernelSpotCheck.nf4Samples(Nf4Layout.of(3)));
        assertArrayEquals(new long[] {0, 1, 63, 64, 65, 16383, 16384, 21845, 32769, 43690, 65534, 65535},
                KernelSpotCheck.nf4Samples(Nf4Layout.doubleQuantized(65536)));
    }

    @Test
    void samplesSpreadOverRowsColumnsAndTheEndsOfABatch() {
        assertArrayEquals(new int[] {0}, KernelSpotCheck.spread(1));
        assertArrayEquals(new int[] {0, 1}, KernelSpotCheck.spread(2));
        // rows in both warpgroups (of 64 rows) and rows 0, 5, 2 and 7 of the 8-row swizzle pattern
        assertArrayEquals(new int[] {0, 1365, 2730, 4095}, KernelSpotCheck.spread(4096));
        assertArrayEquals(new int[] {0}, KernelSpotCheck.sampledBatches(Gemm.of(false, true, 4, 4, 4)));
        assertArrayEquals(new int[] {0, 4}, KernelSpotCheck.sampledBatches(Gemm.of(false, true, 4, 4, 4).batched(5)));
    }
}
