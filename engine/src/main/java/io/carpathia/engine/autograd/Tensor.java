package io.carpathia.engine.autograd;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.device.ParameterVersions;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.ops.Activations;
import io.carpathia.engine.ops.Arithmetic;
import io.carpathia.engine.ops.Indexing;
import io.carpathia.engine.ops.LinearAlgebra;
import io.carpathia.engine.ops.Losses;
import io.carpathia.engine.ops.Normalization;
import io.carpathia.engine.ops.Reductions;
import io.carpathia.engine.ops.ShapeOps;
import io.carpathia.engine.ops.Softmax;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A value, its gradient, and the op that made it.
 *
 * <p>The value is an ND4J {@link INDArray} (dense, row-major); the engine computes on it with its own kernels. A
 * tensor that {@link #requiresGrad()} and was made by an op records a {@link Node}; {@link #backward()} walks those
 * nodes in reverse topological order and accumulates d(this)/d(leaf) into each leaf's {@link #grad()}. The graph
 * is freed after backward unless retained.
 *
 * <p>Ops are also available as static functions in {@code io.carpathia.engine.ops}; the methods here are the same
 * ops, for chaining: {@code x.matmul(w).add(b).relu()}.
 */
public final class Tensor {
    private static volatile DataType defaultDtype = DataType.FLOAT;

    private INDArray value;
    private INDArray grad;
    private boolean requiresGrad;
    private boolean retainGrad;
    Node node;
    /** Set when the value is a view of another tensor's storage (reshape): that tensor must stay alive. */
    private final Tensor base;
    /** The value came from the array pool and goes back to it when the tensor's scope closes. */
    private final boolean pooled;
    private String releasedBy;
    private String name;

    private Tensor(INDArray value, boolean requiresGrad, Tensor base, boolean pooled) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.base = base;
        this.pooled = pooled;
    }

    // ------------------------------------------------------------------------------------------------ creation

    /** The floating-point type new tensors get: FLOAT unless changed (gradient checks use DOUBLE). */
    public static DataType defaultDtype() {
        return defaultDtype;
    }

    public static void setDefaultDtype(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("the engine computes in FLOAT or DOUBLE, not " + dtype);
        }
        defaultDtype = dtype;
    }

    /**
     * Wraps an existing array (not copied; a non-dense view is copied to dense). FLOAT and DOUBLE values are used as
     * they are; integer arrays are allowed as indices and masks for the ops that take them.
     */
    public static Tensor of(INDArray value) {
        return new Tensor(Native.dense(value), false, null, false);
    }

    /** A tensor of the given shape holding {@code data} in row-major order, in the default dtype. */
    public static Tensor of(double[] data, long... shape) {
        return of(defaultDtype, data, shape);
    }

    public static Tensor of(DataType dtype, double[] data, long... shape) {
        if (Shapes.numel(shape) != data.length) {
            throw new ShapeException("Tensor.of: " + data.length + " values do not fill shape " + Shapes.str(shape)
                    + " (" + Shapes.numel(shape) + " elements)");
        }
        INDArray a = Nd4j.createUninitialized(dtype, shape.clone());
        Native.fromDoubles(data, a);
        return new Tensor(a, false, null, false);
    }

    public static Tensor of(float[] data, long... shape) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = data[i];
        return of(DataType.FLOAT, d, shape);
    }

    public static Tensor scalar(double v) {
        return of(new double[] {v});
    }

    public static Tensor zeros(long... shape) {
        return full(0, shape);
    }

    public static Tensor ones(long... shape) {
        return full(1, shape);
    }

    public static Tensor full(double v, long... shape) {
        INDArray a = Nd4j.createUninitialized(defaultDtype, shape.clone());
        Native.fill(a, v);
        return new Tensor(a, false, null, false);
    }

    /** Standard normal values from a seeded generator (reproducible across runs and platforms). */
    public static Tensor randn(Random rng, long... shape) {
        double[] d = new double[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextGaussian();
        return of(d, shape);
    }

    /** Uniform values in [lo, hi) from a seeded generator. */
    public static Tensor uniform(Random rng, double lo, double hi, long... shape) {
        double[] d = new double[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.nextDouble();
        return of(d, shape);
    }

    /** Integer indices (INT64), e.g. token ids or class targets. */
    public static Tensor indices(long[] values, long... shape) {
        if (Shapes.numel(shape) != values.length) {
            throw new ShapeException("Tensor.indices: " + values.length + " values do not fill shape "
                    + Shapes.str(shape));
        }
        INDArray a = Nd4j.createFromArray(values).reshape(shape);
        return new Tensor(Native.dense(a).dup(), false, null, false);
    }

    /** An op's output: a pooled array owned by the current {@link Scope}. Used by op implementations. */
    static Tensor result(DataType dtype, long[] shape) {
        Tensor t = new Tensor(ArrayPool.acquire(dtype, shape), false, null, true);
        Scope.adopt(t);
        return t;
    }

    /** A tensor whose value views {@code base}'s storage (reshape of a dense array). */
    static Tensor viewOf(Tensor base, INDArray view) {
        return new Tensor(view, false, base.base != null ? base.base : base, false);
    }

    // ------------------------------------------------------------------------------------------------ access

    /** The value. Throws if the tensor's scope has closed and its storage went back to the pool. */
    public INDArray value() {
        checkAlive();
        return value;
    }

    private void checkAlive() {
        if (releasedBy != null) {
            throw new IllegalStateException("this tensor" + describe() + " was released when its Scope closed ("
                    + releasedBy + "): read what you need inside the scope, or call scope.keep(tensor)");
        }
        if (base != null) base.checkAlive();
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        if (name != null) b.append(" '").append(name).append("'");
        if (node != null) b.append(" (made by ").append(node.op).append(")");
        b.append(" of shape ").append(Shapes.str(value == null ? new long[0] : value.shape()));
        return b.toString();
    }

    /** The accumulated gradient, or null before any backward reached this tensor (or after zeroGrad). */
    public INDArray grad() {
        return grad;
    }

    /** The gradient as a tensor (no graph), or null. */
    public Tensor gradTensor() {
        return grad == null ? null : new Tensor(grad, false, null, false);
    }

    public long[] shape() {
        return value().shape();
    }

    public long size(int dim) {
        long[] s = shape();
        return s[Shapes.dim("size", dim, s.length)];
    }

    public int rank() {
        return value().rank();
    }

    public long numel() {
        return value().length();
    }

    public DataType dtype() {
        return value().dataType();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as a variable to differentiate with respect to. Returns this. */
    public Tensor requiresGrad(boolean flag) {
        if (node != null && !flag) {
            throw new AutogradException("requiresGrad(false) on a tensor made by '" + node.op
                    + "': only leaves can change it; use detach()");
        }
        if (flag && !value().dataType().isFPType()) {
            throw new AutogradException("only floating-point tensors can require gradients, not " + value.dataType());
        }
        this.requiresGrad = flag;
        return this;
    }

    /** A leaf: made by the user rather than by an op that recorded a node. */
    public boolean isLeaf() {
        return node == null;
    }

    /** The recorded op that produced this tensor, or null for a leaf. */
    public Node gradFn() {
        return node;
    }

    /** Keep this non-leaf tensor's gradient after backward (PyTorch's retain_grad). */
    public Tensor retainGrad() {
        this.retainGrad = true;
        return this;
    }

    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new ShapeException("item() needs a tensor with one element; this one has shape " + Shapes.str(shape()));
        }
        return Native.view(value()).get(0);
    }

    /** Element at a multi-index. */
    public double get(long... index) {
        long[] s = shape();
        if (index.length != s.length) {
            throw new ShapeException("get: " + index.length + " indices for a tensor of rank " + s.length);
        }
        long flat = 0;
        for (int d = 0; d < s.length; d++) {
            if (index[d] < 0 || index[d] >= s[d]) {
                throw new ShapeException("get: index " + index[d] + " out of range for dimension " + d + " of size " + s[d]);
            }
            flat = flat * s[d] + index[d];
        }
        return Native.view(value()).get(flat);
    }

    public double[] toDoubleArray() {
        return Native.toDoubles(value());
    }

    public float[] toFloatArray() {
        double[] d = toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** A tensor sharing this value but cut from the graph. */
    public Tensor detach() {
        return new Tensor(value(), false, base != null ? base : (pooled ? this : null), false);
    }

    /** A deep copy (a new array, no graph), safe to keep after a scope closes. */
    public Tensor copy() {
        return new Tensor(value().dup('c'), false, null, false);
    }

    /** The same values in another dtype (a copy; no graph). */
    public Tensor castTo(DataType dtype) {
        INDArray a = Nd4j.createUninitialized(dtype, shape());
        Native.copy(value(), a);
        return new Tensor(a, false, null, false);
    }

    /** Drops the gradient (PyTorch's zero_grad with set_to_none); its array goes back to the pool. */
    public void zeroGrad() {
        if (grad != null) {
            ArrayPool.release(grad);
            grad = null;
        }
    }

    /** Replaces the value of a leaf in place (used by optimizers and state loading); shapes must agree. */
    public void assign(INDArray newValue) {
        if (!Shapes.same(newValue.shape(), shape())) {
            throw new ShapeException("assign: value of shape " + Shapes.str(newValue.shape())
                    + " into a tensor of shape " + Shapes.str(shape()));
        }
        Native.copy(newValue, value());
        ParameterVersions.changed(value);   // a GPU's copy of this parameter is out of date
    }

    /** Called by {@link Scope#close()}: gives the value back to the pool and marks this tensor unusable. */
    public void releaseStorage() {
        if (releasedBy != null) return;
        if (node != null) node.free();
        if (pooled) {
            ArrayPool.release(value);
            releasedBy = "its array went back to the pool";
        } else {
            releasedBy = "it was owned by the scope";
        }
        if (grad != null && !isLeaf()) {
            ArrayPool.release(grad);
        }
        grad = null;
        value = null;
    }

    // ------------------------------------------------------------------------------------------------ backward

    /** Backpropagates from this scalar (d this / d this = 1) and frees the graph. */
    public void backward() {
        backward(false);
    }

    /** Backpropagates from this scalar; with {@code retainGraph} the graph can be differentiated again. */
    public void backward(boolean retainGraph) {
        if (numel() != 1) {
            throw new AutogradException("backward() without a gradient needs a scalar; this tensor has shape "
                    + Shapes.str(shape()) + ": call backward(gradOutput)");
        }
        INDArray seed = ArrayPool.acquire(dtype(), shape());
        Native.fill(seed, 1.0);
        backwardFrom(seed, retainGraph);
    }

    /** Backpropagates {@code gradOutput} (same shape as this tensor) and frees the graph. */
    public void backward(Tensor gradOutput) {
        backward(gradOutput, false);
    }

    public void backward(Tensor gradOutput, boolean retainGraph) {
        if (!Shapes.same(gradOutput.shape(), shape())) {
            throw new ShapeException("backward: gradient of shape " + Shapes.str(gradOutput.shape())
                    + " for a tensor of shape " + Shapes.str(shape()));
        }
        INDArray given = gradOutput.value();
        if (node != null && grad == null && !retainGrad && given.dataType() == dtype() && Native.isDense(given)) {
            // the backward functions only read the gradient they are given: the caller's array serves as it is
            backwardFrom(given, retainGraph, true);
            return;
        }
        INDArray seed = ArrayPool.acquire(dtype(), shape());
        Native.copy(given, seed);
        backwardFrom(seed, retainGraph, false);
    }

    private void backwardFrom(INDArray seed, boolean retainGraph) {
        backwardFrom(seed, retainGraph, false);
    }

    /** {@code borrowed}: the seed is the caller's array, used as this tensor's gradient but never released. */
    private void backwardFrom(INDArray seed, boolean retainGraph, boolean borrowed) {
        if (!requiresGrad) {
            if (!borrowed) ArrayPool.release(seed);
            throw new AutogradException("backward() on a tensor that does not require grad" + describe()
                    + ": no input of the ops that made it requires grad (set requiresGrad(true) on your "
                    + "parameters), or it was computed under GradMode.off()");
        }
        List<Tensor> order = topologicalOrder(this);
        if (borrowed) {
            grad = seed;
        } else {
            accumulate(seed, true);
        }
        try {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                INDArray g = t.grad;
                if (g == null) continue; // no path from the root reached it with a gradient
                t.node.run(g);
                if (!t.retainGrad) {
                    if (g != seed || !borrowed) ArrayPool.release(g);
                    t.grad = null;
                }
                if (!retainGraph) t.node.free();
            }
        } finally {
            if (borrowed && grad == seed) grad = null; // an op failed before the root's gradient was used up
        }
    }

    /** Non-leaf tensors that require grad, reachable from root, in topological order (inputs before outputs). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        if (root.node == null) return Collections.emptyList();
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // iterative post-order DFS: deep graphs (long sequences, many layers) must not overflow the stack
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            if (t.node.isFreed()) {
                throw new AutogradException("backward through '" + t.node.op + "' a second time: the graph was "
                        + "freed by an earlier backward. Call backward(true) the first time to keep it.");
            }
            Tensor[] inputs = t.node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.node != null && in.requiresGrad && visited.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    /**
     * Adds {@code contribution} into this tensor's gradient, first summing it down to this tensor's shape when it
     * was broadcast. When {@code owned}, the array is the caller's to give away (it is adopted or released).
     */
    void accumulate(INDArray contribution, boolean owned) {
        if (!requiresGrad) {
            if (owned) ArrayPool.release(contribution);
            return;
        }
        long[] shape = value().shape();
        if (!Shapes.same(contribution.shape(), shape)) {
            if (contribution.length() == Shapes.numel(shape)) {
                // same elements, different rank (e.g. [1, n] for [n]): a copy with our shape
                INDArray c = ArrayPool.acquire(contribution.dataType(), shape);
                Native.copy(contribution, c);
                if (owned) ArrayPool.release(contribution);
                contribution = c;
                owned = true;
            } else if (grad == null) {
                grad = ArrayPool.acquire(value.dataType(), shape);
                io.carpathia.engine.cpu.Reduce.sumTo(contribution, grad, false);
                if (owned) ArrayPool.release(contribution);
                return;
            } else {
                io.carpathia.engine.cpu.Reduce.sumTo(contribution, grad, true);
                if (owned) ArrayPool.release(contribution);
                return;
            }
        }
        if (grad == null) {
            if (owned && contribution.dataType() == value.dataType()) {
                grad = contribution;
            } else {
                grad = ArrayPool.acquire(value.dataType(), shape);
                Native.copy(contribution, grad);
                if (owned) ArrayPool.release(contribution);
            }
        } else {
            io.carpathia.engine.cpu.Chunks.zip(grad, contribution, grad, (a, b, n) -> {
                for (int i = 0; i < n; i++) a[i] += b[i];
            }, (a, b, n) -> {
                for (int i = 0; i < n; i++) a[i] += b[i];
            });
            if (owned) ArrayPool.release(contribution);
        }
    }

    void setRequiresGradFromOp() {
        this.requiresGrad = true;
    }

    @Override
    public String toString() {
        if (releasedBy != null) return "Tensor(released)";
        StringBuilder b = new StringBuilder("Tensor(shape=").append(Shapes.str(value.shape()))
                .append(", dtype=").append(value.dataType());
        if (node != null) b.append(", grad_fn=").append(node.op);
        else if (requiresGrad) b.append(", requires_grad");
        if (value.length() <= 16 && value.dataType().isFPType()) {
            b.append(", ").append(java.util.Arrays.toString(toDoubleArray()));
        }
        return b.append(")").toString();
    }

    // ------------------------------------------------------------------------------------------------ fluent ops

    public Tensor add(Tensor o) { return Arithmetic.add(this, o); }
    public Tensor add(double c) { return Arithmetic.add(this, c); }
    public Tensor sub(Tensor o) { return Arithmetic.sub(this, o); }
    public Tensor sub(double c) { return Arithmetic.add(this, -c); }
    public Tensor mul(Tensor o) { return Arithmetic.mul(this, o); }
    public Tensor mul(double c) { return Arithmetic.mul(this, c); }
    public Tensor div(Tensor o) { return Arithmetic.div(this, o); }
    public Tensor div(double c) { return Arithmetic.mul(this, 1.0 / c); }
    public Tensor neg() { return Arithmetic.neg(this); }
    public Tensor pow(double exponent) { return Arithmetic.pow(this, exponent); }
    public Tensor exp() { return Arithmetic.exp(this); }
    public Tensor log() { return Arithmetic.log(this); }
    public Tensor sqrt() { return Arithmetic.sqrt(this); }
    public Tensor abs() { return Arithmetic.abs(this); }

    public Tensor tanh() { return Activations.tanh(this); }
    public Tensor sigmoid() { return Activations.sigmoid(this); }
    public Tensor relu() { return Activations.relu(this); }
    /** Exact GELU: x·Φ(x). */
    public Tensor gelu() { return Activations.gelu(this); }
    /** GELU's tanh approximation (GPT-2's "gelu_new"). */
    public Tensor geluTanh() { return Activations.geluTanh(this); }

    public Tensor softmax(int dim) { return Softmax.softmax(this, dim); }
    public Tensor logSoftmax(int dim) { return Softmax.logSoftmax(this, dim); }

    public Tensor matmul(Tensor o) { return LinearAlgebra.matmul(this, o); }

    public Tensor reshape(long... shape) { return ShapeOps.reshape(this, shape); }
    public Tensor view(long... shape) { return ShapeOps.reshape(this, shape); }
    public Tensor transpose(int dim0, int dim1) { return ShapeOps.transpose(this, dim0, dim1); }
    /** Transpose of the last two dimensions. */
    public Tensor t() { return ShapeOps.transpose(this, -2, -1); }
    public Tensor permute(int... dims) { return ShapeOps.permute(this, dims); }
    public Tensor narrow(int dim, long start, long length) { return ShapeOps.narrow(this, dim, start, length); }
    public Tensor unsqueeze(int dim) { return ShapeOps.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return ShapeOps.squeeze(this, dim); }
    public List<Tensor> split(long size, int dim) { return ShapeOps.split(this, size, dim); }
    public List<Tensor> chunk(int chunks, int dim) { return ShapeOps.chunk(this, chunks, dim); }

    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }
    public Tensor gather(int dim, Tensor index) { return Indexing.gather(this, dim, index); }
    public Tensor maskedFill(Tensor mask, double value) { return Indexing.maskedFill(this, mask, value); }

    public Tensor sum() { return Reductions.sum(this); }
    public Tensor sum(int dim, boolean keepDim) { return Reductions.sum(this, new int[] {dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return Reductions.sum(this, dims, keepDim); }
    public Tensor mean() { return Reductions.mean(this); }
    public Tensor mean(int dim, boolean keepDim) { return Reductions.mean(this, new int[] {dim}, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return Reductions.mean(this, dims, keepDim); }
    public Tensor max(int dim, boolean keepDim) { return Reductions.max(this, dim, keepDim); }
    public Tensor max() { return Reductions.max(this); }
    /** Variance over dims; {@code unbiased} divides by n-1 (PyTorch's default), else by n. */
    public Tensor var(int[] dims, boolean unbiased, boolean keepDim) { return Reductions.var(this, dims, unbiased, keepDim); }

    public Tensor layerNorm(Tensor weight, Tensor bias, double eps) { return Normalization.layerNorm(this, weight, bias, eps); }
    public Tensor crossEntropy(Tensor target) { return Losses.crossEntropy(this, target); }
    public Tensor mseLoss(Tensor target) { return Losses.mseLoss(this, target); }
}
