package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Named tensors on disk, read one at a time on request: a single safetensors file ({@link SafetensorsReader}) or a
 * sharded checkpoint ({@link ShardedSafetensorsReader}). Opening reads headers only.
 *
 * <p>Reading a name that is not there throws {@link IllegalArgumentException} naming the file and the tensor.
 */
public interface TensorSource extends AutoCloseable {

    /** The tensor names, in file order (shard by shard for a sharded checkpoint). */
    List<String> names();

    boolean contains(String name);

    /** The header entry of a tensor. */
    TensorInfo info(String name);

    /** The file holding a tensor's data. */
    Path fileOf(String name);

    /** The {@code __metadata__} strings (of the first shard, for a sharded checkpoint). */
    Map<String, String> metadata();

    /**
     * A new dense row-major array of the tensor's own type ({@link Dtype#nd4jType()}): its bytes copied unchanged,
     * except F8_E4M3/F8_E5M2, which ND4J lacks and which widen exactly to FLOAT.
     */
    INDArray read(String name) throws IOException;

    /**
     * A new dense row-major array of {@code type}: the tensor's own type, or an exact widening (F16, BF16 and the
     * 8-bit floats to FLOAT; any float to DOUBLE; integers to LONG, or to INT when they fit). Anything that would
     * round or wrap is refused with an {@link IllegalArgumentException}.
     */
    INDArray read(String name, DataType type) throws IOException;

    /**
     * Reads a tensor into an existing dense row-major array of the same shape, of any type {@link #read(String,
     * DataType)} accepts: the path for loading weights into parameters that already exist.
     */
    void readInto(String name, INDArray target) throws IOException;

    /** The tensor's bytes as stored (little-endian). */
    byte[] readBytes(String name) throws IOException;

    /** Sum of the element counts of all tensors. */
    default long parameterCount() {
        long n = 0;
        for (String name : names()) n += info(name).elementCount();
        return n;
    }

    /** Sum of the data sizes of all tensors, in bytes. */
    default long dataBytes() {
        long n = 0;
        for (String name : names()) n += info(name).byteSize();
        return n;
    }

    @Override
    void close() throws IOException;
}
