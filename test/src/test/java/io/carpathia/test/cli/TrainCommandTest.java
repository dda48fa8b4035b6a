package io.carpathia.test.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carpathia train} end to end on a tiny model: outputs, exact resume, and its refusals of bad input. */
class TrainCommandTest {
    @TempDir
    static Path tmp;
    static Path text;

    @BeforeAll
    static void writeText() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 60; i++) b.append("The quick brown fox jumps over the lazy dog, line ").append(i).append(".\n");
        text = tmp.resolve("text.txt");
        Files.writeString(text, b);
    }

    /** The tiny run's arguments; {@code extra} adds flags or replaces values ("--steps", "4"). */
    private static String[] args(Path out, String... extra) {
        java.util.LinkedHashMap<String, String> o = new java.util.LinkedHashMap<>();
        String[] base = {"--data", text.toString(), "--out", out.toString(), "--steps", "12", "--n-layer", "1",
                "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "4", "--eval-interval", "4",
                "--eval-iters", "1", "--dropout", "0.1", "--sample-tokens", "20", "--seed", "7"};
        for (int i = 0; i < base.length; i += 2) o.put(base[i], base[i + 1]);
        for (int i = 0; i < extra.length; i++) {
            boolean flag = i + 1 >= extra.length || extra[i + 1].startsWith("--");
            o.put(extra[i], flag ? null : extra[++i]);
        }
        List<String> a = new ArrayList<>(List.of("train"));
        o.forEach((k, v) -> {
            a.add(k);
            if (v != null) a.add(v);
        });
        return a.toArray(String[]::new);
    }

    private static Cli.Result run(String... args) {
        return Cli.run(args);
    }

    private static List<String> losses(Path run) throws IOException {
        List<String> l = new ArrayList<>();
        for (MetricsLog.Entry e : MetricsLog.read(run.resolve("metrics.jsonl"))) {
            l.add(e.step() + " " + e.split() + " " + e.values().get("loss"));
        }
        return l;
    }

    @Test
    void trainsWritesItsRunFolderAndResumesExactly() throws IOException {
        Path full = tmp.resolve("full");
        Cli.Result r = run(args(full));
        assertEquals(0, r.status(), r.output());
        for (String f : List.of("metrics.jsonl", "loss.png", "sample.txt", "checkpoint/config.json",
                "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/trainer_state.json",
                "checkpoint/char_tokenizer.json")) {
            assertTrue(Files.isRegularFile(full.resolve(f)), f + " is missing");
        }
        // the checkpoint generates text with the tokenizer saved beside it
        Cli.Result gen = run("generate", "--model", full.resolve("checkpoint").toString(), "--prompt", "The ",
                "--max-new-tokens", "15", "--seed", "3");
        assertEquals(0, gen.status(), gen.output());
        assertTrue(gen.output().startsWith("The ") && gen.output().strip().length() >= 4 + 10, gen.output());

        List<String> fullLosses = losses(full);
        assertEquals(12 + 3, fullLosses.size());   // 12 train records, validation at steps 4, 8, 12
        assertTrue(r.output().contains("val loss"), r.output());

        // interrupted after step 10 (last checkpoint: step 8), then resumed
        Path resumed = tmp.resolve("resumed");
        assertEquals(0, run(args(resumed, "--stop-at", "10")).status());
        assertEquals(0, run(args(resumed, "--resume")).status());
        assertEquals(fullLosses, losses(resumed));
        assertArrayEquals(Files.readAllBytes(full.resolve("checkpoint/model.safetensors")),
                Files.readAllBytes(resumed.resolve("checkpoint/model.safetensors")));
    }

    @Test
    void badInputIsOneLineAndExitStatusTwoAndNothingIsOverwritten() throws IOException {
        Path run = tmp.resolve("existing");
        assertEquals(0, run(args(run, "--steps", "4", "--sample-tokens", "0")).status());
        byte[] before = Files.readAllBytes(run.resolve("checkpoint/model.safetensors"));

        Cli.Result again = run(args(run, "--steps", "4"));
        assertEquals(2, again.status());
        assertTrue(again.output().contains("already holds a run") && again.output().contains("--resume"), again.output());

        Cli.Result mismatch = run(args(run, "--steps", "8", "--n-layer", "2", "--resume"));
        assertEquals(2, mismatch.status());
        assertTrue(mismatch.output().contains("1 layers") && mismatch.output().contains("2 layers"), mismatch.output());
        assertArrayEquals(before, Files.readAllBytes(run.resolve("checkpoint/model.safetensors")));

        Cli.Result noRun = run(args(tmp.resolve("nothing-here"), "--resume"));
        assertEquals(2, noRun.status());
        assertTrue(noRun.output().contains("does not exist"), noRun.output());

        assertEquals(2, run(args(tmp.resolve("x"), "--tokenizer", "words")).status());
        assertEquals(2, run(args(tmp.resolve("y"), "--dropout", "1.5")).status());
        Cli.Result missing = run("train", "--data", tmp.resolve("no-such.txt").toString(), "--out", tmp.resolve("z").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.output().contains("no such file"), missing.output());
        for (Cli.Result res : List.of(again, mismatch, noRun, missing)) {
            assertTrue(res.output().lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + res.output());
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().equals("x")), "a rejected run left a folder");
        }
    }
}
