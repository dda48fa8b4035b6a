package io.carpathia.engine.device;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A map whose keys are compared by identity and held weakly: an entry disappears once its key is garbage. Keys here
 * are {@code INDArray}s, whose {@code equals} compares contents (so {@link java.util.WeakHashMap} would confuse two
 * parameters holding the same values) and which must not be kept alive by a cache.
 *
 * <p>{@link #expunge()} removes the entries of collected keys and hands their values back, so that whoever owns them
 * (device buffers) can free them. Not thread-safe: the owners synchronise.
 */
final class WeakIdentityMap<K, V> {
    private final Map<Key<K>, V> entries = new HashMap<>();
    private final ReferenceQueue<K> collected = new ReferenceQueue<>();

    /** A weak reference that hashes and compares by the identity of its referent. */
    private static final class Key<K> extends WeakReference<K> {
        private final int hash;

        Key(K referent, ReferenceQueue<K> queue) {
            super(referent, queue);
            this.hash = System.identityHashCode(referent);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) return true;
            if (!(o instanceof Key<?> other)) return false;
            Object referent = get();
            return referent != null && referent == other.get();
        }
    }

    V get(K key) {
        return entries.get(new Key<>(key, null));
    }

    void put(K key, V value) {
        entries.put(new Key<>(key, collected), value);
    }

    V remove(K key) {
        return entries.remove(new Key<>(key, null));
    }

    int size() {
        return entries.size();
    }

    /** The values of the live entries (a copy). */
    List<V> values() {
        return new ArrayList<>(entries.values());
    }

    /** Every value, then an empty map. */
    List<V> clear() {
        List<V> values = new ArrayList<>(entries.values());
        entries.clear();
        while (collected.poll() != null) {
            // drained: their entries are gone already
        }
        return values;
    }

    /** Removes the entries whose keys were collected and returns their values. */
    List<V> expunge() {
        List<V> values = null;
        for (Reference<? extends K> ref; (ref = collected.poll()) != null; ) {
            // the enqueued reference is the very Key object stored in the map, which equals only itself now
            V value = entries.remove(ref);
            if (value != null) {
                if (values == null) values = new ArrayList<>();
                values.add(value);
            }
        }
        return values == null ? List.of() : values;
    }
}
