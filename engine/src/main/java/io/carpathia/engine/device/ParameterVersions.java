package io.carpathia.engine.device;

import io.carpathia.engine.autograd.Tensor;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Change counters of the arrays that may be kept on a GPU between steps: parameters. A GPU device keeps a copy of a
 * tracked array and serves it again only while the array's counter still reads what it read when the copy was made;
 * every engine path that writes a parameter bumps the counter, so the next product uploads the new values.
 *
 * <p>Tracked: every parameter a {@code Module} registers and every tensor an {@code Optimizer} updates. Everything
 * else (inputs, activations, gradients, pooled buffers whose contents change from op to op) is never cached: it is
 * copied to the GPU for each product that reads it.
 *
 * <p>The writers that bump: {@code Optimizer.step()}, {@code Module.loadStateDict}, {@code Tensor.assign} and the
 * checkpoint loaders. Code that writes a parameter's array any other way ({@code param.value().putScalar(...)}, a
 * hand-written loop over its buffer) must call {@link #changed(INDArray)} afterwards; otherwise a GPU may go on
 * using the values it copied before the write.
 *
 * <p>Counters are held weakly (an array that is garbage takes its counter with it) and compared by identity: a
 * reshaped view of a parameter is a different array, which is simply not cached.
 */
public final class ParameterVersions {
    private ParameterVersions() {}

    private static final WeakIdentityMap<INDArray, AtomicLong> VERSIONS = new WeakIdentityMap<>();

    /** Marks {@code array} as a parameter that devices may cache. Tracking an array twice changes nothing. */
    public static void track(INDArray array) {
        synchronized (VERSIONS) {
            VERSIONS.expunge();
            if (VERSIONS.get(array) == null) VERSIONS.put(array, new AtomicLong());
        }
    }

    /** {@link #track(INDArray)} of the tensor's value. */
    public static void track(Tensor tensor) {
        track(tensor.value());
    }

    /**
     * Records that {@code array}'s values were written: device copies made before are out of date. Call it after
     * the write. Does nothing for arrays that are not tracked (no device keeps a copy of those).
     */
    public static void changed(INDArray array) {
        AtomicLong version;
        synchronized (VERSIONS) {
            version = VERSIONS.get(array);
        }
        if (version != null) version.incrementAndGet();
    }

    /** {@link #changed(INDArray)} of the tensor's value. */
    public static void changed(Tensor tensor) {
        changed(tensor.value());
    }

    /** Whether devices may cache {@code array}. */
    public static boolean isTracked(INDArray array) {
        return counter(array) != null;
    }

    /** The change counter of a tracked array, or {@code null}: the cache compares it before serving a copy. */
    static AtomicLong counter(INDArray array) {
        synchronized (VERSIONS) {
            return VERSIONS.get(array);
        }
    }
}
