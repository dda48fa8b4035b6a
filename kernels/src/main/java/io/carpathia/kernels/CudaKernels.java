package io.carpathia.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Carpathia kernels on one {@link CudaContext}: matrix products (FP32, TF32, BF16; NN, NT, TN; strided-batched),
 * NF4 dequantization and the fused NF4 matrix-vector product. The device code comes from the fatbin in this jar
 * ({@code io/carpathia/kernels/cuda/carpathia_kernels.fatbin}); should the driver reject it, from the PTX beside it.
 *
 * <p>Operands are {@link DeviceBuffer}s with element offsets, checked against the shapes before anything is launched.
 * {@link #gemmHost} takes host addresses instead (an ND4J buffer's, say) and copies straight from and to them.
 * Launches are asynchronous: results are visible after {@link CudaContext#synchronize()} or a copy to the host.
 *
 * <p><b>Each kernel's first launch is checked.</b> It runs into a scratch copy of its output with guards around it,
 * and {@link KernelSpotCheck} compares a spread of the output's elements with what the CPU computes from the device's
 * operands; only then is the output copied where it belongs (and that call waits for it). A kernel that fails is never
 * launched again: its calls throw {@link IllegalStateException} with what was wrong, except that
 * {@link GemmFamily#AUTO} then leaves the warpgroup kernels for the warp-level ones (C is still untouched, so the
 * product is simply run again there). So a kernel that is wrong on some GPU cannot hand out wrong numbers silently.
 */
public final class CudaKernels {
    static final String FATBIN_RESOURCE = "cuda/carpathia_kernels.fatbin";
    static final String PTX_RESOURCE = "cuda/carpathia_kernels.ptx";
    private static final String NF4_GEMV = "carpathia_nf4_gemv";
    private static final String WGMMA_PROBE = "carpathia_wgmma_available";
    /** The warpgroup tile width {@link GemmFamily#AUTO} uses: {@code -Dcarpathia.cuda.wgmma=256|128|off}. */
    private static final int AUTO_WGMMA_TILE = autoWgmmaTile(System.getProperty("carpathia.cuda.wgmma", "256"));

    private static volatile CudaKernels defaultKernels;

    private final CudaContext context;
    private final CudaModule module;
    private final Map<String, CudaFunction> functions = new ConcurrentHashMap<>();
    private DeviceBuffer workspaceA;
    private DeviceBuffer workspaceB;
    private DeviceBuffer workspaceC;
    private volatile Boolean wgmmaAvailable;
    /** Why AUTO stopped using the warpgroup kernels (one failed its first-use check), or null. */
    private volatile String wgmmaWithdrawn;
    /** Kernels (and code paths) whose first launch passed {@link KernelSpotCheck}: they now write directly. */
    private final Set<String> checkedKernels = ConcurrentHashMap.newKeySet();
    /** Kernels whose first launch failed it, with what was wrong: they are never launched again. */
    private final Map<String, String> failedKernels = new ConcurrentHashMap<>();

    /** Loads the kernels into {@code context}. */
    public CudaKernels(CudaContext context) {
        this.context = context;
        this.module = loadModule(context);
    }

    /**
     * The kernels on the default context ({@link Cuda#context()}), loaded once.
     *
     * @throws CudaUnavailableException without a GPU
     */
    public static CudaKernels get() {
        CudaKernels kernels = defaultKernels;
        if (kernels == null) {
            synchronized (CudaKernels.class) {
                kernels = defaultKernels;
                if (kernels == null) defaultKernels = kernels = new CudaKernels(Cuda.context());
            }
        }
        return kernels;
    }

    private static CudaModule loadModule(CudaContext context) {
        byte[] fatbin = resource(FATBIN_RESOURCE);
        try {
            return context.loadModule(fatbin, "carpathia_kernels.fatbin");
        } catch (CudaException fatbinRejected) {
            try {
                return context.loadModule(resource(PTX_RESOURCE),
                        "carpathia_kernels.ptx (the fatbin was rejected: " + fatbinRejected.getMessage() + ")");
            } catch (CudaException ptxRejected) {
                ptxRejected.addSuppressed(fatbinRejected);
                throw ptxRejected;
            }
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("the kernels jar lacks io/carpathia/kernels/" + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading io/carpathia/kernels/" + name, e);
        }
    }

    public CudaContext context() {
        return context;
    }

    /** The names of every kernel this class launches (each must be an entry point of the fatbin). */
    public static List<String> kernelNames() {
        List<String> names = new ArrayList<>();
        for (GemmPrecision precision : GemmPrecision.values()) {
            for (Gemm form : List.of(Gemm.of(false, false, 1, 1, 1), Gemm.of(false, true, 1, 1, 1),
                    Gemm.of(true, false, 1, 1, 1))) {
                names.add(form.kernelName(precision, false));
                names.add(form.kernelName(precision, true));
            }
        }
        for (GemmPrecision precision : GemmPrecision.values()) {
            if (!precision.hasWgmma()) continue;
            Gemm nt = Gemm.of(false, true, 2, 2, 8);
            for (int tileN : KernelTiling.Wgmma.TILE_N) {
                names.add(nt.wgmmaKernelName(precision, tileN, 0));  // C 8-byte aligned: the "_c2" form
                names.add(nt.wgmmaKernelName(precision, tileN, 4));  // C 4-byte aligned: column by column
            }
        }
        names.add(WGMMA_PROBE);
        for (Nf4Output output : Nf4Output.values()) names.add(output.kernelName());
        names.add(NF4_GEMV);
        return names;
    }

    static int autoWgmmaTile(String setting) {
        return switch (setting) {
            case "off" -> 0;
            case "128" -> 128;
            case "256" -> 256;
            default -> throw new IllegalArgumentException("-Dcarpathia.cuda.wgmma=" + setting
                    + ": expected 256, 128 or off");
        };
    }

    /**
     * Whether this GPU runs the warpgroup kernels of gemm_wgmma.cuh: an sm_90 GPU that loaded the fatbin's sm_90a
     * code. Asked of the device once, by a one-thread kernel that is compiled to say 1 only in that code.
     */
    public boolean wgmmaAvailable() {
        Boolean available = wgmmaAvailable;
        if (available == null) {
            synchronized (this) {
                available = wgmmaAvailable;
                if (available == null) wgmmaAvailable = available = probeWgmma();
            }
        }
        return available;
    }

    private boolean probeWgmma() {
        if (context.device().computeMajor() != 9) return false;
        try (DeviceBuffer answer = context.allocate(4)) {
            answer.fill32(0, 1, 0);
            function(WGMMA_PROBE).launch(1, 1, 1, 1, new KernelArguments().pointer(answer, 0));
            float[] word = new float[1];
            answer.read(0, word);  // waits for the kernel
            return Float.floatToRawIntBits(word[0]) == 1;
        }
    }

    /**
     * Why {@link GemmFamily#AUTO} no longer uses the warpgroup kernels here (one of them failed its first product's
     * check), or null while it does (or never did, see {@link #wgmmaAvailable()}).
     */
    public String wgmmaWithdrawn() {
        return wgmmaWithdrawn;
    }

    /**
     * The kernels whose first launch passed its check so far, in no order: matrix-product kernels by name, NF4 kernels
     * by name and "/vectorised" or "/scalar" (their two code paths).
     */
    public Set<String> checkedKernels() {
        return Set.copyOf(checkedKernels);
    }

    /** Which image the kernels came from: the fatbin, or the PTX with the reason the fatbin was rejected. */
    public String moduleDescription() {
        return module.description();
    }

    CudaFunction function(String name) {
        return functions.computeIfAbsent(name, module::function);
    }

    // ---- matrix products ---------------------------------------------------------------------------------------

    /**
     * {@code C = alpha · op(A) · op(B) + beta · C} on the device. Offsets count elements (bfloat16 for BF16's A and
     * B, float32 otherwise; C is always float32). With {@code beta == 0} C is not read, so it may hold anything.
     */
    public void gemm(GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA, DeviceBuffer b,
                     long offsetB, float beta, DeviceBuffer c, long offsetC) {
        gemm(GemmFamily.AUTO, precision, shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC);
    }

    /**
     * {@link #gemm} on the kernels of {@code family}.
     *
     * @throws IllegalArgumentException when a warpgroup family is asked of a product it cannot run (FP32, a form other
     *         than NT, a misaligned operand) or of a GPU without them (see {@link #wgmmaAvailable()})
     */
    public void gemm(GemmFamily family, GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA,
                     DeviceBuffer b, long offsetB, float beta, DeviceBuffer c, long offsetC) {
        requireFits("A", a, offsetA, shape.extentA(), precision.inputBytes(), shape);
        requireFits("B", b, offsetB, shape.extentB(), precision.inputBytes(), shape);
        requireFits("C", c, offsetC, shape.extentC(), 4, shape);
        if (shape.isEmpty()) return;
        launchGemm(family, precision, shape, alpha, a, offsetA * precision.inputBytes(), b,
                offsetB * precision.inputBytes(), beta, c, offsetC * 4);
    }

    /** {@link #gemm} in FP32 on the CUDA cores. */
    public void sgemm(Gemm shape, float alpha, DeviceBuffer a, long offsetA, DeviceBuffer b, long offsetB, float beta,
                      DeviceBuffer c, long offsetC) {
        gemm(GemmPrecision.FP32, shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC);
    }

    /**
     * {@link #gemm} on host memory: A and B are copied from their host addresses straight into device workspace, C
     * back to its host address (and first to the device when {@code beta != 0} or C has gaps the kernel does not
     * write, so that they come back unchanged). Returns when C is on the host.
     */
    public synchronized void gemmHost(GemmPrecision precision, Gemm shape, float alpha, long hostA, long hostB,
                                      float beta, long hostC) {
        if (shape.isEmpty()) return;
        long bytesA = shape.extentA() * precision.inputBytes();
        long bytesB = shape.extentB() * precision.inputBytes();
        long bytesC = shape.extentC() * 4;
        workspaceA = ensure(workspaceA, bytesA);
        workspaceB = ensure(workspaceB, bytesB);
        workspaceC = ensure(workspaceC, bytesC);
        workspaceA.copyFromHost(hostA, 0, bytesA);
        workspaceB.copyFromHost(hostB, 0, bytesB);
        boolean cDense = shape.ldc() == shape.n()
                && (shape.batchCount() == 1 || shape.strideC() == (long) shape.m() * shape.ldc());
        if (beta != 0 || !cDense) workspaceC.copyFromHost(hostC, 0, bytesC);
        launchGemm(GemmFamily.AUTO, precision, shape, alpha, workspaceA, 0, workspaceB, 0, beta, workspaceC, 0);
        workspaceC.copyToHost(0, hostC, bytesC);
    }

    private DeviceBuffer ensure(DeviceBuffer buffer, long bytes) {
        if (buffer != null && buffer.bytes() >= bytes) return buffer;
        if (buffer != null) buffer.close();
        long rounded = Math.max(1 << 20, (bytes + (1 << 20) - 1) & -(1L << 20));
        return context.allocate(rounded);
    }

    /** Launches the product's kernel on operands at byte offsets into their buffers, checking its first product. */
    private void launchGemm(GemmFamily family, GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a,
                            long byteA, DeviceBuffer b, long byteB, float beta, DeviceBuffer c, long byteC) {
        long addressA = a.address() + byteA;
        long addressB = b.address() + byteB;
        int tileN = wgmmaTile(family, precision, shape, addressA, addressB);
        String kernel = tileN > 0 ? shape.wgmmaKernelName(precision, tileN, c.address() + byteC)
                : shape.kernelName(precision, shape.vectorisable(precision, addressA, addressB, c.address() + byteC));
        String problem = checkedLaunch(kernel, c, byteC, shape.extentC() * 4,
                into -> launch(kernel, tileN, shape, alpha, addressA, addressB, beta, into),
                (scratch, at) -> KernelSpotCheck.gemm(kernel, precision, shape, alpha, a, byteA, b, byteB, beta, c,
                        byteC, scratch, at));
        if (problem == null) return;
        // a wrong kernel: C is as it was. AUTO can still go to the warp-level kernels; anything else is refused.
        if (tileN > 0 && family == GemmFamily.AUTO) {
            if (wgmmaWithdrawn == null) {
                wgmmaWithdrawn = problem;
                System.getLogger(CudaKernels.class.getName()).log(Level.WARNING, problem
                        + " Products go to the warp-level tensor-core kernels instead.");
            }
            launchGemm(GemmFamily.CLASSIC, precision, shape, alpha, a, byteA, b, byteB, beta, c, byteC);
            return;
        }
        throw new IllegalStateException(problem);
    }

    /** Writes a kernel's output at a device address. */
    private interface Launch {
        void into(long address);
    }

    /** Checks a kernel's output in a scratch buffer, at a byte offset. */
    private interface Check {
        KernelSpotCheck.Result of(DeviceBuffer scratch, long offset);
    }

    /**
     * Runs a kernel whose output is the {@code bytes} at byte {@code offset} of {@code out}: directly once its first
     * launch passed its check; the first time into a scratch copy of the output (as it was, with
     * {@link KernelSpotCheck#GUARD_BYTES} of guard on either side, at the output's alignment so that the same code
     * path runs), checked, and copied into the output only when right. Returns null when the output is written, else
     * what is wrong with the kernel (then, and ever after, the output is left untouched).
     */
    private String checkedLaunch(String kernel, DeviceBuffer out, long offset, long bytes, Launch launch,
                                 Check check) {
        String problem = failedKernels.get(kernel);
        if (problem != null) return problem;
        if (checkedKernels.contains(kernel)) {
            launch.into(out.address() + offset);
            return null;
        }
        long start = KernelSpotCheck.GUARD_BYTES + (out.address() + offset) % 16;  // allocations are 256-aligned
        KernelSpotCheck.Result result;
        long scratchBytes = (start + bytes + KernelSpotCheck.GUARD_BYTES + 3) & ~3L;   // whole words of guard
        try (DeviceBuffer scratch = context.allocate(scratchBytes)) {
            scratch.fill32(0, scratch.bytes() / 4, KernelSpotCheck.GUARD_PATTERN);
            scratch.copyFrom(out, offset, start, bytes);
            launch.into(scratch.address() + start);
            String outside = KernelSpotCheck.guards(scratch, start, bytes);
            result = outside != null ? new KernelSpotCheck.Result(true, kernel + " wrote outside its output: "
                    + outside) : check.of(scratch, start);
            if (result.passed()) {
                out.copyFrom(scratch, start, offset, bytes);
                if (result.judged()) checkedKernels.add(kernel);  // else (non-finite inputs) the next launch is checked
                return null;
            }
        }
        problem = "the " + kernel + " kernel gives wrong results on " + context.device().describe() + ": "
                + result.problem() + ". It will not be launched again; please report this with the output of the "
                + "kernels check (kernels/README.md).";
        failedKernels.put(kernel, problem);
        return problem;
    }

    private void launch(String kernel, int tileN, Gemm shape, float alpha, long addressA, long addressB, float beta,
                        long addressC) {
        KernelArguments arguments = new KernelArguments()
                .int32(shape.m()).int32(shape.n()).int32(shape.k()).float32(alpha)
                .pointer(addressA).int64(shape.lda()).int64(shape.strideA())
                .pointer(addressB).int64(shape.ldb()).int64(shape.strideB())
                .float32(beta).pointer(addressC).int64(shape.ldc()).int64(shape.strideC())
                .int32(shape.batchCount());
        if (tileN > 0) {
            function(kernel).launch(Gemm.ceilDiv(shape.n(), tileN), Gemm.ceilDiv(shape.m(), KernelTiling.Wgmma.BM),
                    shape.gridZ(), KernelTiling.Wgmma.THREADS, KernelTiling.Wgmma.sharedBytes(tileN), arguments);
        } else {
            function(kernel).launch(shape.gridX(), shape.gridY(), shape.gridZ(), KernelTiling.Sgemm.THREADS,
                    arguments);
        }
    }

    /** The warpgroup tile width that runs this product, or 0 for the classic kernels. */
    private int wgmmaTile(GemmFamily family, GemmPrecision precision, Gemm shape, long addressA, long addressB) {
        if (family == GemmFamily.CLASSIC) return 0;
        if (family == GemmFamily.AUTO) {
            return AUTO_WGMMA_TILE > 0 && wgmmaWithdrawn == null && shape.wgmmaEligible(precision, addressA, addressB)
                    && wgmmaAvailable() ? AUTO_WGMMA_TILE : 0;
        }
        if (!shape.wgmmaEligible(precision, addressA, addressB)) {
            throw new IllegalArgumentException("gemm: " + family + " runs TF32 and BF16 products of the NT form with"
                    + " 16-byte aligned A and B and k, lda, ldb and batch strides in whole 16 bytes; not " + precision
                    + " " + shape);
        }
        if (!wgmmaAvailable()) {
            throw new IllegalArgumentException("gemm: " + family + " needs an sm_90 GPU running the fatbin's sm_90a"
                    + " code; this is " + context.device().describe() + ", kernels from " + moduleDescription());
        }
        return family.tileN();
    }

    private void requireFits(String operand, DeviceBuffer buffer, long offset, long elements, int elementBytes,
                             Gemm shape) {
        if (buffer == null) throw new IllegalArgumentException("gemm: " + operand + " is null (" + shape + ")");
        requireSameContext("gemm", operand, buffer);
        if (offset < 0) throw new IllegalArgumentException("gemm: offset of " + operand + " is negative: " + offset);
        if ((offset + elements) * elementBytes > buffer.bytes()) {
            throw new IllegalArgumentException("gemm: " + operand + " spans " + elements + " elements from offset "
                    + offset + " (" + shape + "), its device buffer holds " + buffer.bytes() / elementBytes);
        }
    }

    private void requireSameContext(String op, String operand, DeviceBuffer buffer) {
        if (buffer.context() != context) {
            throw new IllegalArgumentException(op + ": " + operand + " lives in another CUDA context");
        }
    }

    // ---- NF4 -----------------------------------------------------------------------------------------------------

    /** Dequantizes all of {@code weights} into {@code out}, starting {@code offset} elements in. */
    public void nf4Dequantize(DeviceNf4 weights, DeviceBuffer out, long offset, Nf4Output type) {
        Nf4Layout layout = weights.layout();
        requireSameContext("nf4Dequantize", "out", out);
        if (offset < 0 || (offset + layout.elements()) * type.bytes() > out.bytes()) {
            throw new IllegalArgumentException("nf4Dequantize: " + layout.elements() + " " + type + " elements from"
                    + " offset " + offset + " do not fit in an output buffer of " + out.bytes() + " bytes");
        }
        if (layout.elements() == 0) return;
        long byteOut = offset * type.bytes();
        boolean vectorised = layout.dequantizeVectorisable(weights.packed().address(), out.address() + byteOut);
        String path = type.kernelName() + (vectorised ? "/vectorised" : "/scalar");
        String problem = checkedLaunch(path, out, byteOut, layout.elements() * type.bytes(), into -> {
            KernelArguments arguments = weights.appendScales(new KernelArguments().pointer(weights.packed(), 0))
                    .int64(layout.elements()).pointer(into).int32(vectorised ? 1 : 0);
            function(type.kernelName()).launch(layout.dequantizeBlocks(vectorised,
                    context.device().multiprocessors()), 1, 1, KernelTiling.Nf4.THREADS, arguments);
        }, (scratch, at) -> KernelSpotCheck.nf4Dequantize(path, weights, type, scratch, at));
        if (problem != null) throw new IllegalStateException(problem);
    }

    /**
     * {@code y = W x} for an NF4 weight W of {@code rows × cols} (row-major, as an {@code nn.Linear} weight
     * [out, in]) and float32 vectors x [cols] and y [rows] at the given element offsets.
     */
    public void nf4Gemv(DeviceNf4 weights, int rows, int cols, DeviceBuffer x, long offsetX, DeviceBuffer y,
                        long offsetY) {
        Nf4Layout layout = weights.layout();
        if (rows < 0 || cols < 0 || (long) rows * cols != layout.elements()) {
            throw new IllegalArgumentException("nf4Gemv: a " + rows + " x " + cols + " matrix does not match the "
                    + layout.elements() + " elements of the quantized weight");
        }
        requireSameContext("nf4Gemv", "x", x);
        requireSameContext("nf4Gemv", "y", y);
        if (offsetX < 0 || (offsetX + cols) * 4 > x.bytes()) {
            throw new IllegalArgumentException("nf4Gemv: x needs " + cols + " floats from offset " + offsetX
                    + ", its buffer holds " + x.bytes() / 4);
        }
        if (offsetY < 0 || (offsetY + rows) * 4 > y.bytes()) {
            throw new IllegalArgumentException("nf4Gemv: y needs " + rows + " floats from offset " + offsetY
                    + ", its buffer holds " + y.bytes() / 4);
        }
        if (rows == 0) return;
        if (cols == 0) {
            y.fill32(offsetY * 4, rows, 0);
            return;
        }
        long xAddress = x.address() + offsetX * 4;
        boolean vectorised = layout.gemvVectorisable(cols, weights.packed().address(), xAddress);
        String path = NF4_GEMV + (vectorised ? "/vectorised" : "/scalar");
        String problem = checkedLaunch(path, y, offsetY * 4, rows * 4L, into -> {
            KernelArguments arguments = weights.appendScales(new KernelArguments().pointer(weights.packed(), 0))
                    .int32(rows).int32(cols).pointer(xAddress).pointer(into).int32(vectorised ? 1 : 0);
            int warps = KernelTiling.Nf4.GEMV_WARPS;
            function(NF4_GEMV).launch((rows + warps - 1) / warps, 1, 1, warps * KernelTiling.WARP_SIZE,
                    arguments);
        }, (scratch, at) -> KernelSpotCheck.nf4Gemv(path, weights, rows, cols, x, offsetX * 4, scratch, at));
        if (problem != null) throw new IllegalStateException(problem);
    }
}
