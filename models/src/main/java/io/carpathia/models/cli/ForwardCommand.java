package io.carpathia.models.cli;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.device.Device;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.models.gpt2.Gpt2Checkpoint;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import io.carpathia.weights.safetensors.SafetensorsReader;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code carpathia forward}: runs a GPT-2 folder on the {@code input_ids} of a safetensors file and writes
 * {@code logits} and {@code last_hidden_state} (F32) to another, for comparing with PyTorch by hand.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run a model on input_ids from a safetensors file; write logits and last_hidden_state.")
public final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face GPT-2 folder (config.json + weights)")
    Path model;

    @Option(names = "--input", required = true, description = "safetensors file with an integer tensor input_ids [batch, time]")
    Path input;

    @Option(names = "--out", required = true, description = "safetensors file to write (replaced atomically)")
    Path out;

    @Mixin DeviceOption device;

    @Option(names = "--verbose", description = "stack traces on errors") boolean verbose;

    @Override
    public Integer call() throws IOException {
        try (Device.Use on = device.open().use()) {
            return forward();
        }
    }

    private int forward() throws IOException {
        Gpt2LMHeadModel m = Gpt2Checkpoint.load(model);
        INDArray ids;
        try (SafetensorsReader r = SafetensorsReader.open(input)) {
            if (!r.names().contains("input_ids")) {
                throw new UserError(input + " has no tensor named input_ids (it has " + r.names() + ")");
            }
            ids = r.read("input_ids", DataType.LONG);
        }
        if (ids.rank() != 2) {
            throw new UserError(input + ": input_ids must be [batch, time], got " + Shapes.str(ids.shape()));
        }
        Tensor idTensor = Tensor.of(ids);
        checkIds(idTensor, m.config().vocabSize(), input);
        if (ids.size(1) > m.config().nPositions()) {
            throw new UserError(input + ": " + ids.size(1) + " tokens, more than the model's n_positions = "
                    + m.config().nPositions());
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new UserError("cannot write " + out + ": its folder does not exist or is not writable");
        }
        try (var off = GradMode.off()) {
            Tensor hidden = m.transformer().forward(idTensor);
            Tensor logits = m.logits(hidden);
            new SafetensorsWriter().putMetadata("format", "pt")
                    .add("logits", logits.value())
                    .add("last_hidden_state", hidden.value())
                    .write(out);
        }
        System.out.println("wrote logits " + Shapes.str(new long[] {ids.size(0), ids.size(1), m.config().vocabSize()})
                + " and last_hidden_state to " + out);
        return 0;
    }

    /** Every id must index the vocabulary; the message names the first that does not. */
    static void checkIds(Tensor ids, int vocab, Object source) {
        double[] v = ids.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= vocab) {
                throw new UserError(source + ": token id " + (long) v[i] + " (element " + i
                        + ") is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
