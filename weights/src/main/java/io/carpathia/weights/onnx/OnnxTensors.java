package io.carpathia.weights.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small tensors made in memory: the scalar and list values of Constant nodes. */
final class OnnxTensors {
    private OnnxTensors() {}

    static OnnxTensor floats(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return new OnnxTensor(name, OnnxDataType.FLOAT, shape, b.flip());
    }

    static OnnxTensor longs(String name, long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return new OnnxTensor(name, OnnxDataType.INT64, shape, b.flip());
    }
}
