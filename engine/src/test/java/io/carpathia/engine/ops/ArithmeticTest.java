package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import org.junit.jupiter.api.Test;

class ArithmeticTest {

    @Provide
    Arbitrary<long[][]> pairs() {
        return Gen.broadcastPairs();
    }

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes();
    }

    private static void checkBinary(long[][] shapes, long seed, BinaryOperator<Tensor> op, boolean positiveB) {
        Tensor a = Gen.randn(seed, shapes[0]);
        Tensor b = positiveB ? Gen.positive(seed + 1, shapes[1]) : Gen.randn(seed + 1, shapes[1]);
        GradCheck.assertGradients(in -> op.apply(in.get(0), in.get(1)), List.of(a, b));
    }

    @Property
    void addGradient(@ForAll("pairs") long[][] s, @ForAll long seed) {
        checkBinary(s, seed, Tensor::add, false);
    }

    @Property
    void subGradient(@ForAll("pairs") long[][] s, @ForAll long seed) {
        checkBinary(s, seed, Tensor::sub, false);
    }

    @Property
    void mulGradient(@ForAll("pairs") long[][] s, @ForAll long seed) {
        checkBinary(s, seed, Tensor::mul, false);
    }

    @Property
    void divGradient(@ForAll("pairs") long[][] s, @ForAll long seed) {
        checkBinary(s, seed, Tensor::div, true);
    }

    private static void checkUnary(long[] shape, long seed, UnaryOperator<Tensor> op, boolean positive) {
        Tensor x = positive ? Gen.positive(seed, shape) : Gen.randn(seed, shape);
        GradCheck.assertGradients(in -> op.apply(in.get(0)), List.of(x));
    }

    @Property
    void unaryGradients(@ForAll("shapes") long[] s, @ForAll long seed) {
        checkUnary(s, seed, Tensor::neg, false);
        checkUnary(s, seed, Tensor::exp, false);
        checkUnary(s, seed, Tensor::log, true);
        checkUnary(s, seed, Tensor::sqrt, true);
        checkUnary(s, seed, Tensor::abs, false);
        checkUnary(s, seed, x -> x.pow(2), false);
        checkUnary(s, seed, x -> x.pow(3.5), true);
        checkUnary(s, seed, x -> x.pow(-1.5), true);
        checkUnary(s, seed, x -> x.add(2.5), false);
        checkUnary(s, seed, x -> x.mul(-3), false);
        checkUnary(s, seed, Tensor::tanh, false);
        checkUnary(s, seed, Tensor::sigmoid, false);
        checkUnary(s, seed, Tensor::gelu, false);
        checkUnary(s, seed, Tensor::geluTanh, false);
    }

    @Property
    void reluGradientAwayFromKink(@ForAll("shapes") long[] s, @ForAll long seed) {
        // finite differences are undefined at 0: shift values away from it
        Tensor x = Gen.positive(seed, s).mul(Gen.randn(seed + 7, s).sigmoid().sub(0.5).mul(1e9).tanh());
        GradCheck.assertGradients(in -> in.get(0).relu(), List.of(x));
    }

    @Test
    void forwardValuesByHand() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new double[] {10, 20, 30}, 3);
        assertArrayEquals(new double[] {11, 22, 33, 14, 25, 36}, a.add(b).toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {-9, -18, -27, -6, -15, -24}, a.sub(b).toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {10, 40, 90, 40, 100, 180}, a.mul(b).toDoubleArray(), 1e-4);
        assertArrayEquals(new double[] {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, a.div(b).toDoubleArray(), 1e-6);
        Tensor col = Tensor.of(new double[] {1, -1}, 2, 1);
        assertArrayEquals(new double[] {2, 3, 4, 3, 4, 5}, a.add(col).toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {1, 4, 9, 16, 25, 36}, a.pow(2).toDoubleArray(), 1e-4);
        assertEquals(Math.exp(1), Tensor.scalar(1).exp().item(), 1e-6);
        assertEquals(Math.tanh(0.3), Tensor.scalar(0.3).tanh().item(), 1e-6);
        // GELU reference values (PyTorch: F.gelu(torch.tensor([1.0, -0.5])) and approximate='tanh')
        assertArrayEquals(new double[] {0.8413447, -0.1542687}, Tensor.of(new double[] {1, -0.5}, 2).gelu().toDoubleArray(), 2e-7);
        assertArrayEquals(new double[] {0.8411920, -0.1542859}, Tensor.of(new double[] {1, -0.5}, 2).geluTanh().toDoubleArray(), 2e-7);
    }

    @Test
    void mismatchedShapesNameTheOpAndBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        Tensor b = Tensor.zeros(4);
        ShapeException e = assertThrows(ShapeException.class, () -> a.mul(b));
        assertEquals("mul: shapes [2, 3] and [4] cannot be broadcast (dimension 1 of the result: 3 vs 4)", e.getMessage());
    }

    @Test
    void broadcastGradientIsSummedBackToTheInputShape() {
        Tensor a = Tensor.ones(2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        a.mul(b).sum().backward();
        assertArrayEquals(new long[] {3}, b.grad().shape());
        assertArrayEquals(new double[] {2, 2, 2}, Tensor.of(b.grad()).toDoubleArray(), 1e-6);
        assertArrayEquals(new double[] {1, 2, 3, 1, 2, 3}, Tensor.of(a.grad()).toDoubleArray(), 1e-6);
        assertEquals("[2, 3]", Shapes.str(a.grad().shape()));
    }
}
