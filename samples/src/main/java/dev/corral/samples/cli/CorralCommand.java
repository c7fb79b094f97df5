package dev.corral.samples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code corral} command line: {@code corral run}, {@code corral bench}, {@code corral compose}, and the image store's
 * {@code images}, {@code import}, {@code pull}, {@code push}, {@code commit}, {@code rmi}, {@code volume ls|rm} and {@code prune}.
 *
 * <p>Exit codes follow {@code docker run}: the command's own code, 128+N when signal N ended it
 * (137 when a wall-time, CPU-time, memory or output limit killed the container), 125 when Corral could not start the container, 126 when the command cannot be executed, 127
 * when it does not exist; 2 for a usage error.
 */
public final class CorralCommand implements Runnable {

    /** The container could not be started, or corral itself failed (as {@code docker run}). */
    public static final int EXIT_START_FAILED = 125;
    /** The command exists but cannot be executed. */
    public static final int EXIT_NOT_EXECUTABLE = 126;
    /** The command does not exist in the container. */
    public static final int EXIT_NOT_FOUND = 127;
    /** A usage error: bad option or argument. */
    public static final int EXIT_USAGE = 2;

    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    /** Whether corral's messages go to a terminal: progress is then drawn in place. */
    private static volatile boolean stderrTerminal;

    /** This command's model, set by {@link #commandLine}. */
    CommandSpec spec;

    /** The exit codes, for the help: code, then what it means. */
    private static final String[][] EXIT_CODES = {
            {"N", "the command's own exit code N"},
            {"2", "usage error (only before the container starts)"},
            {"125", "the container could not be started, or corral failed"},
            {"126", "the command exists but cannot be executed"},
            {"127", "the command does not exist in the container"},
            {"128+N", "signal N ended the command; 137 when a limit killed it: timeout, CPU time, "
                    + "memory (OOM), output"}};

