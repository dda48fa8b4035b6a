package io.carpathia.engine.testing;

import io.carpathia.engine.autograd.Tensor;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.nd4j.linalg.api.buffer.DataType;

/** Random shapes and tensors for property tests (shared with other modules through the engine's test-jar). */
public final class Gen {
    private Gen() {}

    /** Shapes of rank 0-4 with sizes 1-4: small enough for finite differences, size-1 dims included. */
    public static Arbitrary<long[]> shapes() {
        return shapes(0, 4, 4);
    }

    public static Arbitrary<long[]> shapes(int minRank, int maxRank, int maxSize) {
        return Arbitraries.longs().between(1, maxSize).array(long[].class).ofMinSize(minRank).ofMaxSize(maxRank);
    }

    /**
     * A pair of shapes that broadcast together: the second is the first with some dimensions set to 1 and some
     * leading ones dropped (either may be the "smaller" one).
     */
    public static Arbitrary<long[][]> broadcastPairs() {
        return Combinators.combine(shapes(), Arbitraries.longs(), Arbitraries.of(true, false)).as((s, seed, swap) -> {
            Random r = new Random(seed);
            int drop = s.length == 0 ? 0 : r.nextInt(s.length + 1);
            long[] t = new long[s.length - drop];
            for (int i = 0; i < t.length; i++) t[i] = r.nextInt(3) == 0 ? 1 : s[i + drop];
            return swap ? new long[][] {t, s} : new long[][] {s, t};
        });
    }

    public static Tensor randn(long seed, long... shape) {
        return Tensor.randn(new Random(seed), shape).castTo(DataType.DOUBLE);
    }

    /** Values bounded away from zero (for division, log, sqrt). */
    public static Tensor positive(long seed, long... shape) {
        return Tensor.uniform(new Random(seed), 0.5, 2.0, shape).castTo(DataType.DOUBLE);
    }
}
