package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.carpathia.kernels.reference.Nf4Reference;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelTiling} (what the launches and the CPU emulations use) equals the constants in the CUDA sources, and
 * the NF4 table in nf4.cuh equals the reference's.
 */
class KernelTilingMatchesSourcesTest {
    private static final Path SOURCES = Path.of("src", "main", "cuda");
    private static final Pattern CONSTANT = Pattern.compile("constexpr int (\\w+) = ([^;]+);");
    private static final Pattern STRUCT = Pattern.compile("^struct (\\w+) \\{");

    /** Every {@code constexpr int} of a file, evaluated; struct members as "Struct.NAME". */
    private static Map<String, Integer> constants(String file) throws IOException {
        Map<String, Integer> values = new HashMap<>();
        values.put("kWarpSize", 32);
        String struct = "";
        for (String line : Files.readAllLines(SOURCES.resolve(file))) {
            Matcher s = STRUCT.matcher(line);
            if (s.find()) struct = s.group(1) + ".";
            if (line.startsWith("};")) struct = "";
            Matcher c = CONSTANT.matcher(line);
            if (c.find()) {
                Integer value = evaluate(c.group(2), values, struct);
                if (value != null) values.put(struct + c.group(1), value);
            }
        }
        return values;
    }

    /**
     * a op b op c ... (left to right) over integers and names defined earlier; {@code null} for what depends on
     * template parameters (such as {@code X * BK / VEC}), which has no single value.
     */
    private static Integer evaluate(String expression, Map<String, Integer> values, String struct) {
        String[] tokens = expression.trim().split("\\s+");
        Integer result = term(tokens[0], values, struct);
        for (int i = 1; i < tokens.length && result != null; i += 2) {
            Integer right = term(tokens[i + 1], values, struct);
            if (right == null) return null;
            switch (tokens[i]) {
                case "*" -> result *= right;
                case "/" -> result /= right;
                case "+" -> result += right;
                case "-" -> result -= right;
                default -> throw new IllegalArgumentException("cannot evaluate " + expression);
            }
        }
        return result;
    }

    private static Integer term(String token, Map<String, Integer> values, String struct) {
        if (token.matches("\\d+")) return Integer.parseInt(token);
        return values.getOrDefault(struct + token, values.get(token));
    }

    private static void expect(Map<String, Integer> source, String name, int java) {
        assertTrue(source.containsKey(name), name + " is not defined in the CUDA source");
        assertEquals(java, (int) source.get(name), name);
    }

    @Test
    void sgemm() throws IOException {
        Map<String, Integer> s = constants("sgemm.cuh");
        expect(s, "BM", KernelTiling.Sgemm.BM);
        expect(s, "BN", KernelTiling.Sgemm.BN);
        expect(s, "BK", KernelTiling.Sgemm.BK);
        expect(s, "THREADS", KernelTiling.Sgemm.THREADS);
        expect(s, "WARPS_N", KernelTiling.Sgemm.WARPS_N);
        expect(s, "WARPS_M", KernelTiling.Sgemm.WARPS_M);
        expect(s, "WM", KernelTiling.Sgemm.WM);
        expect(s, "WN", KernelTiling.Sgemm.WN);
        expect(s, "WMITER", KernelTiling.Sgemm.WMITER);
        expect(s, "WNITER", KernelTiling.Sgemm.WNITER);
        expect(s, "WSUB_M", KernelTiling.Sgemm.WSUB_M);
        expect(s, "WSUB_N", KernelTiling.Sgemm.WSUB_N);
        expect(s, "TM", KernelTiling.Sgemm.TM);
        expect(s, "TN", KernelTiling.Sgemm.TN);
        expect(s, "LANES_N", KernelTiling.Sgemm.LANES_N);
        expect(s, "LANES_M", KernelTiling.Sgemm.LANES_M);
    }

