package io.carpathia.test.cli;

import io.carpathia.models.cli.CarpathiaCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs the CLI in-process as a user would, capturing what it prints on stdout and stderr together. */
final class Cli {
    private Cli() {}

    record Result(int status, String output) {}

    static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true);
        System.setOut(capture);
        System.setErr(capture);
        try {
            return new Result(CarpathiaCli.run(args), buf.toString());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
