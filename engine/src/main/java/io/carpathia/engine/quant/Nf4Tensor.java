package io.carpathia.engine.quant;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.Nf4Data;
import io.carpathia.kernels.reference.Nf4Reference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tensor quantized to 4-bit NormalFloat (QLoRA's NF4) in the bitsandbytes layout: the row-major elements packed two
 * per byte (element 2i in the high nibble), one absmax per block of 64, optionally double-quantized (uint8 absmax
 * codes through a 256-entry codebook, one float scale per group of 256 blocks, plus an offset). See
 * {@link Nf4Layout} and the kernels module's {@code nf4.cuh}.
 *
 * <p>Immutable: the arrays are copied in and never handed out, so a GPU can keep its copy of the codes for as long as
 * the tensor lives without ever serving stale values. Dequantize through the device in use,
 * {@code Device.current().dequantizeNf4(weight)}; {@link #dequantizeOnCpu} is the CPU side of that.
 */
public final class Nf4Tensor {
    /** Blocks per piece of parallel work on the CPU (about 32K elements with blocks of 64). */
    private static final long BLOCKS_PER_TASK = 512;

    private final long[] shape;
    private final Nf4Data data;

    private Nf4Tensor(long[] shape, Nf4Data data) {
        this.shape = shape;
        this.data = data;
    }

    /**
     * The quantized tensor of {@code shape} held by {@code data} (copied). The layout must count exactly the
     * shape's elements.
     */
    public static Nf4Tensor of(long[] shape, Nf4Data data) {
        long elements = Shapes.numel(shape);
        if (data.layout().elements() != elements) {
            throw new ShapeException("Nf4Tensor: the quantized data holds " + data.layout().elements()
                    + " elements, shape " + Shapes.str(shape) + " has " + elements);
        }
        return new Nf4Tensor(shape.clone(), copy(data));
    }

    private static Nf4Data copy(Nf4Data d) {
        return new Nf4Data(d.layout(), d.packed().clone(), clone(d.absmax()), clone(d.absmaxCodes()),
                clone(d.codebook()), clone(d.absmaxScales()), d.absmaxOffset());
    }

    private static float[] clone(float[] a) {
        return a == null ? null : a.clone();
    }

    private static byte[] clone(byte[] a) {
        return a == null ? null : a.clone();
    }

    public long[] shape() {
        return shape.clone();
    }

    public Nf4Layout layout() {
        return data.layout();
    }

    /** A copy of the codes and scales (for uploading to a device, or saving). */
    public Nf4Data data() {
        return copy(data);
    }

    /**
     * Dequantizes into {@code out} (FLOAT or DOUBLE, dense, as many elements as this tensor; its shape is not
     * checked, so a flat buffer does too). Each value is {@code level · absmax} rounded to float32, as bitsandbytes
     * and the CUDA kernel compute it, so both devices give the same bits.
     */
    public void dequantizeOnCpu(INDArray out) {
        checkOutput("Nf4Tensor.dequantizeOnCpu", out);
        Nf4Layout layout = data.layout();
        long elements = layout.elements();
        if (elements == 0) return;
        int blocksize = layout.blocksize();
        byte[] packed = data.packed();
        Native.View view = Native.view(out);
        Parallel.forRange(layout.blocks(), BLOCKS_PER_TASK, (from, to) -> {
            double[] values = new double[blocksize];
            for (long block = from; block < to; block++) {
                float absmax = Nf4Reference.absmax(data, block);
                long start = block * blocksize;
                int n = (int) Math.min(blocksize, elements - start);
                for (int i = 0; i < n; i++) {
                    float value = Nf4Reference.level(Nf4Reference.code(packed, start + i)) * absmax;
                    values[i] = value;
                }
                view.store(values, 0, n, start);
            }
        });
    }

    /** Checks that {@code out} can receive this tensor's values: FLOAT or DOUBLE, dense, the right length. */
    public void checkOutput(String op, INDArray out) {
        if (out.dataType() != DataType.FLOAT && out.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException(op + ": the output must be FLOAT or DOUBLE, got " + out.dataType());
        }
        if (!Native.isDense(out)) {
            throw new IllegalArgumentException(op + ": the output must be a dense row-major array, got shape "
                    + Shapes.str(out.shape()) + " with strides " + Shapes.str(out.stride()));
        }
        if (out.length() != data.layout().elements()) {
            throw new ShapeException(op + ": the output " + Shapes.str(out.shape()) + " has " + out.length()
                    + " elements, the quantized tensor " + Shapes.str(shape) + " has " + data.layout().elements());
        }
    }

    @Override
    public String toString() {
        return "Nf4Tensor(shape=" + Shapes.str(shape) + ", blocksize=" + data.layout().blocksize()
                + (data.layout().isDoubleQuantized() ? ", double-quantized" : "") + ")";
    }
}
