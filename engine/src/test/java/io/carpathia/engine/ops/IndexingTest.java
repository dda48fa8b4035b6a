package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** indexSelect, gather, embedding, maskedFill and where: values by hand, gradients by finite differences, errors. */
class IndexingTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes(1, 4, 4);
    }

    @Provide
    Arbitrary<long[]> anyShapes() {
        return Gen.shapes();
    }

    /** {@code count} random integers in [0, bound) as an INT64 or INT32 tensor of the given shape. */
    private static Tensor randomIndices(Random r, long bound, boolean int32, long... shape) {
        long[] v = new long[(int) numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt((int) bound);
        Tensor t = Tensor.indices(v, shape);
        return int32 ? Tensor.of(t.value().castTo(org.nd4j.linalg.api.buffer.DataType.INT)) : t;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** x's shape with some leading dimensions dropped and some others set to 1: a shape that broadcasts to it. */
    private static long[] broadcastableTo(Random r, long[] shape) {
        int drop = r.nextInt(shape.length + 1);
        long[] s = new long[shape.length - drop];
        for (int i = 0; i < s.length; i++) s[i] = r.nextInt(3) == 0 ? 1 : shape[i + drop];
        return s;
    }

    /** A random mask of this shape: BOOL, INT32 or FLOAT (0/1 or arbitrary non-zero values). */
    private static Tensor randomMask(Random r, long[] shape, int kind) {
        int n = (int) numel(shape);
        boolean[] on = new boolean[n];
        for (int i = 0; i < n; i++) on[i] = r.nextBoolean();
        INDArray a = switch (kind) {
            case 0 -> Nd4j.createFromArray(on);
            case 1 -> {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = on[i] ? 1 + r.nextInt(5) : 0;
                yield Nd4j.createFromArray(v);
            }
            default -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = on[i] ? (float) (r.nextGaussian() + 3) : 0f;
                yield Nd4j.createFromArray(v);
            }
        };
        return Tensor.of(a.reshape(shape));
    }

    @Property
    void indexSelectGradientAccumulatesRepeatedIndices(@ForAll("shapes") long[] shape, @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6) int count, @ForAll boolean int32) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        Tensor index = randomIndices(r, shape[dim], int32, count);
        Tensor x = Gen.randn(seed, shape);
        long[] expected = shape.clone();
        expected[dim] = count;
        assertArrayEquals(expected, x.indexSelect(dim, index).shape());
        GradCheck.assertGradients(in -> in.get(0).indexSelect(dim, index), List.of(x));
    }

    @Property
    void gatherGradient(@ForAll("shapes") long[] shape, @ForAll long seed, @ForAll boolean int32) {
        Random r = new Random(seed);
        int dim = r.nextInt(shape.length);
        // index: no larger than x outside dim, any length along it
        long[] indexShape = new long[shape.length];
        for (int k = 0; k < shape.length; k++) indexShape[k] = k == dim ? 1 + r.nextInt(5) : 1 + r.nextInt((int) shape[k]);
        Tensor index = randomIndices(r, shape[dim], int32, indexShape);
        Tensor x = Gen.randn(seed, shape);
        assertArrayEquals(indexShape, x.gather(dim, index).shape());
        GradCheck.assertGradients(in -> in.get(0).gather(dim, index), List.of(x));
    }

    @Property
    void embeddingGradient(@ForAll @IntRange(min = 1, max = 5) int vocab, @ForAll @IntRange(min = 1, max = 4) int width,
            @ForAll("anyShapes") long[] idShape, @ForAll long seed) {
        Random r = new Random(seed);
        Tensor ids = randomIndices(r, vocab, r.nextBoolean(), idShape);
        Tensor weight = Gen.randn(seed, vocab, width);
        long[] expected = java.util.Arrays.copyOf(idShape, idShape.length + 1);
        expected[idShape.length] = width;
        assertArrayEquals(expected, Indexing.embedding(weight, ids).shape());
        GradCheck.assertGradients(in -> Indexing.embedding(in.get(0), ids), List.of(weight));
    }

    @Property
    void maskedFillGradientIsZeroWhereFilled(@ForAll("anyShapes") long[] shape, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int kind) {
        Random r = new Random(seed);
        Tensor mask = randomMask(r, broadcastableTo(r, shape), kind);
        Tensor x = Gen.randn(seed, shape);
        Tensor y = x.maskedFill(mask, -7.5);
        // every element is x or the fill value, and where it differs from x the mask is on
        double[] xv = x.toDoubleArray();
        double[] yv = y.toDoubleArray();
        for (int i = 0; i < xv.length; i++) assertTrue(yv[i] == xv[i] || yv[i] == -7.5);
        GradCheck.assertGradients(in -> in.get(0).maskedFill(mask, -7.5), List.of(x));
    }

    @Property
    void whereGradientWithBroadcasting(@ForAll("anyShapes") long[] shape, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int kind) {
        Random r = new Random(seed);
        Tensor cond = randomMask(r, broadcastableTo(r, shape), kind);
        Tensor a = Gen.randn(seed, broadcastableTo(r, shape));
        Tensor b = Gen.randn(seed + 1, broadcastableTo(r, shape));
        Tensor c = Gen.randn(seed + 2, shape); // pins the result to the full shape whatever the others drop
        GradCheck.assertGradients(in -> Indexing.where(cond, in.get(0), in.get(1)).add(in.get(2)), List.of(a, b, c));
    }

    @Test
    void indexSelectByHand() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor rows = x.indexSelect(0, Tensor.indices(new long[] {2, 0, 2}, 3));
        assertArrayEquals(new long[] {3, 2}, rows.shape());
        assertArrayEquals(new double[] {5, 6, 1, 2, 5, 6}, rows.toDoubleArray(), 0);
        Tensor cols = x.indexSelect(-1, Tensor.indices(new long[] {1}, 1));
        assertArrayEquals(new double[] {2, 4, 6}, cols.toDoubleArray(), 0);
        // a 0-d index selects one slice and keeps the dimension (size 1)
        assertArrayEquals(new long[] {1, 2}, x.indexSelect(0, Tensor.indices(new long[] {1})).shape());
    }

    @Test
    void repeatedIndicesAccumulateTheirGradients() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        x.indexSelect(0, Tensor.indices(new long[] {0, 2, 0, 0}, 4)).mul(Tensor.of(new double[] {1, 10, 100, 1000}, 4))
                .sum().backward();
        assertArrayEquals(new double[] {1101, 0, 10}, Tensor.of(x.grad()).toDoubleArray(), 0);
    }

    @Test
    void gatherFollowsPyTorch() {
        // torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]])) == [[1, 1], [4, 3]]
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new double[] {1, 1, 4, 3}, t.gather(1, Tensor.indices(new long[] {0, 0, 1, 0}, 2, 2)).toDoubleArray(), 0);
        // dim 0: out[i][j] = x[index[i][j]][j]; index smaller than x in dim 1
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor g = x.gather(0, Tensor.indices(new long[] {1, 0, 1, 1, 0, 0}, 3, 2));
        assertArrayEquals(new long[] {3, 2}, g.shape());
        assertArrayEquals(new double[] {4, 2, 4, 5, 1, 2}, g.toDoubleArray(), 0);
        // gradient: scatter-add into the gathered positions
        Tensor v = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        v.gather(0, Tensor.indices(new long[] {1, 0, 1, 1, 0, 0}, 3, 2)).sum().backward();
        assertArrayEquals(new double[] {1, 2, 0, 2, 1, 0}, Tensor.of(v.grad()).toDoubleArray(), 0);
    }

    @Test
    void embeddingCopiesRowsAndScatterAddsTheirGradients() {
        Tensor w = Tensor.of(new double[] {0, 1, 10, 11, 20, 21}, 3, 2).requiresGrad(true);
        Tensor ids = Tensor.indices(new long[] {2, 0, 2, 2}, 2, 2);
        Tensor e = Indexing.embedding(w, ids);
        assertArrayEquals(new long[] {2, 2, 2}, e.shape());
        assertArrayEquals(new double[] {20, 21, 0, 1, 20, 21, 20, 21}, e.toDoubleArray(), 0);
        e.mul(Tensor.of(new double[] {1, 2}, 2)).sum().backward();
        assertArrayEquals(new double[] {1, 2, 0, 0, 3, 6}, Tensor.of(w.grad()).toDoubleArray(), 0);
        // a 0-d id gives one row of shape [D]
        assertArrayEquals(new double[] {10, 11}, Indexing.embedding(w, Tensor.indices(new long[] {1})).toDoubleArray(), 0);
    }

    @Test
    void maskedFillAndWhereByHand() {
        Tensor scores = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        // a causal-style row mask broadcast over rows: [3] -> [2, 3]
        Tensor mask = Tensor.of(Nd4j.createFromArray(new boolean[] {false, true, true}));
        double[] filled = scores.maskedFill(mask, Double.NEGATIVE_INFINITY).toDoubleArray();
        assertArrayEquals(new double[] {1, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 4,
                Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, filled, 0);
        Tensor column = Tensor.of(new double[] {0, 2}, 2, 1); // float mask: non-zero fills
        assertArrayEquals(new double[] {1, 2, 3, 0, 0, 0}, scores.maskedFill(column, 0).toDoubleArray(), 0);

        Tensor cond = Tensor.of(Nd4j.createFromArray(new int[] {1, 0, 3}));
        Tensor b = Tensor.scalar(-1);
        assertArrayEquals(new double[] {1, -1, 3, 4, -1, 6}, Indexing.where(cond, scores, b).toDoubleArray(), 0);

        Tensor a = Tensor.of(new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor bb = Tensor.of(new double[] {5}, 1).requiresGrad(true);
        Indexing.where(cond, a, bb).mul(Tensor.of(new double[] {10, 20, 30}, 3)).sum().backward();
        assertArrayEquals(new double[] {10, 0, 30}, Tensor.of(a.grad()).toDoubleArray(), 0);
        assertArrayEquals(new double[] {20}, Tensor.of(bb.grad()).toDoubleArray(), 0);
    }

    @Test
    void errorsNameTheOpTheArgumentAndTheValue() {
        Tensor w = Tensor.zeros(5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Indexing.embedding(w, Tensor.indices(new long[] {1, 5}, 2)));
        assertEquals("embedding: id 5 (element 1 of ids [2]) is out of range for a vocabulary of V = 5 rows "
                + "(weight [5, 3])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Indexing.embedding(w, Tensor.indices(new long[] {-1}, 1)));
        assertTrue(e.getMessage().startsWith("embedding: id -1 "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Indexing.embedding(w, Tensor.of(new double[] {1}, 1)));
        assertEquals("embedding: ids must be an integer tensor (INT64 or INT32), got FLOAT of shape [1]", e.getMessage());
        assertThrows(ShapeException.class, () -> Indexing.embedding(Tensor.zeros(5), Tensor.indices(new long[] {1}, 1)));

        ShapeException s = assertThrows(ShapeException.class,
                () -> w.indexSelect(1, Tensor.indices(new long[] {0, 3}, 2)));
        assertEquals("indexSelect: index[1] = 3 is out of range for dimension 1 of size 3 (x [5, 3])", s.getMessage());
        s = assertThrows(ShapeException.class, () -> w.indexSelect(2, Tensor.indices(new long[] {0}, 1)));
        assertEquals("indexSelect: dimension 2 is out of range for a tensor of rank 2", s.getMessage());
        s = assertThrows(ShapeException.class, () -> w.indexSelect(0, Tensor.indices(new long[] {0, 1}, 1, 2)));
        assertEquals("indexSelect: index must be 1-D, got shape [1, 2]", s.getMessage());

        s = assertThrows(ShapeException.class, () -> w.gather(0, Tensor.indices(new long[] {0, 1}, 2)));
        assertEquals("gather: index [2] must have the rank of x [5, 3] (2), got 1", s.getMessage());
        s = assertThrows(ShapeException.class, () -> w.gather(0, Tensor.indices(new long[] {0, 1, 2, 0}, 1, 4)));
        assertEquals("gather: index [1, 4] is larger than x [5, 3] in dimension 1 (4 > 3)", s.getMessage());
        s = assertThrows(ShapeException.class, () -> w.gather(1, Tensor.indices(new long[] {0, 1, 2, 3}, 2, 2)));
        assertEquals("gather: index value 3 at [1, 1] is out of range for dimension 1 of size 3 (x [5, 3])", s.getMessage());

        s = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).maskedFill(Tensor.zeros(4, 2, 3), 0));
        assertEquals("maskedFill: mask [4, 2, 3] does not broadcast to x's shape [2, 3]", s.getMessage());
        s = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).maskedFill(Tensor.zeros(2), 0));
        assertTrue(s.getMessage().startsWith("maskedFill: shapes [2, 3] and [2] cannot be broadcast"), s.getMessage());
        s = assertThrows(ShapeException.class, () -> Indexing.where(Tensor.zeros(3), Tensor.zeros(2, 3), Tensor.zeros(4, 1)));
        assertTrue(s.getMessage().startsWith("where: shapes [2, 3] and [4, 1] cannot be broadcast"), s.getMessage());
    }
}
