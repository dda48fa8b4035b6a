package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads a safetensors file lazily: {@link #open} maps and validates the header only; each tensor is read when asked
 * for, straight from the file into the array's native memory (one copy, no intermediate buffer), or, when it widens
 * (F16 to FLOAT, ...), converted element by element out of a mapping of its byte range. Files and tensors over 2 GB
 * work: ranges are read or mapped in pieces of at most {@link #MAP_CHUNK} bytes.
 *
 * <pre>{@code
 * try (SafetensorsReader weights = SafetensorsReader.open(Path.of("model.safetensors"))) {
 *     INDArray wte = weights.read("transformer.wte.weight");            // FLOAT [vocab, C]
 *     INDArray w = weights.read("lm_head.weight", DataType.FLOAT);      // a BF16 tensor, widened
 * }
 * }</pre>
 *
 * <p>A reader may be used from several threads at once. If another program truncates the file while a tensor is
 * being read, the read fails with an IOException (a short read; or, in a mapping, the fault the JVM reports).
 */
public final class SafetensorsReader implements TensorSource {
    /** Largest piece of a file read or mapped at once: a multiple of every element size, below the 2 GB limit. */
    static final int MAP_CHUNK = 1 << 30;

    /** ND4J's limit on an array's rank. */
    static final int MAX_ND4J_RANK = 32;

    private final Path file;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final List<String> names;
    private final int mapChunk;

    private SafetensorsReader(Path file, FileChannel channel, SafetensorsHeader header, int mapChunk) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.mapChunk = mapChunk;
        List<String> n = new ArrayList<>(header.tensors().size());
        for (TensorInfo t : header.tensors()) n.add(t.name());
        this.names = List.copyOf(n);
    }

    /** Opens a file and validates its header; a broken file throws {@link SafetensorsFormatException}. */
    public static SafetensorsReader open(Path file) throws IOException {
        return open(file, MAP_CHUNK);
    }

    /** As {@link #open(Path)}, mapping at most {@code mapChunk} bytes at a time (tests use small pieces). */
    static SafetensorsReader open(Path file, int mapChunk) throws IOException {
        if (mapChunk <= 0 || mapChunk % 8 != 0) {
            throw new IllegalArgumentException("mapChunk must be a positive multiple of 8, got " + mapChunk);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return new SafetensorsReader(file, channel, SafetensorsHeader.read(file, channel), mapChunk);
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    public SafetensorsHeader header() {
        return header;
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return header.byName().containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = header.byName().get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor named '" + Strings.abbreviate(name, 200)
                    + "' (the file has " + names.size() + " tensors" + examples() + ")");
        }
        return t;
    }

    private String examples() {
        if (names.isEmpty()) return "";
        List<String> some = names.subList(0, Math.min(3, names.size()));
        return ", e.g. " + String.join(", ", some);
    }

    @Override
    public Path fileOf(String name) {
        info(name);
        return file;
    }

    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public INDArray read(String name) throws IOException {
        TensorInfo t = info(name);
        return read(name, t.dtype().nd4jType());
    }

    @Override
    public INDArray read(String name, DataType type) throws IOException {
        TensorInfo t = info(name);
        checkConvertible(t, type);
        if (t.rank() > MAX_ND4J_RANK) {
            throw new IllegalArgumentException(file + ": tensor '" + Strings.abbreviate(name, 200) + "' has rank "
                    + t.rank() + " but ND4J arrays have at most " + MAX_ND4J_RANK + " dimensions (readBytes works)");
        }
        long[] shape = t.shape();
        if (t.elementCount() == 0) return Nd4j.create(type, shape, 'c'); // empty: nothing to read
        INDArray out = Nd4j.createUninitialized(type, shape, 'c');
        copyInto(t, type, NativeMemory.address(out));
        Reference.reachabilityFence(out); // the copy wrote through a raw address: keep the array alive until done
        return out;
    }

    @Override
    public void readInto(String name, INDArray target) throws IOException {
        TensorInfo t = info(name);
        checkConvertible(t, target.dataType());
        if (!Arrays.equals(target.shape(), t.shape())) {
            throw new IllegalArgumentException(file + ": tensor '" + Strings.abbreviate(name, 200) + "' has shape "
                    + t.shapeString() + " but the target array has shape " + Arrays.toString(target.shape()));
        }
        if (!NativeMemory.isDense(target)) {
            throw new IllegalArgumentException(file + ": tensor '" + Strings.abbreviate(name, 200)
                    + "': the target array is not dense row-major (strides " + Arrays.toString(target.stride())
                    + "); read into a dense array and assign it");
        }
        if (t.elementCount() == 0) return;
        copyInto(t, target.dataType(), NativeMemory.address(target));
        Reference.reachabilityFence(target);
    }

    @Override
    public byte[] readBytes(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(file + ": tensor '" + Strings.abbreviate(name, 200) + "' has "
                    + t.byteSize() + " bytes, more than a Java array holds; use read or readInto");
        }
        byte[] bytes = new byte[(int) t.byteSize()];
        ByteBuffer dst = ByteBuffer.wrap(bytes);
        forEachPiece(t, (piece, firstByte) -> dst.put(piece));
        return bytes;
    }

    private void checkConvertible(TensorInfo t, DataType type) {
        if (!ElementCopy.supports(t.dtype(), type)) {
            throw new IllegalArgumentException(file + ": tensor '" + Strings.abbreviate(t.name(), 200) + "' is "
                    + t.dtype() + " and cannot be read as " + type + " without changing values (it reads as "
                    + ElementCopy.targetsOf(t.dtype()) + ")");
        }
    }

    /**
     * Moves a tensor's elements into dense native memory of {@code type} at {@code address}. Same type: positional
     * reads straight into the array (the kernel copies from the page cache into the array, as {@code cat} copies
     * into its buffer: 13-14 GB/s here, against 8 GB/s for a copy out of a mapping, which pays a page fault per 64
     * KiB mapped). Widening: the mapped bytes are converted element by element.
     */
    private void copyInto(TensorInfo t, DataType type, long address) throws IOException {
        if (t.dtype().hasExactNd4jType() && t.dtype().nd4jType() == type) {
            readFully(t, address);
            return;
        }
        int sourceWidth = t.dtype().byteSize();
        int targetWidth = type.width();
        forEachPiece(t, (piece, firstByte) -> {
            long firstElement = firstByte / sourceWidth;
            int elements = piece.remaining() / sourceWidth;
            ByteBuffer dst = NativeMemory.window(address + firstElement * targetWidth, elements * targetWidth);
            ElementCopy.copy(t.dtype(), type, piece, dst);
        });
    }

    /** Reads the tensor's bytes unchanged into native memory at {@code address}, in pieces of at most mapChunk. */
    private void readFully(TensorInfo t, long address) throws IOException {
        long start = header.dataStart() + t.begin();
        long size = t.byteSize();
        for (long done = 0; done < size; ) {
            int len = (int) Math.min(mapChunk, size - done);
            ByteBuffer dst = NativeMemory.window(address + done, len);
            while (dst.hasRemaining()) {
                if (channel.read(dst, start + done + dst.position()) < 0) {
                    throw new IOException(file + ": tensor '" + Strings.abbreviate(t.name(), 200) + "': the file"
                            + " ended early; it changed while being read (was it truncated or rewritten in place?)");
                }
            }
            done += len;
        }
    }

    private interface PieceConsumer {
        /** {@code piece}: the next mapped part of the tensor's bytes; {@code firstByte}: its offset in the tensor. */
        void accept(ByteBuffer piece, long firstByte) throws IOException;
    }

    /**
     * Maps the tensor's byte range piece by piece (each at most {@code mapChunk} bytes, a multiple of 8 so no
     * element is split) and hands each to {@code consumer}.
     */
    private void forEachPiece(TensorInfo t, PieceConsumer consumer) throws IOException {
        long start = header.dataStart() + t.begin();
        long size = t.byteSize();
        try {
            for (long done = 0; done < size; ) {
                int len = (int) Math.min(mapChunk, size - done);
                MappedByteBuffer piece = channel.map(FileChannel.MapMode.READ_ONLY, start + done, len);
                piece.order(ByteOrder.LITTLE_ENDIAN);
                consumer.accept(piece, done);
                done += len;
            }
        } catch (InternalError e) {
            // HotSpot raises this when a mapped page vanished under a copy (SIGBUS): the file shrank while we read.
            throw new IOException(file + ": tensor '" + Strings.abbreviate(t.name(), 200)
                    + "': the file changed while it was being read (was it truncated or rewritten in place?)", e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ", " + names.size() + " tensors]";
    }
}
