package io.carpathia.engine.autograd;

/**
 * Whether ops record the graph, per thread. {@code try (var off = GradMode.off()) { ... }} runs inference or
 * parameter updates without building a graph; scopes nest and restore the previous mode when closed.
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private final boolean previous;

    private GradMode(boolean enabled) {
        boolean[] e = ENABLED.get();
        previous = e[0];
        e[0] = enabled;
    }

    /** Turns recording off until the returned scope is closed. */
    public static GradMode off() {
        return new GradMode(false);
    }

    /** Turns recording on until the returned scope is closed (inside an {@link #off()} block). */
    public static GradMode on() {
        return new GradMode(true);
    }

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    @Override
    public void close() {
        ENABLED.get()[0] = previous;
    }
}
