package io.carpathia.engine.autograd;

import io.carpathia.engine.memory.ArrayPool;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What an op implementation needs from the autograd core: an output tensor over a pooled array, the recording of
 * its node, and the accumulation of its inputs' gradients. Every op follows the same shape:
 * <pre>{@code
 * Tensor out = Autograd.result(dtype, shape);
 * ...forward into out.value()...
 * Autograd.record(out, "op", g -> {
 *     ...gradient of each input from g...
 *     Autograd.accumulate(a, contribution, true);
 * }, a, b);
 * }</pre>
 */
public final class Autograd {
    private Autograd() {}

    /** A new output tensor over a pooled array (undefined contents), owned by the current scope. */
    public static Tensor result(DataType dtype, long... shape) {
        return Tensor.result(dtype, shape);
    }

    /** A tensor whose value is a view of {@code base}'s storage (zero-copy reshape). */
    public static Tensor view(Tensor base, INDArray view) {
        return Tensor.viewOf(base, view);
    }

    /** True when an op on these inputs must record its node. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /**
     * Records {@code out} as made by {@code op} from {@code inputs}, with its backward, when any input requires grad
     * and grad mode is on. Returns the node (to {@link Node#save} private arrays), or null when nothing was recorded.
     */
    public static Node record(Tensor out, String op, Node.Backward backward, Tensor... inputs) {
        if (!needsGrad(inputs)) return null;
        Node node = new Node(op, backward, inputs);
        out.node = node;
        out.setRequiresGradFromOp();
        return node;
    }

    /**
     * Keeps {@code a} for the backward when {@code node} was recorded, else gives it back to the pool at once.
     */
    public static void saveOrRelease(Node node, INDArray a) {
        if (node != null) node.save(a);
        else ArrayPool.release(a);
    }

    /**
     * Adds an input's gradient. {@code contribution} may have the op output's (broadcast) shape: it is summed down
     * to the input's shape. {@code owned}: the array is a temporary the callee may adopt or release.
     */
    public static void accumulate(Tensor input, INDArray contribution, boolean owned) {
        input.accumulate(contribution, owned);
    }

    /** A pooled temporary; give it back with {@link #release} or hand it to {@link #accumulate} as owned. */
    public static INDArray temp(DataType dtype, long... shape) {
        return ArrayPool.acquire(dtype, shape);
    }

    public static void release(INDArray a) {
        ArrayPool.release(a);
    }

    /** The floating type an op on these inputs computes in: DOUBLE if any input is DOUBLE, else FLOAT. */
    public static DataType floatType(Tensor... inputs) {
        boolean anyFloat = false;
        for (Tensor t : inputs) {
            if (t == null) continue;
            DataType d = t.dtype();
            if (d == DataType.DOUBLE) return DataType.DOUBLE;
            if (d == DataType.FLOAT) anyFloat = true;
        }
        return anyFloat ? DataType.FLOAT : Tensor.defaultDtype();
    }
}
