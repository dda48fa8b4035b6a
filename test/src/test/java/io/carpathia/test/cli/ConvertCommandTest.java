package io.carpathia.test.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertModel;
import io.carpathia.test.bert.MiniLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carpathia convert} on the real all-minilm-l6-v2.onnx (test classpath), and its refusals. */
class ConvertCommandTest {
    @TempDir
    static Path tmp;
    static Path onnx;

    @BeforeAll
    static void copyModel() throws IOException {
        onnx = MiniLm.copyWithTokenizer(tmp.resolve("jar"));
    }

    private static String[] lines(String output) {
        return output.strip().split("\n");
    }

    @Test
    void convertsToAFolderThatLoadsAndComputesAsTheOnnxImport() throws IOException {
        Path out = tmp.resolve("minilm");
        Cli.Result r = Cli.run("convert", onnx.toString(), out.toString());
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("BERT with 6 layers, hidden 384, 12 heads, vocab 30522"), r.output());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertArrayEquals(Files.readAllBytes(onnx.resolveSibling("all-minilm-l6-v2-tokenizer.json")),
                Files.readAllBytes(out.resolve("tokenizer.json")));
        BertModel converted = BertCheckpoint.loadModel(out);
        BertModel direct = BertCheckpoint.fromOnnx(onnx);
        assertEquals(direct.config(), converted.config());
        Tensor ids = Tensor.indices(new long[] {101, 1037, 2158, 2003, 2652, 2858, 1012, 102}, 1, 8);
        try (var off = GradMode.off()) {
            assertArrayEquals(direct.forward(ids).toFloatArray(), converted.forward(ids).toFloatArray());
        }
        // no temporary folder left beside it
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList());
        }
    }

    @Test
    void anExistingFolderIsNeverOverwritten() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        Cli.Result r = Cli.run("convert", onnx.toString(), out.toString());
        assertEquals(2, r.status(), r.output());
        assertEquals(1, lines(r.output()).length, r.output());
        assertTrue(r.output().contains("already exists"), r.output());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void badInputsAreOneLineAndExitStatus2() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.onnx"), "not a model\n");
        Cli.Result notOnnx = Cli.run("convert", text.toString(), tmp.resolve("a").toString());
        assertEquals(2, notOnnx.status(), notOnnx.output());
        assertEquals(1, lines(notOnnx.output()).length, notOnnx.output());
        assertTrue(notOnnx.output().contains("notes.onnx"), notOnnx.output());

        // a valid ONNX model whose graph is empty: not BERT, and the message says what is missing
        Path empty = Files.write(tmp.resolve("empty.onnx"), new byte[] {0x08, 0x07, 0x3A, 0x00});
        Cli.Result notBert = Cli.run("convert", empty.toString(), tmp.resolve("b").toString());
        assertEquals(2, notBert.status(), notBert.output());
        assertEquals(1, lines(notBert.output()).length, notBert.output());
        assertTrue(notBert.output().contains("not a BERT model: no initializer embeddings.word_embeddings.weight"),
                notBert.output());

        Cli.Result noTokenizer = Cli.run("convert", onnx.toString(), tmp.resolve("c").toString(), "--tokenizer",
                tmp.resolve("missing.json").toString());
        assertEquals(2, noTokenizer.status(), noTokenizer.output());
        assertTrue(noTokenizer.output().contains("no such tokenizer file"), noTokenizer.output());

        Cli.Result noFile = Cli.run("convert", tmp.resolve("absent.onnx").toString(), tmp.resolve("d").toString());
        assertEquals(2, noFile.status(), noFile.output());
        for (String name : List.of("a", "b", "c", "d")) assertFalse(Files.exists(tmp.resolve(name)), name);
    }
}
