package io.carpathia.engine.autograd;

import io.carpathia.engine.memory.ArrayPool;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One recorded op in the graph: its name, its inputs, and the backward function written beside its forward. The
 * backward receives the gradient of the op's output and adds each input's gradient into that input
 * ({@link Autograd#accumulate}). Arrays only the backward needs (layer norm's mean and 1/std, say) are registered
 * with {@link #save} and go back to the pool when the graph is freed.
 */
public final class Node {
    /**
     * The backward of one op: receives d(loss)/d(output) with the output's shape. It only reads that array: it may be
     * the caller's own (see {@link Tensor#backward(Tensor)}).
     */
    @FunctionalInterface
    public interface Backward {
        void apply(INDArray gradOutput);
    }

    final String op;
    final Tensor[] inputs;
    private Backward backward;
    private List<INDArray> saved;
    private boolean freed;

    Node(String op, Backward backward, Tensor[] inputs) {
        this.op = op;
        this.backward = backward;
        this.inputs = inputs;
    }

    /** Keeps {@code a} (a pooled array) until the graph is freed, then returns it to the pool. */
    public INDArray save(INDArray a) {
        if (saved == null) saved = new ArrayList<>(2);
        saved.add(a);
        return a;
    }

    public String op() {
        return op;
    }

    public boolean isFreed() {
        return freed;
    }

    void run(INDArray gradOutput) {
        if (freed) {
            throw new AutogradException("backward through '" + op + "' a second time: its saved values were freed "
                    + "by the first backward. Call backward(true) (retain the graph) the first time if you need "
                    + "to differentiate twice.");
        }
        backward.apply(gradOutput);
    }

    /** Drops the backward closure (and with it the references to saved inputs) and returns private arrays. */
    void free() {
        if (freed) return;
        freed = true;
        backward = null;
        if (saved != null) {
            for (INDArray a : saved) ArrayPool.release(a);
            saved = null;
        }
    }
}
