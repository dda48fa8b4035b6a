package io.carpathia.weights.hf;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a checkpoint folder as a whole. The files go into a hidden sibling folder ({@code .name.tmp}), which then
 * takes the folder's place: a previous folder is renamed aside ({@code .name.old}) first and deleted only after the
 * new one is in place. An interrupted or failed save thus leaves the previous folder as it was, never a mix.
 */
public final class CheckpointFolder {
    private CheckpointFolder() {}

    /** Fills the fresh, empty folder it is given. */
    @FunctionalInterface
    public interface Contents {
        void writeInto(Path folder) throws IOException;
    }

    /**
     * Writes {@code contents} as {@code dir}. An existing {@code dir} is replaced when {@code replace}; otherwise it
     * is a {@link FileAlreadyExistsException} and stays untouched (also when another process creates it meanwhile:
     * the final rename fails on a non-empty target).
     */
    public static void write(Path dir, boolean replace, Contents contents) throws IOException {
        if (!replace && Files.exists(dir)) throw new FileAlreadyExistsException(dir.toString());
        Path target = dir.toAbsolutePath();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        try {
            contents.writeInto(tmp);
            if (!replace) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                return;
            }
            Path old = parent.resolve("." + target.getFileName() + ".old");
            deleteTree(old);
            if (Files.exists(target)) Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } finally {
            deleteTree(tmp);
        }
    }

    /** Deletes a file or a folder with everything in it; nothing when it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
