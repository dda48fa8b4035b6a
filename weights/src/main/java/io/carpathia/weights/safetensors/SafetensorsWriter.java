package io.carpathia.weights.safetensors;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes tensors to a safetensors file the way the reference writer does: tensors sorted by dtype alignment
 * (descending, see {@link Dtype}) then by name, the JSON header padded with spaces to a multiple of 8 bytes so every
 * tensor's data starts 8-byte aligned, optional {@code __metadata__}.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .putMetadata("format", "pt")
 *         .add("wte.weight", wte)            // any dense or strided INDArray; its dtype decides the file's
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>Writes are atomic: the file is written under a temporary name in the same folder, flushed to disk and renamed
 * over the target, so a crash leaves either the old file or the new one, never a mix.
 */
public final class SafetensorsWriter {

    /** Where a tensor's bytes come from when the file is written. */
    interface Data {
        long byteSize();

        /** Writes exactly {@link #byteSize()} bytes to {@code out}. */
        void writeTo(FileChannel out) throws IOException;
    }

    record Entry(String name, Dtype dtype, long[] shape, Data data) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter putMetadata(String key, String value) {
        checkText("metadata key", key);
        checkText("metadata value of '" + key + "'", value);
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter putAllMetadata(Map<String, String> entries) {
        entries.forEach(this::putMetadata);
        return this;
    }

    /**
     * Adds an array under {@code name}; its ND4J type decides the dtype ({@link Dtype#of}). The array is read when the
     * file is written, so it must not change in between.
     */
    public SafetensorsWriter add(String name, INDArray array) {
        Dtype dtype = Dtype.of(array.dataType());
        INDArray dense = NativeMemory.isDense(array) ? array : array.dup('c');
        long bytes = dense.length() * dtype.byteSize();
        return add(name, dtype, dense.shape(), new Data() {
            @Override
            public long byteSize() {
                return bytes;
            }

            @Override
            public void writeTo(FileChannel out) throws IOException {
                long address = dense.isEmpty() ? 0 : NativeMemory.address(dense);
                for (long done = 0; done < bytes; ) {
                    int len = (int) Math.min(SafetensorsReader.PIECE_BYTES, bytes - done);
                    writeFully(out, NativeMemory.window(address + done, len));
                    done += len;
                }
                Reference.reachabilityFence(dense);
            }
        });
    }

    /** Adds a tensor given as little-endian bytes, e.g. an 8-bit float tensor ND4J cannot hold. */
    public SafetensorsWriter add(String name, Dtype dtype, long[] shape, byte[] littleEndianBytes) {
        byte[] bytes = littleEndianBytes.clone();
        return add(name, dtype, shape, new Data() {
            @Override
            public long byteSize() {
                return bytes.length;
            }

            @Override
            public void writeTo(FileChannel out) throws IOException {
                writeFully(out, ByteBuffer.wrap(bytes));
            }
        });
    }

