package io.carpathia.kernels;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A block of device memory. Copies take host addresses ({@code long}), so that an ND4J array's buffer (or any other
 * native memory) goes to and from the GPU without an extra host copy; the array overloads are conveniences for
 * tests and checks. Offsets and sizes are in bytes and are checked against the buffer.
 *
 * <p>Freed by {@link #close()} (not by the garbage collector: device memory is scarce and its release should be
 * visible in the code). Host addresses are not checked: they must point to {@code bytes} valid bytes.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaContext context;
    private final long address;
    private final long bytes;
    private boolean freed;

    DeviceBuffer(CudaContext context, long address, long bytes) {
        this.context = context;
        this.address = address;
        this.bytes = bytes;
    }

    /** The device address of the first byte. */
    public long address() {
        if (freed) throw new IllegalStateException("device buffer of " + bytes + " bytes was already freed");
        return address;
    }

    public long bytes() {
        return bytes;
    }

    public CudaContext context() {
        return context;
    }

    private void checkRange(String operation, long offset, long length) {
        if (offset < 0 || length < 0 || offset > bytes - length) {
            throw new IndexOutOfBoundsException(operation + ": " + length + " bytes at offset " + offset
                    + " do not fit in a device buffer of " + bytes + " bytes");
        }
    }

    /** Copies {@code length} bytes from host address {@code host} to this buffer at {@code offset}. */
    public void copyFromHost(long host, long offset, long length) {
        checkRange("copyFromHost", offset, length);
        if (length == 0) return;
        context.check(CudaDriver.memcpyHtoD(context.handle(), address() + offset, host, length), "cuMemcpyHtoD_v2",
                "copying " + length + " bytes to the device");
    }

    /** Copies {@code length} bytes of this buffer at {@code offset} to host address {@code host}. */
    public void copyToHost(long offset, long host, long length) {
        checkRange("copyToHost", offset, length);
        if (length == 0) return;
        context.check(CudaDriver.memcpyDtoH(context.handle(), host, address() + offset, length), "cuMemcpyDtoH_v2",
                "copying " + length + " bytes from the device");
    }

    /** Copies {@code length} bytes from {@code source} at {@code sourceOffset} to this buffer at {@code offset}. */
    public void copyFrom(DeviceBuffer source, long sourceOffset, long offset, long length) {
        source.checkRange("copyFrom (source)", sourceOffset, length);
        checkRange("copyFrom", offset, length);
        if (length == 0) return;
        context.check(CudaDriver.memcpyDtoD(context.handle(), address() + offset, source.address() + sourceOffset,
                length), "cuMemcpyDtoD_v2", "copying " + length + " bytes on the device");
    }

    /** Sets every 32-bit word from {@code offset} (a multiple of 4) on to {@code pattern}. */
    public void fill32(long offset, long words, int pattern) {
        if (offset % 4 != 0) throw new IllegalArgumentException("fill32: offset " + offset + " is not a multiple of 4");
        checkRange("fill32", offset, words * 4);
        if (words == 0) return;
        context.check(CudaDriver.memsetD32(context.handle(), address() + offset, pattern, words), "cuMemsetD32_v2",
                "filling " + words + " words");
    }

    public void write(float[] values, long offset) {
        try (FloatPointer host = new FloatPointer(values)) {
            copyFromHost(host.address(), offset, values.length * 4L);
        }
    }

    public void write(short[] values, long offset) {
        try (ShortPointer host = new ShortPointer(values)) {
            copyFromHost(host.address(), offset, values.length * 2L);
        }
    }

    public void write(byte[] values, long offset) {
        try (BytePointer host = new BytePointer(values)) {
            copyFromHost(host.address(), offset, values.length);
        }
    }

    public void read(long offset, float[] values) {
        try (FloatPointer host = new FloatPointer(values.length)) {
            copyToHost(offset, host.address(), values.length * 4L);
            host.get(values);
        }
    }

    public void read(long offset, short[] values) {
        try (ShortPointer host = new ShortPointer(values.length)) {
            copyToHost(offset, host.address(), values.length * 2L);
            host.get(values);
        }
    }

    /** Frees the memory; later uses throw {@link IllegalStateException}. Closing twice is harmless. */
    @Override
    public void close() {
        if (freed) return;
        freed = true;
        context.check(CudaDriver.memFree(context.handle(), address), "cuMemFree_v2", "freeing " + bytes + " bytes");
    }
}
