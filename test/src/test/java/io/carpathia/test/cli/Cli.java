package io.carpathia.test.cli;

import io.carpathia.models.cli.CarpathiaCli;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process as a user would, capturing what it prints on stdout and stderr. */
final class Cli {
    private Cli() {}

    /**
     * @param output stdout and stderr together, as a terminal shows them
     * @param stdout stdout alone
     * @param stderr stderr alone
     */
    record Result(int status, String output, String stdout, String stderr) {}

    static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        ByteArrayOutputStream outOnly = new ByteArrayOutputStream();
        ByteArrayOutputStream errOnly = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(both, outOnly), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(both, errOnly), true, StandardCharsets.UTF_8));
        try {
            int status = CarpathiaCli.run(args);
            return new Result(status, both.toString(StandardCharsets.UTF_8), outOnly.toString(StandardCharsets.UTF_8),
                    errOnly.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Writes to two streams: the combined output and one of its own. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) {
            synchronized (a) {
                try {
                    a.write(x);
                    b.write(x);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        @Override
        public void write(byte[] bytes, int off, int len) {
            synchronized (a) {
                try {
                    a.write(bytes, off, len);
                    b.write(bytes, off, len);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
    }
}
