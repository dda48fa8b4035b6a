package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of one safetensors file: its tensors in the order of their data, the {@code __metadata__}
 * strings, and where the data section starts.
 *
 * <p>File layout: {@code [8-byte little-endian header length n][n bytes of UTF-8 JSON][data section]}, each tensor's
 * {@code data_offsets} counted from the start of the data section.
 */
public final class SafetensorsHeader {
    /** The reference implementation refuses headers above this size (100 MB), and so do we. */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    private final Path file;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;
    private final long headerLength;
    private final long fileSize;

    SafetensorsHeader(Path file, List<TensorInfo> tensorsInDataOrder, Map<String, String> metadata, long headerLength,
            long fileSize) {
        this.file = file;
        this.tensors = List.copyOf(tensorsInDataOrder);
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (TensorInfo t : tensors) map.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(map);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.headerLength = headerLength;
        this.fileSize = fileSize;
    }

    /**
     * Reads and validates the header of an open file: the 8-byte length, then the JSON (only the header's bytes are
     * read), then every rule of the format. Tensor data is not touched.
     */
    public static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(file, null, SafetensorsFormatException.Rule.FILE_TOO_SHORT,
                    "the file has " + fileSize + " bytes");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (lengthBytes.hasRemaining()) {
            if (channel.read(lengthBytes, lengthBytes.position()) < 0) {
                throw new SafetensorsFormatException(file, null, SafetensorsFormatException.Rule.FILE_TOO_SHORT,
                        "the file ended while reading its first 8 bytes");
            }
        }
        long n = lengthBytes.getLong(0); // unsigned 64-bit: negative here means >= 2^63
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            throw new SafetensorsFormatException(file, null, SafetensorsFormatException.Rule.HEADER_TOO_LARGE,
                    "the header length is " + Long.toUnsignedString(n) + " bytes");
        }
        if (8 + n > fileSize) {
            throw new SafetensorsFormatException(file, null, SafetensorsFormatException.Rule.HEADER_PAST_EOF,
                    "the header length is " + n + " bytes but only " + (fileSize - 8) + " bytes follow it");
        }
        // Read, not mapped: a mapped page that vanishes (the file cut short meanwhile) surfaces as an InternalError
        // at some later point of the program; a read just comes up short.
        ByteBuffer json = ByteBuffer.allocate((int) n);
        while (json.hasRemaining()) {
            if (channel.read(json, 8 + json.position()) < 0) {
                throw new SafetensorsFormatException(file, null, SafetensorsFormatException.Rule.HEADER_PAST_EOF,
                        "the file ended while its header was read (it is changing under us)");
            }
        }
        return HeaderParser.parse(file, json.flip(), n, fileSize);
    }

    public Path file() {
        return file;
    }

    /** The tensors, ordered by where their data lies in the file. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensors by name, in data order. */
    public Map<String, TensorInfo> byName() {
        return byName;
    }

    /** The {@code __metadata__} entries in header order (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Length of the JSON header in bytes (without the 8-byte length before it). */
    public long headerLength() {
        return headerLength;
    }

    /** Absolute file offset of the data section: 8 + header length. */
    public long dataStart() {
        return 8 + headerLength;
    }

    public long fileSize() {
        return fileSize;
    }
}
