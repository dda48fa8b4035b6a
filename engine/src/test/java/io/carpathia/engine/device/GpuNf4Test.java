package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.quant.Nf4Tensor;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.Nf4Data;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** NF4 dequantization through a device: one call for both, the same bits, the codes uploaded once. */
class GpuNf4Test {

    @Test
    void theGpuGivesTheCpusBitsAndKeepsTheCodes() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        for (Nf4Layout layout : List.of(Nf4Layout.of(33 * 65), Nf4Layout.doubleQuantized(129 * 70 + 1))) {
            long elements = layout.elements();
            Nf4Tensor weight = Nf4Tensor.of(new long[] {elements}, Nf4Data.random(layout, new SplittableRandom(elements)));
            INDArray cpu = Device.cpu().dequantizeNf4(weight);
            INDArray first = gpu.dequantizeNf4(weight);
            INDArray second = gpu.dequantizeNf4(weight);
            assertArrayEquals(Native.toDoubles(cpu), Native.toDoubles(first));
            assertArrayEquals(Native.toDoubles(cpu), Native.toDoubles(second));
            assertEquals(List.of("nf4Dequantize " + elements, "nf4Dequantize " + elements),
                    FakeGpu.kernels(gpu).takeCalls());
        }
        Device.CacheStatistics s = gpu.cacheStatistics();
        assertEquals(2, s.uploads());
        assertEquals(2, s.hits());
        assertEquals(2, s.entries());
    }

    @Test
    void aFloat64OutputIsDequantizedOnTheCpu() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Nf4Tensor weight = Nf4Tensor.of(new long[] {8, 16}, Nf4Data.random(Nf4Layout.of(128), new SplittableRandom(3)));
        INDArray out = org.nd4j.linalg.factory.Nd4j.createUninitialized(DataType.DOUBLE, 8, 16);
        gpu.dequantizeNf4(weight, out);
        assertArrayEquals(Native.toDoubles(Device.cpu().dequantizeNf4(weight)), Native.toDoubles(out));
        assertEquals(List.of(), FakeGpu.kernels(gpu).takeCalls());
    }
}
