package io.carpathia.weights.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFolderTest {

    @TempDir
    Path root;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplacesAWholeFolder() throws IOException {
        Path dir = root.resolve("ckpt");
        CheckpointFolder.write(dir, true, f -> Files.writeString(f.resolve("a.txt"), "one"));
        CheckpointFolder.write(dir, true, f -> Files.writeString(f.resolve("b.txt"), "two"));
        // the second save replaced the folder: a.txt is gone, and no temporary or old folder is left beside it
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("b.txt"), s.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(List.of("ckpt"), names());
    }

    @Test
    void aFailedSaveLeavesThePreviousFolderAsItWas() throws IOException {
        Path dir = root.resolve("ckpt");
        CheckpointFolder.write(dir, true, f -> Files.writeString(f.resolve("a.txt"), "one"));
        IOException failure = assertThrows(IOException.class, () -> CheckpointFolder.write(dir, true, f -> {
            Files.writeString(f.resolve("a.txt"), "half-written");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", failure.getMessage());
        assertEquals("one", Files.readString(dir.resolve("a.txt")));
        assertEquals(List.of("ckpt"), names());
    }

    @Test
    void withoutReplaceAnExistingFolderIsAnErrorAndUntouched() throws IOException {
        Path dir = root.resolve("ckpt");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("mine.txt"), "keep");
        assertThrows(FileAlreadyExistsException.class,
                () -> CheckpointFolder.write(dir, false, f -> Files.writeString(f.resolve("a.txt"), "x")));
        assertEquals("keep", Files.readString(dir.resolve("mine.txt")));
        assertFalse(Files.exists(dir.resolve("a.txt")));
        assertEquals(List.of("ckpt"), names());
    }
}
