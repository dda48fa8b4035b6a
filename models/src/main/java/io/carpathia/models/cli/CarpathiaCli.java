package io.carpathia.models.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code carpathia} command. Each job is a subcommand class in this package; user errors (bad files, bad
 * arguments) surface as one line on stderr and exit status 2, with the stack trace only under {@code --verbose}.
 */
@Command(name = "carpathia",
        mixinStandardHelpOptions = true,
        versionProvider = CarpathiaCli.Version.class,
        description = "Carpathia: a readable deep-learning engine on the JVM.",
        subcommands = {TrainCommand.class, GenerateCommand.class, ForwardCommand.class, InspectCommand.class,
                ConvertCommand.class, EmbedCommand.class, SimilarityCommand.class, FinetuneClassifierCommand.class,
                CommandLine.HelpCommand.class})
public final class CarpathiaCli {

    /** Exit status for bad input (files, arguments, checkpoints). */
    public static final int USER_ERROR = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI in-process and returns its exit status (used by tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new CarpathiaCli());
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof UserError || ex instanceof IllegalArgumentException || ex instanceof java.io.IOException
                    || ex instanceof java.io.UncheckedIOException) {
                err.println(prefix(cmd) + ": error: " + describe(ex));
                if (verbose) ex.printStackTrace(err);
                err.flush();
                return USER_ERROR;
            }
            err.println(prefix(cmd) + ": internal error: " + ex);
            ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(prefix(ex.getCommandLine()) + ": error: " + ex.getMessage());
            err.println("(see: " + prefix(ex.getCommandLine()) + " --help)");
            err.flush();
            return USER_ERROR;
        });
        return cli.execute(args);
    }

    /**
     * The one line a user reads: the exception's message, except for the file-system exceptions whose message is
     * only the path (a missing model folder printed "error: /path").
     */
    static String describe(Exception ex) {
        Throwable t = ex instanceof java.io.UncheckedIOException u && u.getCause() != null ? u.getCause() : ex;
        // a wrapper that only repeats its cause's message (a UserError made from an IOException)
        while (t.getCause() != null && java.util.Objects.equals(t.getMessage(), t.getCause().getMessage())) {
            t = t.getCause();
        }
        if (t instanceof java.nio.file.FileSystemException e && java.util.Objects.equals(e.getMessage(), e.getFile())) {
            String what = e instanceof java.nio.file.NoSuchFileException ? "no such file or folder"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NotDirectoryException ? "not a folder"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                    : "cannot use";
            return what + ": " + e.getFile();
        }
        return ex.getMessage();
    }

    /** "carpathia" or "carpathia train": how the user invoked the failing command. */
    private static String prefix(CommandLine cmd) {
        return cmd.getParent() == null ? "carpathia" : "carpathia " + cmd.getCommandName();
    }

    /** A problem with what the user gave us: printed as one line, exit status 2. */
    public static final class UserError extends RuntimeException {
        public UserError(String message) {
            super(message);
        }

        public UserError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CarpathiaCli.class.getPackage().getImplementationVersion();
            return new String[] {"carpathia " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
