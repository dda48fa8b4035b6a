package io.carpathia.kernels.reference;

/**
 * A block's emulated shared memory, checking what the hardware does not: between two barriers no slot may be written
 * by one thread and read or written by another (a race), and a read must find the slice it expects (the tag written
 * with the value), so a stale or never-filled slot is caught.
 */
final class SharedMemory {
    private static final int MANY = -2;

    private final String name;
    private final float[] values;
    private final int[] tags;
    private final int[] writeEpoch;
    private final int[] writer;
    private final int[] readEpoch;
    private final int[] reader;
    private int epoch = 1;

    SharedMemory(String name, int size) {
        this.name = name;
        this.values = new float[size];
        this.tags = new int[size];
        this.writeEpoch = new int[size];
        this.writer = new int[size];
        this.readEpoch = new int[size];
        this.reader = new int[size];
        java.util.Arrays.fill(tags, Integer.MIN_VALUE);
    }

    int size() {
        return values.length;
    }

    private void requireInside(int index, String access) {
        if (index < 0 || index >= values.length) {
            throw new EmulatedFault(access + " of shared " + name + " at " + index + ", outside its " + values.length
                    + " slots");
        }
    }

    void write(int index, float value, int thread, int tag) {
        requireInside(index, "write");
        if (writeEpoch[index] == epoch && writer[index] != thread) {
            throw new EmulatedFault("threads " + writer[index] + " and " + thread + " both write shared " + name + "["
                    + index + "] between two barriers");
        }
        if (readEpoch[index] == epoch && reader[index] != thread) {
            throw new EmulatedFault("thread " + thread + " writes shared " + name + "[" + index
                    + "] that another thread reads between the same two barriers");
        }
        values[index] = value;
        tags[index] = tag;
        writeEpoch[index] = epoch;
        writer[index] = thread;
    }

    float read(int index, int thread, int expectedTag) {
        requireInside(index, "read");
        if (writeEpoch[index] == epoch && writer[index] != thread) {
            throw new EmulatedFault("thread " + thread + " reads shared " + name + "[" + index + "] that thread "
                    + writer[index] + " writes between the same two barriers");
        }
        if (tags[index] != expectedTag) {
            throw new EmulatedFault("thread " + thread + " reads shared " + name + "[" + index + "] expecting slice "
                    + expectedTag + ", it holds " + (tags[index] == Integer.MIN_VALUE ? "nothing" : "slice "
                    + tags[index]));
        }
        if (readEpoch[index] != epoch) {
            readEpoch[index] = epoch;
            reader[index] = thread;
        } else if (reader[index] != thread) {
            reader[index] = MANY;
        }
        return values[index];
    }

    /** {@code __syncthreads()}. */
    void barrier() {
        epoch++;
    }
}