    /** Adds a tensor whose bytes come from {@code data}; checks the name and that shape x dtype size matches. */
    SafetensorsWriter add(String name, Dtype dtype, long[] shape, Data data) {
        checkText("tensor name", name);
        if (name.equals(HeaderParser.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + HeaderParser.METADATA_KEY + "' is reserved for the metadata and"
                    + " cannot name a tensor");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + Strings.abbreviate(name, 200) + "' was already added");
        }
        long expected = dtype.byteSize();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + Strings.abbreviate(name, 200) + "': shape "
                        + Arrays.toString(shape) + " has a negative dimension");
            }
            expected = Math.multiplyExact(expected, d);
        }
        if (expected != data.byteSize()) {
            throw new IllegalArgumentException("tensor '" + Strings.abbreviate(name, 200) + "': shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + expected + " bytes but " + data.byteSize()
                    + " were given");
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), data));
        return this;
    }

    /** Names in the order they were added. */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /** Bytes of tensor data added so far. */
    public long dataBytes() {
        long n = 0;
        for (Entry e : entries.values()) n += e.data().byteSize();
        return n;
    }

    /** Writes the file atomically (temporary file in the same folder, fsync, rename). */
    public void write(Path file) throws IOException {
        write(file, new ArrayList<>(entries.values()), metadata);
    }

    /**
     * Writes a sharded checkpoint into {@code dir} as Hugging Face does: tensors in the order they were added, a new
     * shard whenever the next tensor would take the current one past {@code maxShardBytes} of data (a tensor larger
     * than that gets a shard of its own), files {@code model-00001-of-00003.safetensors}, ..., then
     * {@code model.safetensors.index.json} with {@code metadata.total_size} and the {@code weight_map}. When
     * everything fits in one shard, a single {@code model.safetensors} is written instead and no index, as HF does.
     * Each shard carries this writer's metadata. Files of an earlier checkpoint under the same base name that the
     * new one does not use (other shard counts, a single file or an index) are deleted afterwards.
     *
     * @return the files written, shards first and the index last
     */
    public List<Path> writeSharded(Path dir, long maxShardBytes) throws IOException {
        return writeSharded(dir, Safetensors.DEFAULT_BASE_NAME, maxShardBytes);
    }

    /** As {@link #writeSharded(Path, long)} with another base name than {@code model}. */
    public List<Path> writeSharded(Path dir, String baseName, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        Files.createDirectories(dir);
        List<List<Entry>> shards = planShards(new ArrayList<>(entries.values()), maxShardBytes);
        List<Path> written = new ArrayList<>();
        if (shards.size() <= 1) {
            Path single = dir.resolve(baseName + Safetensors.EXTENSION);
            write(single, shards.isEmpty() ? List.of() : shards.get(0), metadata);
            written.add(single);
        } else {
            Map<String, String> weightMap = new java.util.TreeMap<>(Strings::compareCodePoints);
            for (int i = 0; i < shards.size(); i++) {
                String shardName = Safetensors.shardName(baseName, i + 1, shards.size());
                Path shardFile = dir.resolve(shardName);
                write(shardFile, shards.get(i), metadata);
                for (Entry e : shards.get(i)) weightMap.put(e.name(), shardName);
                written.add(shardFile);
            }
            Path index = dir.resolve(Safetensors.indexName(baseName));
            byte[] json = Safetensors.indexJson(dataBytes(), weightMap);
            AtomicFile.write(index, out -> writeFully(out, ByteBuffer.wrap(json)));
            written.add(index);
        }
        Safetensors.deleteStaleCheckpointFiles(dir, baseName, written);
        return written;
    }

    /** Hugging Face's split: in order, a new shard when the next tensor would overflow; oversized tensors alone. */
    static List<List<Entry>> planShards(List<Entry> tensors, long maxShardBytes) {
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long currentBytes = 0;
        for (Entry e : tensors) {
            long size = e.data().byteSize();
            if (size > maxShardBytes) {
                shards.add(List.of(e));
                continue;
            }
            if (currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e);
            currentBytes += size;
        }
        if (!current.isEmpty()) shards.add(current);
        return shards;
    }

    static void write(Path file, List<Entry> tensors, Map<String, String> metadata) throws IOException {
        List<Entry> ordered = referenceOrder(tensors);
        byte[] header = header(ordered, metadata);
        AtomicFile.write(file, out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(out, length);
            writeFully(out, ByteBuffer.wrap(header));
            for (Entry e : ordered) {
                long before = out.position();
                e.data().writeTo(out);
                if (out.position() - before != e.data().byteSize()) {
                    throw new IllegalStateException("internal: tensor '" + e.name() + "' wrote "
                            + (out.position() - before) + " bytes, expected " + e.data().byteSize());
                }
            }
        });
    }

    /** The reference writer's order: dtype alignment descending, then name (by code point, as Rust compares). */
    static List<Entry> referenceOrder(List<Entry> tensors) {
        List<Entry> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing((Entry e) -> e.dtype().ordinal()).reversed()
                .thenComparing(Entry::name, Strings::compareCodePoints));
        return sorted;
    }

    /**
     * The JSON header, compact as serde_json writes it ({@code {"__metadata__":{...},"name":{"dtype":"F32",
     * "shape":[2,3],"data_offsets":[0,24]},...}}), padded with spaces to a multiple of 8 bytes.
     */
    static byte[] header(List<Entry> ordered, Map<String, String> metadata) {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(json, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(HeaderParser.METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) g.writeStringField(m.getKey(), m.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry e : ordered) {
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", e.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long d : e.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                offset += e.data().byteSize();
                g.writeNumber(offset);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("internal: writing JSON to memory failed", e);
        }
        int padding = (8 - json.size() % 8) % 8;
        for (int i = 0; i < padding; i++) json.write(' ');
        return json.toByteArray();
    }

    static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) out.write(bytes);
    }

    private static void checkText(String what, String s) {
        if (s == null) throw new IllegalArgumentException(what + " is null");
        int at = Strings.unpairedSurrogate(s);
        if (at >= 0) {
            throw new IllegalArgumentException(what + " '" + Strings.abbreviate(s, 200)
                    + "' has an unpaired surrogate at index " + at + " and so no UTF-8 form");
        }
    }

    /** Writes a file under a temporary name in the same folder, forces it to disk, then renames it into place. */
    static final class AtomicFile {
        private AtomicFile() {}

        private static final SecureRandom RANDOM = new SecureRandom();

        interface Body {
            void writeTo(FileChannel out) throws IOException;
        }

        static void write(Path file, Body body) throws IOException {
            Path target = file.toAbsolutePath();
            Path dir = target.getParent();
            Path tmp = createTemporary(dir, target.getFileName().toString());
            boolean done = false;
            try {
                try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    body.writeTo(out);
                    out.force(true);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                done = true;
                syncDirectory(dir);
            } finally {
                if (!done) Files.deleteIfExists(tmp);
            }
        }

        /**
         * A new empty file ".NAME.RANDOM.tmp" beside the target. Not Files.createTempFile: its files are private
         * (0600), and the renamed file should get the usual permissions.
         */
        private static Path createTemporary(Path dir, String name) throws IOException {
            while (true) {
                Path tmp = dir.resolve("." + name + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
                try {
                    Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                    return tmp;
                } catch (FileAlreadyExistsException e) {
                    // another writer's temporary name: draw again
                }
            }
        }

        /** Makes the rename itself durable; not every platform can open a folder, which is then left to the OS. */
        private static void syncDirectory(Path dir) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException | UnsupportedOperationException e) {
                // best effort: the data itself is already on disk
            }
        }
    }
}
