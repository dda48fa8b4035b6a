package io.carpathia.engine.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Modules in a numbered list, registered as children "0", "1", ... — the layer stack {@code h} of a transformer,
 * whose parameters are then named {@code h.0.attn.c_attn.weight}, {@code h.1...}. It has no forward of its own:
 * the owner loops over it.
 */
public class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    public ModuleList() {}

    public ModuleList(List<? extends M> modules) {
        for (M m : modules) add(m);
    }

    /** Appends {@code module} under the next index; returns it. */
    public final M add(M module) {
        registerModule(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    public final M get(int index) {
        if (index < 0 || index >= items.size()) {
            throw new IndexOutOfBoundsException(kind() + ": index " + index + " out of range for " + items.size()
                    + " modules");
        }
        return items.get(index);
    }

    public final int size() {
        return items.size();
    }

    @Override
    public final Iterator<M> iterator() {
        return Collections.unmodifiableList(items).iterator();
    }
}
