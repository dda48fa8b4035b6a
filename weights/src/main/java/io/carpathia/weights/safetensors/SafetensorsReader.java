package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Reads a safetensors file lazily: {@link #open} reads and validates the header only; each tensor is read when asked
 * for, straight from the file into the array's native memory (one copy, no intermediate buffer), or, when it widens
 * (F16 to FLOAT, ...), through a small scratch buffer and converted element by element. Files and tensors over 2 GB
 * work: offsets are 64-bit and ranges are read in pieces of at most {@link #PIECE_BYTES} bytes.
 *
 * <p>Why positional reads and not a memory mapping: the data is copied into the arrays either way, and copying out
 * of a mapping is slower here (8 GB/s against 13-14 GB/s, the speed of {@code cat}), and unsafe when another program
 * cuts the file short: touching a vanished mapped page raises an InternalError at some later point of the program,
 * where a read simply comes up short and fails with an IOException.
 *
 * <pre>{@code
 * try (SafetensorsReader weights = SafetensorsReader.open(Path.of("model.safetensors"))) {
 *     INDArray wte = weights.read("transformer.wte.weight");            // FLOAT [vocab, C]
 *     INDArray w = weights.read("lm_head.weight", DataType.FLOAT);      // a BF16 tensor, widened
 * }
 * }</pre>
 *
 * <p>A reader may be used from several threads at once. If another program truncates the file while it is open,
 * reads fail with an IOException naming the file and the tensor.
 */
public final class SafetensorsReader implements TensorSource {
    /** Largest piece read into an array at once: a multiple of every element size, below the 2 GB buffer limit. */
    static final int PIECE_BYTES = 1 << 30;

    /** Size of the per-thread buffer that widening reads and {@link #readBytes} go through. */
    static final int SCRATCH_BYTES = 1 << 20;

    /** ND4J's limit on an array's rank. */
    static final int MAX_ND4J_RANK = 32;

    private final Path file;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final List<String> names;
    private final int pieceBytes;

    private SafetensorsReader(Path file, FileChannel channel, SafetensorsHeader header, int pieceBytes) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.pieceBytes = pieceBytes;
        List<String> n = new ArrayList<>(header.tensors().size());
        for (TensorInfo t : header.tensors()) n.add(t.name());
        this.names = List.copyOf(n);
    }

    /** Opens a file and validates its header; a broken file throws {@link SafetensorsFormatException}. */
    public static SafetensorsReader open(Path file) throws IOException {
        return open(file, PIECE_BYTES);
    }

    /** As {@link #open(Path)}, reading at most {@code pieceBytes} bytes at a time (tests use small pieces). */
    static SafetensorsReader open(Path file, int pieceBytes) throws IOException {
        if (pieceBytes <= 0 || pieceBytes % 8 != 0) {
            throw new IllegalArgumentException("pieceBytes must be a positive multiple of 8, got " + pieceBytes);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return new SafetensorsReader(file, channel, SafetensorsHeader.read(file, channel), pieceBytes);
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
        forEachPiece(t, (piece, firstByte) -> piece.get(bytes, (int) firstByte, piece.remaining()));
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
     * reads straight into the array, the kernel copying from the page cache into the array as {@code cat} copies
     * into its buffer (13-14 GB/s here, against 8 GB/s for a copy out of a memory mapping, which also pays a page
     * fault per 64 KiB mapped). Widening: pieces are read into a scratch buffer and converted element by element.
     */
    private void copyInto(TensorInfo t, DataType type, long address) throws IOException {
        long start = header.dataStart() + t.begin();
        if (t.dtype().hasExactNd4jType() && t.dtype().nd4jType() == type) {
            for (long done = 0; done < t.byteSize(); ) {
                int len = (int) Math.min(pieceBytes, t.byteSize() - done);
                readFully(t, start + done, NativeMemory.window(address + done, len));
                done += len;
            }
            return;
        }
        int sourceWidth = t.dtype().byteSize();
        int targetWidth = type.width();
        forEachPiece(t, (piece, firstByte) -> {
            long firstElement = firstByte / sourceWidth;
            int elements = piece.remaining() / sourceWidth;
            ByteBuffer dst = NativeMemory.window(address + firstElement * targetWidth, elements * targetWidth);
            ElementCopy.widen(t.dtype(), type, piece, dst);
        });
    }

    private interface PieceConsumer {
        /** {@code piece}: the next part of the tensor's bytes; {@code firstByte}: its offset in the tensor. */
        void accept(ByteBuffer piece, long firstByte) throws IOException;
    }

    /** One scratch buffer per reading thread, reused: fresh native memory is slow to touch. */
    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN));

    /**
     * Reads the tensor's bytes piece by piece into the thread's scratch buffer (pieces of at most 1 MiB, a multiple
     * of 8 so no element is split) and hands each to {@code consumer}.
     */
    private void forEachPiece(TensorInfo t, PieceConsumer consumer) throws IOException {
        long start = header.dataStart() + t.begin();
        ByteBuffer scratch = SCRATCH.get();
        int pieceMax = Math.min(pieceBytes, SCRATCH_BYTES);
        for (long done = 0; done < t.byteSize(); ) {
            int len = (int) Math.min(pieceMax, t.byteSize() - done);
            scratch.clear().limit(len);
            readFully(t, start + done, scratch);
            consumer.accept(scratch.flip(), done);
            done += len;
        }
    }

    /** Fills {@code dst} from the file at {@code position}; a file that ends first has changed under us. */
    private void readFully(TensorInfo t, long position, ByteBuffer dst) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new IOException(file + ": tensor '" + Strings.abbreviate(t.name(), 200) + "': the file ended"
                        + " before its data; it changed while being read (was it truncated or rewritten in place?)");
            }
            at += n;
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
