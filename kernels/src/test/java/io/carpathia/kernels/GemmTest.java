package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmTest {

    @Test
    void denseShapesHaveRowLengthsAsLeadingDimensions() {
        Gemm nn = Gemm.of(false, false, 3, 5, 7);
        assertEquals(7, nn.lda());
        assertEquals(5, nn.ldb());
        assertEquals(5, nn.ldc());
        Gemm tn = Gemm.of(true, false, 3, 5, 7);
        assertEquals(3, tn.lda());
        assertEquals(7, tn.rowsA());
        assertEquals(3, tn.colsA());
        Gemm nt = Gemm.of(false, true, 3, 5, 7);
        assertEquals(7, nt.ldb());
        assertEquals(5, nt.rowsB());
    }

    @Test
    void extentsCoverAllBatchesAndStopAtTheLastElement() {
        Gemm g = Gemm.of(false, false, 3, 5, 4).withLeadingDimensions(6, 8, 9).batched(2, 100, 0, 50);
        assertEquals(100 + 2 * 6 + 4, g.extentA());
        assertEquals(3 * 8 + 5, g.extentB()); // stride 0: one B shared by both batches
        assertEquals(50 + 2 * 9 + 5, g.extentC());
        assertEquals(0, Gemm.of(false, false, 0, 5, 4).extentA());
        Gemm dense = Gemm.of(true, false, 3, 5, 4).batched(3);
        assertEquals(12, dense.strideA());
        assertEquals(20, dense.strideB());
        assertEquals(15, dense.strideC());
    }

    @Test
    void badShapesAreRejectedWithTheArgumentNamed() {
        IllegalArgumentException lda = assertThrows(IllegalArgumentException.class,
                () -> Gemm.of(false, false, 3, 5, 7).withLeadingDimensions(6, 5, 5));
        assertEquals("gemm: lda=6 is less than the 7 columns of its matrix (A is [m, k], row-major)", lda.getMessage());
        IllegalArgumentException ldb = assertThrows(IllegalArgumentException.class,
                () -> Gemm.of(false, true, 3, 5, 7).withLeadingDimensions(7, 5, 5));
        assertEquals("gemm: ldb=5 is less than the 7 columns of its matrix (B is [n, k], row-major)", ldb.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.of(true, true, 3, 5, 7));
        assertThrows(IllegalArgumentException.class, () -> Gemm.of(false, false, -1, 5, 7));
        assertThrows(IllegalArgumentException.class, () -> Gemm.of(false, false, 3, 5, 7).batched(0));
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> Gemm.of(false, false, 3, 5, 7).batched(2, 21, 35, 14));
        assertEquals("gemm: strideC=14 makes the 2 outputs overlap (each spans 15 elements)", overlap.getMessage());
    }

    @Test
    void vectorisationNeedsAlignmentAndMultiplesOfTheVector() {
        Gemm g = Gemm.of(false, false, 5, 8, 12);
        assertTrue(g.vectorisable(GemmPrecision.FP32, 0, 16, 32));
        assertFalse(g.vectorisable(GemmPrecision.FP32, 4, 16, 32), "A not 16-byte aligned");
        assertFalse(g.vectorisable(GemmPrecision.BF16, 0, 16, 32), "k = 12 is not a multiple of 8 bfloat16s");
        assertTrue(Gemm.of(false, false, 5, 8, 16).vectorisable(GemmPrecision.BF16, 0, 16, 32));
        assertFalse(Gemm.of(false, false, 5, 6, 12).vectorisable(GemmPrecision.FP32, 0, 16, 32), "n = 6");
        assertFalse(g.batched(2, 62, 96, 40).vectorisable(GemmPrecision.FP32, 0, 16, 32), "strideA = 62");
        assertFalse(Gemm.of(true, false, 5, 8, 12).vectorisable(GemmPrecision.FP32, 0, 16, 32),
                "A^T has m = 5 columns");
    }

    @Test
    void kernelNamesAndGrid() {
        Gemm g = Gemm.of(false, true, 129, 300, 7).batched(70000);
        assertEquals("carpathia_sgemm_nt", g.kernelName(GemmPrecision.FP32, false));
        assertEquals("carpathia_gemm_tf32_nt_vec", g.kernelName(GemmPrecision.TF32, true));
        assertEquals("carpathia_gemm_bf16_tn", Gemm.of(true, false, 1, 1, 1).kernelName(GemmPrecision.BF16, false));
        assertEquals(3, g.gridX());
        assertEquals(2, g.gridY());
        assertEquals(65535, g.gridZ());
    }
}
