package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** narrow, split, chunk and concat: forward values by hand, gradients by finite differences, error messages. */
class SliceConcatTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes(1, 4, 4);
    }

    @Property
    void narrowGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        long size = shape[dim];
        long start = r.nextInt((int) size);
        long length = 1 + r.nextInt((int) (size - start));
        // a negative start counts from the end, as in PyTorch
        long given = r.nextBoolean() ? start : start - size;
        int dimArg = r.nextBoolean() ? dim : dim - shape.length;
        Tensor x = Gen.randn(seed, shape);
        Tensor y = x.narrow(dimArg, given, length);
        long[] expected = shape.clone();
        expected[dim] = length;
        assertArrayEquals(expected, y.shape());
        GradCheck.assertGradients(in -> in.get(0).narrow(dimArg, given, length), List.of(x));
    }

    @Property
    void splitPiecesRejoinAndEachHasItsOwnGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        long size = 1 + r.nextInt((int) shape[dim] + 1);
        Tensor x = Gen.randn(seed, shape);
        List<Tensor> pieces = x.split(size, dim);
        assertEquals((shape[dim] + size - 1) / size, pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            assertEquals(Math.min(size, shape[dim] - i * size), pieces.get(i).shape()[dim]);
        }
        assertArrayEquals(x.toDoubleArray(), ShapeOps.concat(pieces, dim).toDoubleArray(), 0);
        // every piece scaled differently, so a piece whose gradient lands in the wrong place is caught
        GradCheck.assertGradients(in -> {
            List<Tensor> ps = in.get(0).split(size, dim);
            List<Tensor> scaled = new ArrayList<>();
            for (int i = 0; i < ps.size(); i++) scaled.add(ps.get(i).mul(i + 1));
            return ShapeOps.concat(scaled, dim);
        }, List.of(x));
        int last = pieces.size() - 1;
        GradCheck.assertGradients(in -> in.get(0).split(size, dim).get(last), List.of(x));
    }

    @Property
    void chunkGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        int chunks = 1 + r.nextInt(5);
        Tensor x = Gen.randn(seed, shape);
        List<Tensor> pieces = x.chunk(chunks, dim);
        long step = (shape[dim] + chunks - 1) / chunks;
        assertEquals((shape[dim] + step - 1) / step, pieces.size());
        GradCheck.assertGradients(in -> {
            List<Tensor> ps = in.get(0).chunk(chunks, dim);
            Tensor acc = ps.get(0).sum();
            for (int i = 1; i < ps.size(); i++) acc = acc.add(ps.get(i).pow(2).sum().mul(i));
            return acc;
        }, List.of(x));
    }

    @Property
    void concatGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        int count = 1 + r.nextInt(3);
        List<Tensor> xs = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < count; i++) {
            long[] s = shape.clone();
            s[dim] = 1 + r.nextInt(3);
            total += s[dim];
            xs.add(Gen.randn(seed + i, s));
        }
        int dimArg = r.nextBoolean() ? dim : dim - shape.length;
        assertEquals(total, ShapeOps.concat(xs, dimArg).shape()[dim]);
        GradCheck.assertGradients(in -> ShapeOps.concat(in, dimArg), xs);
    }

    @Test
    void narrowByHand() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4);
        assertArrayEquals(new double[] {2, 3, 6, 7, 10, 11}, x.narrow(1, 1, 2).toDoubleArray(), 0);
        assertArrayEquals(new double[] {5, 6, 7, 8, 9, 10, 11, 12}, x.narrow(0, 1, 2).toDoubleArray(), 0);
        assertArrayEquals(new double[] {4, 8, 12}, x.narrow(-1, -1, 1).toDoubleArray(), 0);
        assertArrayEquals(new long[] {3, 0}, x.narrow(1, 4, 0).shape());
    }

    @Test
    void narrowGradientIsZeroOutsideTheSlice() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        x.narrow(1, 1, 2).mul(Tensor.of(new double[] {10, 20, 30, 40}, 2, 2)).sum().backward();
        assertArrayEquals(new double[] {0, 10, 20, 0, 30, 40}, Tensor.of(x.grad()).toDoubleArray(), 0);
    }

    @Test
    void splitAndChunkFollowPyTorch() {
        Tensor x = Tensor.of(new double[] {0, 1, 2, 3, 4}, 5);
        List<Tensor> s = x.split(2, 0);
        assertEquals(3, s.size());
        assertArrayEquals(new double[] {0, 1}, s.get(0).toDoubleArray(), 0);
        assertArrayEquals(new double[] {2, 3}, s.get(1).toDoubleArray(), 0);
        assertArrayEquals(new double[] {4}, s.get(2).toDoubleArray(), 0);
        assertEquals(1, x.split(7, 0).size());
        // torch.arange(5).chunk(3) -> sizes 2, 2, 1; torch.arange(6).chunk(4) -> 2, 2, 2 (only three pieces)
        assertEquals(List.of(2L, 2L, 1L), sizes(x.chunk(3, 0)));
        Tensor six = Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 6);
        assertEquals(List.of(2L, 2L, 2L), sizes(six.chunk(4, 0)));
        assertEquals(List.of(1L, 1L, 1L, 1L, 1L, 1L), sizes(six.chunk(10, 0)));
        Tensor m = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        List<Tensor> cols = m.chunk(2, 1);
        assertArrayEquals(new double[] {1, 2, 4, 5}, cols.get(0).toDoubleArray(), 0);
        assertArrayEquals(new double[] {3, 6}, cols.get(1).toDoubleArray(), 0);
    }

    private static List<Long> sizes(List<Tensor> pieces) {
        List<Long> s = new ArrayList<>();
        for (Tensor p : pieces) s.add(p.shape()[0]);
        return s;
    }

    @Test
    void piecesOfOneTensorAccumulateIntoItsGradient() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4).requiresGrad(true);
        List<Tensor> halves = x.chunk(2, 0);
        halves.get(0).mul(3).sum().add(halves.get(1).mul(halves.get(1)).sum()).backward();
        assertArrayEquals(new double[] {3, 3, 6, 8}, Tensor.of(x.grad()).toDoubleArray(), 1e-6);
    }

    @Test
    void concatByHand() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.of(new double[] {5, 6}, 2, 1);
        Tensor c = Tensor.of(new double[] {7, 8}, 1, 2);
        Tensor ab = ShapeOps.concat(List.of(a, b), 1);
        assertArrayEquals(new long[] {2, 3}, ab.shape());
        assertArrayEquals(new double[] {1, 2, 5, 3, 4, 6}, ab.toDoubleArray(), 0);
        assertArrayEquals(new double[] {1, 2, 3, 4, 7, 8}, ShapeOps.concat(List.of(a, c), 0).toDoubleArray(), 0);
        assertSame(DataType.DOUBLE, ShapeOps.concat(List.of(a, b.castTo(DataType.DOUBLE)), -1).dtype());
    }

    @Test
    void concatGradientSlicesGBackToEachInput() {
        Tensor a = Tensor.of(new double[] {1, 2}, 1, 2).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {3, 4, 5, 6}, 2, 2);
        Tensor c = Tensor.of(new double[] {7, 8}, 1, 2).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
        ShapeOps.concat(List.of(a, b, c), 0).mul(w).sum().backward();
        assertArrayEquals(new double[] {1, 2}, Tensor.of(a.grad()).toDoubleArray(), 0);
        assertArrayEquals(new double[] {7, 8}, Tensor.of(c.grad()).toDoubleArray(), 0);
        assertEquals(null, b.grad());
    }

    @Test
    void integerIdsSliceAndJoin() {
        // e.g. a language model's inputs and targets: ids[:, :-1] and ids[:, 1:]
        Tensor ids = Tensor.indices(new long[] {5, 6, 7, 8, 1, 2, 3, 4}, 2, 4);
        Tensor inputs = ids.narrow(1, 0, 3);
        Tensor targets = ids.narrow(1, 1, 3);
        assertSame(DataType.LONG, targets.dtype());
        assertArrayEquals(new long[] {5, 6, 7, 1, 2, 3}, inputs.value().data().asLong());
        assertArrayEquals(new long[] {6, 7, 8, 2, 3, 4}, targets.value().data().asLong());
        Tensor joined = ShapeOps.concat(List.of(targets, inputs.narrow(1, 0, 1)), 1);
        assertArrayEquals(new long[] {6, 7, 8, 5, 2, 3, 4, 1}, joined.value().data().asLong());
    }

    @Test
    void errorsNameTheOpAndWhatWasWrong() {
        Tensor x = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> x.narrow(1, 2, 2));
        assertEquals("narrow: start 2 and length 2 do not fit dimension 1 of size 3 (tensor [2, 3])", e.getMessage());
        e = assertThrows(ShapeException.class, () -> x.narrow(2, 0, 1));
        assertEquals("narrow: dimension 2 is out of range for a tensor of rank 2", e.getMessage());
        assertThrows(ShapeException.class, () -> x.narrow(0, -3, 1));
        assertThrows(ShapeException.class, () -> x.narrow(0, 0, -1));
        e = assertThrows(ShapeException.class, () -> Tensor.scalar(1).narrow(0, 0, 1));
        assertEquals("narrow: cannot slice a scalar (shape [])", e.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> x.split(0, 1));
        assertEquals("split: the piece size must be positive, got 0", s.getMessage());
        s = assertThrows(IllegalArgumentException.class, () -> x.chunk(0, 1));
        assertEquals("chunk: the number of chunks must be positive, got 0", s.getMessage());
        e = assertThrows(ShapeException.class, () -> ShapeOps.concat(List.of(x, Tensor.zeros(3, 3)), 1));
        assertEquals("concat: tensor 1 has shape [3, 3], expected [2, *] to join tensor 0 [2, 3] along dimension 1",
                e.getMessage());
        e = assertThrows(ShapeException.class, () -> ShapeOps.concat(List.of(x, Tensor.zeros(2, 3, 1)), 0));
        assertEquals("concat: tensor 1 has shape [2, 3, 1], expected [*, 3] to join tensor 0 [2, 3] along dimension 0",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShapeOps.concat(List.of(), 0));
        s = assertThrows(IllegalArgumentException.class,
                () -> ShapeOps.concat(List.of(x, Tensor.indices(new long[] {1, 2, 3}, 1, 3)), 0));
        assertEquals("concat: tensor 0 is FLOAT but tensor 1 is LONG; join floating tensors with floating ones and "
                + "integer tensors of one type", s.getMessage());
    }
}
