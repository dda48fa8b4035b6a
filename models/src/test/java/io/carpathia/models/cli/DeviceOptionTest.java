package io.carpathia.models.cli;

import static io.carpathia.models.cli.CliRun.carpathia;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.carpathia.engine.device.Device;
import io.carpathia.engine.device.MatmulPrecision;
import io.carpathia.kernels.Cuda;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} and {@code --matmul-precision} on train, generate and forward: checked before any work, failing as
 * a user error.
 */
class DeviceOptionTest {
    @TempDir
    Path dir;

    /** The three commands, with arguments that would otherwise start real work (or fail later, on the files). */
    private String[][] commands(String device) {
        String model = dir.resolve("no-model").toString();
        return new String[][] {
            {"train", "--device", device, "--out", dir.resolve("run").toString(), "--steps", "1"},
            {"generate", "--device", device, "--model", model, "--ids", "1,2"},
            {"forward", "--device", device, "--model", model, "--input", dir.resolve("in.safetensors").toString(),
                "--out", dir.resolve("out.safetensors").toString()},
        };
    }

    @Test
    void cudaWithoutAGpuIsOneLineWithTheReason() {
        assumeFalse(Cuda.isAvailable(), "this machine has a GPU");
        for (String[] args : commands("cuda")) {
            CliRun r = carpathia(args);
            assertEquals(CarpathiaCli.USER_ERROR, r.status(), r.err());
            assertEquals("carpathia " + args[0] + ": error: --device cuda: CUDA is not available: "
                    + Cuda.unavailableReason() + "\n", r.err());
            assertEquals("", r.out());
        }
        assertFalse(Files.exists(dir.resolve("run")), "train must fail before creating its run folder");
    }

    @Test
    void anUnknownDeviceIsNamed() {
        for (String[] args : commands("tpu")) {
            CliRun r = carpathia(args);
            assertEquals(CarpathiaCli.USER_ERROR, r.status(), r.err());
            assertEquals("carpathia " + args[0] + ": error: --device: device 'tpu' is not one of cpu, cuda, cuda:N "
                    + "(N = 0, 1, ...)\n", r.err());
        }
    }

    @Test
    void anUnknownMatmulPrecisionIsNamedAndHighIsTakenOnTheCpu() {
        for (String[] args : commands("cpu")) {
            String[] withPrecision = Arrays.copyOf(args, args.length + 2);
            withPrecision[args.length] = "--matmul-precision";
            withPrecision[args.length + 1] = "medium";
            CliRun r = carpathia(withPrecision);
            assertEquals(CarpathiaCli.USER_ERROR, r.status(), r.err());
            assertEquals("carpathia " + args[0] + ": error: --matmul-precision: matmul precision 'medium' is not one "
                    + "of highest, high (PyTorch's \"medium\", bfloat16 products, is not offered: the engine's arrays "
                    + "are float32)\n", r.err());
        }
        try {
            // high is a GPU setting: on the CPU the command goes on, as far as the missing model folder
            CliRun high = carpathia("generate", "--matmul-precision", "high", "--model",
                    dir.resolve("no-model").toString(), "--ids", "1");
            assertEquals("carpathia generate: error: no such file or folder: " + dir.resolve("no-model") + "\n",
                    high.err().replace(System.lineSeparator(), "\n"));
            assertEquals(MatmulPrecision.HIGH, Device.float32MatmulPrecision());
            // each command sets it: without the option, float32 again
            carpathia("generate", "--model", dir.resolve("no-model").toString(), "--ids", "1");
            assertEquals(MatmulPrecision.HIGHEST, Device.float32MatmulPrecision());
        } finally {
            Device.setFloat32MatmulPrecision(MatmulPrecision.HIGHEST);
        }
        assertTrue(carpathia("train", "--help").out().contains("--matmul-precision=PRECISION"));
    }

    @Test
    void cpuIsTheDefaultAndGoesOnToTheRealWork() {
        // with the CPU the commands get as far as the missing model folder
        CliRun r = carpathia("generate", "--model", dir.resolve("no-model").toString(), "--ids", "1");
        assertEquals(CarpathiaCli.USER_ERROR, r.status());
        // a missing folder is named as such, not only by its path
        assertEquals("carpathia generate: error: no such file or folder: " + dir.resolve("no-model") + "\n",
                r.err().replace(System.lineSeparator(), "\n"));
        CliRun explicit = carpathia("generate", "--device", "cpu", "--model", dir.resolve("no-model").toString(), "--ids", "1");
        assertEquals(r.err(), explicit.err());
        assertTrue(carpathia("train", "--help").out().contains("--device=DEVICE"));
    }
}
