package io.carpathia.weights.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Views of an INDArray's native memory as ByteBuffers, so files move into and out of arrays in bulk copies. */
final class NativeMemory {
    private NativeMemory() {}

    static {
        // The format is little-endian and the bulk copies move bytes unchanged into ND4J's native-order buffers.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("safetensors I/O needs a little-endian platform");
        }
    }

    /**
     * A pointer over raw memory, so JavaCPP hands us a direct ByteBuffer of it. It owns nothing. A BytePointer, so
     * its element size is 1: a plain Pointer counts limit and capacity in 8-byte elements.
     */
    private static final class Raw extends BytePointer {
        Raw(long address, long bytes) {
            this.address = address;
            this.position = 0;
            this.limit = bytes;
            this.capacity = bytes;
        }
    }

    /** A little-endian buffer over {@code bytes} bytes (at most 2^31 - 1) at {@code address}. */
    static ByteBuffer window(long address, int bytes) {
        return new Raw(address, bytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Address of the array's first element (a view's offset included). */
    static long address(INDArray a) {
        return a.data().address() + a.offset() * a.dataType().width();
    }

    /** True when element i of the array sits at address + i * width: row-major with no gaps. */
    static boolean isDense(INDArray a) {
        if (a.isEmpty()) return true;
        long[] shape = a.shape();
        long[] strides = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }
}
