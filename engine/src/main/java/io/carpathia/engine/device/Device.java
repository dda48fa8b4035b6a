package io.carpathia.engine.device;

import io.carpathia.engine.quant.Nf4Tensor;
import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.CudaUnavailableException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the engine multiplies matrices and dequantizes NF4 weights: the CPU (OpenBLAS, the default) or a CUDA GPU
 * running the kernels module's kernels. Chosen per thread for a stretch of code, as {@code GradMode} is:
 * <pre>{@code
 * try (var gpu = Device.cuda().use()) {          // CudaUnavailableException, with the reason, without a GPU
 *     Tensor loss = model.loss(model.forward(x), y);
 *     loss.backward();                           // the backward products run on the device current here
 *     optimizer.step();
 * }
 * }</pre>
 *
 * <p>On a CUDA device every float32 matrix product of the engine runs on the GPU: {@code matmul} (2-D and batched),
 * the dense layers ({@code linear}, {@code affine}) and fused attention, forward and both backward products
 * (dA = dC·Bᵀ, dB = Aᵀ·dC). Everything else — elementwise ops, softmax, layer norm, the optimizer — runs on the CPU
 * as before, and the tensors stay in host memory: each product copies its inputs from their ND4J buffers to the GPU
 * and its result back. Parameters are the exception: their device copies stay cached between products and steps and
 * are refreshed when the engine writes them (see {@link ParameterVersions}). float64 products (gradient checks) stay
 * on the CPU, since the kernels compute in float32. The products are float32 on the CUDA cores unless
 * {@link #setFloat32MatmulPrecision} allows TF32 on the tensor cores.
 *
 * <p>With the CPU selected, nothing changes: the products call OpenBLAS exactly as without this class, after one
 * read of a counter that says no thread has a GPU selected.
 */
public final class Device {
    private static final Device CPU = new Device("cpu", null, "the CPU (OpenBLAS)");
    private static final ThreadLocal<Device[]> CURRENT = ThreadLocal.withInitial(() -> new Device[] {CPU});
    /** Open {@link Use} scopes of GPU devices over all threads: while 0, no thread needs the thread-local lookup. */
    private static final AtomicInteger GPU_SCOPES = new AtomicInteger();
    private static final Map<Integer, Device> CUDA_DEVICES = new HashMap<>();
    private static volatile MatmulPrecision float32MatmulPrecision = MatmulPrecision.HIGHEST;

    private final String name;
    private final GpuBackend gpu;
    private final String description;

    private Device(String name, GpuBackend gpu, String description) {
        this.name = name;
        this.gpu = gpu;
        this.description = description;
    }

    /** The CPU. */
    public static Device cpu() {
        return CPU;
    }

    /**
     * The default CUDA GPU: device 0, or the one {@code -Dcarpathia.cuda.device=N} names.
     *
     * @throws CudaUnavailableException without a usable GPU, with the reason (that of {@code Cuda.unavailableReason()},
     *                                  e.g. "libcuda.so.1: cannot open shared object file: No such file or directory")
     */
    public static Device cuda() {
        return cuda(defaultOrdinal());
    }

    /**
     * CUDA GPU number {@code ordinal}, opened on first use (its context and kernels are kept for the process).
     *
     * @throws CudaUnavailableException without a driver, without that device, or when it cannot run the kernels
     */
    public static Device cuda(int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("Device.cuda: the device number must be >= 0, got " + ordinal);
        }
        synchronized (CUDA_DEVICES) {
            Device device = CUDA_DEVICES.get(ordinal);
            if (device == null) {
                device = openCuda(ordinal);
                CUDA_DEVICES.put(ordinal, device);
            }
            return device;
        }
    }

    private static int defaultOrdinal() {
        return Integer.getInteger("carpathia.cuda.device", 0);
    }

    private static Device openCuda(int ordinal) {
        CudaKernels kernels;
        if (ordinal == defaultOrdinal()) {
            kernels = CudaKernels.get();   // the process-wide context; throws Cuda's reason when it is unavailable
        } else {
            CudaContext context = CudaContext.open(
                    System.getProperty("carpathia.cuda.library", CudaContext.DEFAULT_LIBRARY), ordinal);
            try {
                kernels = new CudaKernels(context);
            } catch (RuntimeException e) {
                context.close();
                throw e;
            }
        }
        return gpu("cuda:" + ordinal, GpuKernels.of(kernels));
    }

    /** The GPU side of this device, or null for the CPU. */
    GpuBackend backend() {
        return gpu;
    }

    /** A GPU device over the given kernels (tests use an emulation on a stand-in driver). */
    static Device gpu(String name, GpuKernels kernels) {
        return new Device(name, new GpuBackend(kernels), kernels.context().device().describe());
    }

    /**
     * The device a command-line option names: {@code cpu}, {@code cuda} (the default GPU) or {@code cuda:N}.
     *
     * @throws IllegalArgumentException for anything else
     * @throws CudaUnavailableException for a GPU that cannot be used
     */
    public static Device parse(String spec) {
        if (spec.equals("cpu")) return cpu();
        if (spec.equals("cuda")) return cuda();
        if (spec.startsWith("cuda:")) {
            String number = spec.substring("cuda:".length());
            if (!number.isEmpty() && number.chars().allMatch(Character::isDigit) && number.length() < 10) {
                return cuda(Integer.parseInt(number));
            }
        }
        throw new IllegalArgumentException("device '" + spec + "' is not one of cpu, cuda, cuda:N (N = 0, 1, ...)");
    }

    /**
     * How GPU devices multiply float32 matrices from now on, in every thread: {@link MatmulPrecision#HIGHEST}
     * (float32, the default) or {@link MatmulPrecision#HIGH} (TF32 tensor cores), as PyTorch's
     * {@code torch.set_float32_matmul_precision}. The CPU is not affected.
     */
    public static void setFloat32MatmulPrecision(MatmulPrecision precision) {
        float32MatmulPrecision = Objects.requireNonNull(precision, "precision");
    }

    /** The precision GPU devices multiply float32 matrices in (see {@link #setFloat32MatmulPrecision}). */
    public static MatmulPrecision float32MatmulPrecision() {
        return float32MatmulPrecision;
    }

    /** The device selected on this thread: the CPU unless a {@link #use()} scope is open. */
    public static Device current() {
        return CURRENT.get()[0];
    }

    /** The GPU backend selected on this thread, or null: the one check on the CPU path of every product. */
    static GpuBackend currentGpu() {
        if (GPU_SCOPES.get() == 0) return null;
        return CURRENT.get()[0].gpu;
    }

    /** Makes this device the current one on this thread until the returned scope is closed. Scopes nest. */
    public Use use() {
        return new Use(this);
    }

    /** A stretch of code on one device; closing it restores the device that was current before. */
    public static final class Use implements AutoCloseable {
        private final Device device;
        private final Device previous;
        private boolean closed;

        private Use(Device device) {
            this.device = device;
            Device[] current = CURRENT.get();
            this.previous = current[0];
            if (device.gpu != null) GPU_SCOPES.incrementAndGet();
            current[0] = device;
        }

        public Device device() {
            return device;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            CURRENT.get()[0] = previous;
            if (device.gpu != null) GPU_SCOPES.decrementAndGet();
        }
    }

    /** "cpu" or "cuda:N". */
    public String name() {
        return name;
    }

    public boolean isCuda() {
        return gpu != null;
    }

    /** The name and what it is: "cuda:0: NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB, driver CUDA 13.0)". */
    public String describe() {
        return name + ": " + description;
    }

    @Override
    public String toString() {
        return name;
    }

    // ---- NF4 -----------------------------------------------------------------------------------------------------

    /** {@code weight} dequantized into a new FLOAT array of its shape, on this device. */
    public INDArray dequantizeNf4(Nf4Tensor weight) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, weight.shape());
        dequantizeNf4(weight, out);
        return out;
    }

    /**
     * Dequantizes {@code weight} into {@code out} (FLOAT or DOUBLE, dense, as many elements) on this device: the CPU
     * reference or the CUDA kernel, which give the same bits. On a GPU the codes are uploaded once and kept while the
     * tensor lives; a DOUBLE output is computed on the CPU.
     */
    public void dequantizeNf4(Nf4Tensor weight, INDArray out) {
        weight.checkOutput("dequantizeNf4", out);
        if (gpu != null && out.dataType() == DataType.FLOAT) {
            gpu.dequantizeNf4(weight, out);
        } else {
            weight.dequantizeOnCpu(out);
        }
    }

    // ---- the device cache ----------------------------------------------------------------------------------------

    /**
     * What a GPU device holds and has copied: cached parameter and NF4 copies (count and bytes), copies made
     * ({@code uploads}: first copies, {@code refreshes}: copies of changed parameters), uses of an up-to-date copy
     * ({@code hits}), and operands copied for a single product ({@code operandCopies}). All zero for the CPU.
     */
    public record CacheStatistics(int entries, long bytes, long uploads, long refreshes, long hits,
                                  long operandCopies) {}

    public CacheStatistics cacheStatistics() {
        return gpu == null ? new CacheStatistics(0, 0, 0, 0, 0, 0) : gpu.statistics();
    }

    /** Frees this device's cached copies and workspaces (they are made again when needed). */
    public void clearCache() {
        if (gpu != null) gpu.clear();
    }
}
