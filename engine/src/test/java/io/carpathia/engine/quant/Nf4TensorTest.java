package io.carpathia.engine.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.cpu.Native;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.Nf4Data;
import io.carpathia.kernels.reference.Nf4Reference;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The CPU side of NF4 dequantization, against the kernels module's reference, bit for bit. */
class Nf4TensorTest {

    private static float[] floats(INDArray a) {
        double[] d = Native.toDoubles(a);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Property(tries = 20)
    void dequantizationEqualsTheReferenceBitForBit(@ForAll @IntRange(min = 1, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 97) int cols, @ForAll boolean doubleQuantized, @ForAll long seed) {
        Nf4Layout layout = doubleQuantized ? Nf4Layout.doubleQuantized((long) rows * cols) : Nf4Layout.of((long) rows * cols);
        Nf4Data data = Nf4Data.random(layout, new SplittableRandom(seed));
        Nf4Tensor weight = Nf4Tensor.of(new long[] {rows, cols}, data);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        weight.dequantizeOnCpu(out);
        float[] expected = Nf4Reference.dequantize(data);
        float[] actual = floats(out);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
        INDArray wide = Nd4j.createUninitialized(DataType.DOUBLE, (long) rows * cols);   // float64 and flat: the same values
        weight.dequantizeOnCpu(wide);
        double[] widened = Native.toDoubles(wide);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], widened[i], 0.0);
    }

    @Test
    void aHandMadeBlock() {
        // codes 0x7F: element 0 -> level 7 (0.0), element 1 -> level 15 (1.0); 0x0A: level 0 (-1.0), level 10
        Nf4Data data = Nf4Data.plain(Nf4Layout.of(4), new byte[] {0x7F, 0x0A}, new float[] {2.5f});
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, 2, 2);
        Nf4Tensor.of(new long[] {2, 2}, data).dequantizeOnCpu(out);
        assertArrayEquals(new float[] {0f, 2.5f, -2.5f, Nf4Reference.level(10) * 2.5f}, floats(out));
    }

    @Test
    void theTensorKeepsItsOwnCopyOfTheCodes() {
        byte[] packed = {0x7F, 0x0A};
        float[] absmax = {2.5f};
        Nf4Tensor weight = Nf4Tensor.of(new long[] {4}, Nf4Data.plain(Nf4Layout.of(4), packed, absmax));
        packed[0] = 0;
        absmax[0] = 100f;
        weight.data().packed()[1] = 0;
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, 4);
        weight.dequantizeOnCpu(out);
        assertEquals(2.5f, floats(out)[1]);
        assertEquals(-2.5f, floats(out)[2]);
    }

    @Test
    void badShapesAndOutputsAreNamed() {
        Nf4Data data = Nf4Data.plain(Nf4Layout.of(6), new byte[3], new float[1]);
        ShapeException shape = assertThrows(ShapeException.class, () -> Nf4Tensor.of(new long[] {2, 2}, data));
        assertEquals("Nf4Tensor: the quantized data holds 6 elements, shape [2, 2] has 4", shape.getMessage());
        Nf4Tensor weight = Nf4Tensor.of(new long[] {2, 3}, data);
        ShapeException length = assertThrows(ShapeException.class,
                () -> weight.dequantizeOnCpu(Nd4j.createUninitialized(DataType.FLOAT, 5)));
        assertEquals("Nf4Tensor.dequantizeOnCpu: the output [5] has 5 elements, the quantized tensor [2, 3] has 6",
                length.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> weight.dequantizeOnCpu(Nd4j.createUninitialized(DataType.HALF, 2, 3)));
        assertEquals("Nf4Tensor.dequantizeOnCpu: the output must be FLOAT or DOUBLE, got HALF", type.getMessage());
        IllegalArgumentException strided = assertThrows(IllegalArgumentException.class,
                () -> weight.dequantizeOnCpu(Nd4j.createUninitialized(DataType.FLOAT, 3, 2).transpose()));
        assertEquals(true, strided.getMessage().startsWith("Nf4Tensor.dequantizeOnCpu: the output must be a dense"));
    }
}