    /**
     * Adds -h and -V to a model built in code, as the last options (where the help lists them).
     *
     * @param spec a command's model
     */
    static void addHelpOptions(CommandSpec spec) {
        spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(CommandLine.Model.OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
    }

    /** @return whether progress may rewrite its line in place (corral's stderr is a terminal) */
    static boolean progressOnTerminal() {
        return stderrTerminal;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing a command: run, build, bench, doctor, compose, images, import, pull, push, commit, rmi, volume, network or prune");
    }

    /**
     * Runs {@code corral} and exits the JVM with its exit code.
     *
     * @param args the command-line arguments
     */
    public static void main(String... args) {
        // slf4j otherwise finds its provider with a ServiceLoader, which looks into every jar on
        // the class path; corral ships slf4j-simple, so name it (and keep slf4j's note on that quiet).
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
        // picocli registers converters for java.time and java.sql by reflection, initialising
        // those classes (DateTimeFormatter's are heavy) on every start; corral's options have
        // converters of their own (Converters), so skip them.
        if (System.getProperty("picocli.converters.excludes") == null) {
            System.setProperty("picocli.converters.excludes", "java\\.time\\..*,java\\.sql\\..*");
        }
        // A command line reports through its exit code and messages, not logs: the SDK's
        // warnings (e.g. its launcher dying with the JVM on Ctrl-C) would only be noise.
        // -Dorg.slf4j.simpleLogger.defaultLogLevel=debug (CORRAL_JAVA_OPTS) shows every step.
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "error");
        }
        // `corral run` always starts a container: the launcher starts while picocli builds and
        // parses the command line (on a short run, each is about a fifth of the time). A usage
        // error waits for it, so as not to exit halfway through the launcher's start.
        java.util.concurrent.CompletableFuture<Void> warm = args.length > 1 && args[0].equals("run")
                && !java.util.Arrays.asList(args).contains("--help") ? dev.corral.Container.warmUp() : null;
        int code = execute(args);
        if (warm != null) {
            warm.join();
        }
        System.exit(code);
    }

    /**
     * Runs {@code corral} in this JVM and returns its exit code, without exiting. Messages
     * go to the JVM's standard output and error; the container's stdio is the JVM's own.
     *
     * @param args the command-line arguments
     * @return the exit code
     */
    public static int execute(String... args) {
        Charset cs = Charset.defaultCharset();
        return execute(new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true),
                new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true), Progress.stderrIsTerminal(), args);
    }

    /**
     * Runs {@code corral} in this JVM and returns its exit code, writing corral's own messages
     * (not the container's output) to the given writers.
     *
     * @param out  corral's standard output (help, version, bench report)
     * @param err  corral's error messages
     * @param args the command-line arguments
     * @return the exit code
     */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(out, err, false, args);
    }

    private static int execute(PrintWriter out, PrintWriter err, boolean terminal, String... args) {
        stderrTerminal = terminal;
        CommandLine cl = commandLine(args);
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * The subcommands, in help order. picocli builds a command's model by reflection when it is
     * added, so only the one a command line names is added (all of them for help or a usage
     * error): a short-lived CLI pays for one command's model, not ten. A switch, not a map of
     * constructor references: each of those is an invokedynamic linked at start.
     */
    private static final List<String> SUBCOMMANDS = List.of("run", "build", "bench", "doctor", "compose", "images", "import",
            "pull", "push", "commit", "rmi", "volume", "network", "prune", "help");

    private static Object subcommand(String name) {
        switch (name) {
            case "run": return RunCommand.commandLine();
            case "build": return new BuildCommand();
            case "bench": return BenchCommand.commandLine();
            case "doctor": return new DoctorCommand();
            case "compose": return new ComposeCommand();
            case "images": return new ImageCommands.Images();
            case "import": return new ImageCommands.Import();
            case "pull": return new ImageCommands.Pull();
            case "push": return new ImageCommands.Push();
            case "commit": return new ImageCommands.Commit();
            case "rmi": return new ImageCommands.Rmi();
            case "volume": return new ImageCommands.Volume();
            case "network": return new NetworkCommands();
            case "prune": return new ImageCommands.Prune();
            case "help": return new CommandLine.HelpCommand();
            default: return null;
        }
    }

    /*
     * corral's own model is built in code, as run's is (RunCommand.commandLine): reading
     * annotations costs every start a generated proxy class per annotation type. The other
     * commands keep their annotations; they are read only when named (or for the help).
     */
    static CommandLine commandLine(String... args) {
        CorralCommand corral = new CorralCommand();
        CommandSpec spec = CommandSpec.wrapWithoutInspection(corral).name("corral").versionProvider(new Version());
        java.util.Map<String, String> exitCodes = new java.util.LinkedHashMap<>();
        for (String[] code : EXIT_CODES) {
            exitCodes.put(code[0], code[1]);
        }
        spec.usageMessage().description("Run commands in isolated Linux containers, without a daemon.")
                .exitCodeListHeading("%nExit codes:%n").exitCodeList(exitCodes);
        addHelpOptions(spec);
        corral.spec = spec;
        CommandLine cl = new CommandLine(spec);
        Object named = args.length > 0 && !args[0].equals("help") ? subcommand(args[0]) : null;
        if (named != null) {
            cl.addSubcommand(args[0], named);
        } else {
            for (String name : SUBCOMMANDS) {
                cl.addSubcommand(name, subcommand(name));
            }
        }
        // `corral run sh -c 'exit 7'` works without `--`: options end at the command.
        cl.setStopAtPositional(true);
        cl.setParameterExceptionHandler(CorralCommand::usageError);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("corral: internal error: " + e);
            e.printStackTrace(cmd.getErr());
            return EXIT_START_FAILED;
        });
        return cl;
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        return EXIT_USAGE;
    }

    /** Reports corral's version from the jar's Maven descriptor, the JVM and the kernel. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = "(development build)";
            try (InputStream in = CorralCommand.class.getResourceAsStream(
                    "/META-INF/maven/dev.corral/samples/pom.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    version = p.getProperty("version", version);
                }
            } catch (IOException e) {
                // keep the fallback
            }
            return new String[] {
                    "corral " + version,
                    "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                    "OS: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch")};
        }
    }
}
