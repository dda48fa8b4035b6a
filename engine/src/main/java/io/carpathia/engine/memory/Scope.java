package io.carpathia.engine.memory;

import io.carpathia.engine.autograd.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A region whose tensors give their arrays back to the {@link ArrayPool} when it closes, so a training loop reuses
 * the same native memory every step:
 * <pre>{@code
 * for (int step = 0; step < steps; step++) {
 *     try (var scope = Scope.open()) {
 *         Tensor loss = model.loss(batch);
 *         loss.backward();
 *         optimizer.step();
 *         losses.add(loss.item());          // read what you need before the scope closes
 *     }
 * }
 * }</pre>
 * Every tensor an op creates while a scope is open belongs to the innermost one. After it closes those tensors are
 * released: reading one throws an error naming the op that made it, rather than returning reused memory.
 * {@link #keep(Tensor)} hands a tensor to the enclosing scope (or to the garbage collector at the outermost).
 * Parameters, optimizer state and gradients of leaves are never owned by a scope. Scopes are per thread.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private boolean closed;

    private Scope() {}

    public static Scope open() {
        Scope s = new Scope();
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static Scope current() {
        return STACK.get().peek();
    }

    /** Called by the engine when it creates a tensor over a pooled array. */
    public static void adopt(Tensor t) {
        Scope s = current();
        if (s != null) s.owned.add(t);
    }

    /** Moves {@code t} out of this scope, to the enclosing one if any; returns it. */
    public Tensor keep(Tensor t) {
        if (owned.remove(t)) {
            ArrayDeque<Scope> stack = STACK.get();
            Scope parent = null;
            boolean seen = false;
            for (Scope s : stack) {
                if (seen) {
                    parent = s;
                    break;
                }
                if (s == this) seen = true;
            }
            if (parent != null) parent.owned.add(t);
        }
        return t;
    }

    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        ArrayDeque<Scope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("scopes must close innermost first");
        }
        stack.pop();
        for (Tensor t : owned) t.releaseStorage();
        owned.clear();
    }
}