    @Test
    void tensorCore() throws IOException {
        Map<String, Integer> s = constants("gemm_tensorcore.cuh");
        expect(s, "BM", KernelTiling.TensorCore.BM);
        expect(s, "BN", KernelTiling.TensorCore.BN);
        expect(s, "THREADS", KernelTiling.TensorCore.THREADS);
        expect(s, "WARPS_N", KernelTiling.TensorCore.WARPS_N);
        expect(s, "WARPS_M", KernelTiling.TensorCore.WARPS_M);
        expect(s, "WM", KernelTiling.TensorCore.WM);
        expect(s, "WN", KernelTiling.TensorCore.WN);
        expect(s, "MMA_M", KernelTiling.TensorCore.MMA_M);
        expect(s, "MMA_N", KernelTiling.TensorCore.MMA_N);
        expect(s, "M_FRAGS", KernelTiling.TensorCore.M_FRAGS);
        expect(s, "N_FRAGS", KernelTiling.TensorCore.N_FRAGS);
        for (var entry : Map.of("Tf32", KernelTiling.TensorCore.TF32, "Bf16", KernelTiling.TensorCore.BF16)
                .entrySet()) {
            String p = entry.getKey() + ".";
            expect(s, p + "MMA_K", entry.getValue().mmaK());
            expect(s, p + "BK", entry.getValue().bk());
            expect(s, p + "PAD", entry.getValue().pad());
            expect(s, p + "VEC", entry.getValue().vec());
        }
        // one grid for both GEMM families: Gemm.gridX/gridY use the sgemm tile
        assertEquals(KernelTiling.Sgemm.BM, KernelTiling.TensorCore.BM);
        assertEquals(KernelTiling.Sgemm.BN, KernelTiling.TensorCore.BN);
        assertEquals(KernelTiling.Sgemm.THREADS, KernelTiling.TensorCore.THREADS);
    }

    @Test
    void wgmma() throws IOException {
        Map<String, Integer> s = constants("gemm_wgmma.cuh");
        expect(s, "BM", KernelTiling.Wgmma.BM);
        expect(s, "THREADS", KernelTiling.Wgmma.THREADS);
        expect(s, "WARPGROUP_ROWS", KernelTiling.Wgmma.WARPGROUP_ROWS);
        expect(s, "MMA_N", KernelTiling.Wgmma.MMA_N);
        expect(s, "ROW_BYTES", KernelTiling.Wgmma.ROW_BYTES);
        expect(s, "CHUNK_BYTES", KernelTiling.Wgmma.CHUNK_BYTES);
        expect(s, "CHUNKS_PER_ROW", KernelTiling.Wgmma.CHUNKS_PER_ROW);
        expect(s, "ATOM_BYTES", KernelTiling.Wgmma.ATOM_BYTES);
        expect(s, "PREFETCH", KernelTiling.Wgmma.PREFETCH);
        expect(s, "STAGES", KernelTiling.Wgmma.STAGES);
        expect(s, "Bf16.ELEMENTS_PER_CHUNK", 16 / GemmPrecision.BF16.inputBytes());
        expect(s, "Tf32.ELEMENTS_PER_CHUNK", 16 / GemmPrecision.TF32.inputBytes());
        // the entry points instantiate exactly the tile widths KernelTiling lists
        String source = Files.readString(SOURCES.resolve("gemm_wgmma.cuh"));
        Matcher entry = Pattern.compile("CARPATHIA_WGMMA_ENTRY\\(carpathia_wgmma_\\w+, carpathia::wgmma::\\w+, (\\d+),")
                .matcher(source);
        java.util.TreeSet<Integer> widths = new java.util.TreeSet<>();
        while (entry.find()) widths.add(Integer.parseInt(entry.group(1)));
        assertEquals(java.util.Arrays.stream(KernelTiling.Wgmma.TILE_N).boxed().toList(), List.copyOf(widths));
        // the shared memory a launch asks for is what the kernel's Shape<BN> lays out
        assertEquals(4 * (128 + 256) * 128 + 1024, KernelTiling.Wgmma.sharedBytes(256));
    }

    @Test
    void nf4() throws IOException {
        Map<String, Integer> s = constants("nf4.cuh");
        expect(s, "THREADS", KernelTiling.Nf4.THREADS);
        expect(s, "GEMV_WARPS", KernelTiling.Nf4.GEMV_WARPS);
        expect(s, "ELEMENTS_PER_VECTOR", KernelTiling.Nf4.ELEMENTS_PER_VECTOR);
    }

    @Test
    void nf4LevelsInTheKernelAreTheReferences() throws IOException {
        String source = Files.readString(SOURCES.resolve("nf4.cuh"));
        Matcher table = Pattern.compile("kLevels\\[16\\] = \\{([^}]*)}").matcher(source);
        assertTrue(table.find(), "nf4.cuh defines kLevels[16]");
        String[] literals = table.group(1).replaceAll("\\s", "").split(",");
        float[] levels = new float[literals.length];
        for (int i = 0; i < literals.length; i++) levels[i] = Float.parseFloat(literals[i]);
        assertArrayEquals(Nf4Reference.levels(), levels);
    }
}
