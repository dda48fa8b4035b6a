package io.carpathia.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.testing.Gen;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float32 path of {@link Reduce#sumTo} for a bias gradient (rows summed into one): pieces on several threads,
 * float sums folded into double every few rows, pieces added in order. Held to a double sum of the same values.
 */
class ReduceSumToTest {

    @Property(tries = 30)
    void floatRowsSumToTheirDoubleSum(@ForAll @IntRange(min = 1, max = 3000) int rows,
                                      @ForAll @IntRange(min = 1, max = 70) int inner, @ForAll long seed,
                                      @ForAll boolean accumulate) {
        INDArray src = Gen.randn(seed, rows, inner).castTo(DataType.FLOAT).value().add(3f); // an offset, as biases get
        double[] values = Native.toDoubles(src);
        double start = 0.25;
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, inner);
        Native.fill(out, start);
        Reduce.sumTo(src, out, accumulate);
        double[] got = Native.toDoubles(out);
        for (int j = 0; j < inner; j++) {
            double sum = accumulate ? start : 0;
            double abs = Math.abs(sum);
            for (int r = 0; r < rows; r++) {
                sum += values[r * inner + j];
                abs += Math.abs(values[r * inner + j]);
            }
            // at most 32 float32 roundings of the partial sums, then one rounding of the total to float32
            assertEquals(sum, got[j], 32 * 0x1p-24 * abs + 0x1p-24 * Math.abs(sum) + 1e-30, "column " + j);
        }
    }
}
