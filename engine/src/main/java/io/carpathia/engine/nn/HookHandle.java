package io.carpathia.engine.nn;

/** Removes a registered hook; closing it does the same, so a hook can live for one try-with-resources block. */
public final class HookHandle implements AutoCloseable {
    private final Runnable removal;
    private boolean removed;

    HookHandle(Runnable removal) {
        this.removal = removal;
    }

    /** Unregisters the hook. Calling it again does nothing. */
    public void remove() {
        if (removed) return;
        removed = true;
        removal.run();
    }

    public boolean isRemoved() {
        return removed;
    }

    @Override
    public void close() {
        remove();
    }
}
