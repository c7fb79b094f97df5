package dev.corral.samples.cli;

import dev.corral.ContainerException;
import dev.corral.image.ImageStore;
import dev.corral.samples.compose.ComposeException;
import dev.corral.samples.compose.ComposeFile;
import dev.corral.samples.compose.ComposeProject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code corral compose up|down|ps|logs}: a compose file's services run as one container group,
 * in the foreground, without a daemon (see {@link ComposeProject}).
 */
@Command(name = "compose", mixinStandardHelpOptions = true,
        description = {"Run a compose file's services together, in the foreground, without a daemon.",
                "The file is compose.yaml (or compose.yml, docker-compose.yaml, docker-compose.yml) in the current "
                        + "directory unless -f names one; the project is named after its directory unless -p or the "
                        + "file's name: says otherwise."},
        subcommands = {ComposeCommand.Up.class, ComposeCommand.Down.class, ComposeCommand.Ps.class, ComposeCommand.Logs.class})
public final class ComposeCommand implements Callable<Integer> {
    private static final List<String> DEFAULT_FILES = List.of("compose.yaml", "compose.yml", "docker-compose.yaml",
            "docker-compose.yml");

    @Spec
    CommandSpec spec;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "The compose file (before or after the subcommand).")
    Path file;

    @Option(names = {"-p", "--project-name"}, paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "The project's name (default: the file's name:, else its directory's name).")
    String project;

    @Option(names = "--store", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "The image store: images, named volumes and the project's state (default: $XDG_CACHE_HOME/corral "
                    + "or ~/.cache/corral).")
    Path store;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing a command: up, down, ps or logs");
    }

    /** What every compose subcommand does first: read the file, open the store. */
    abstract static class Sub implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        ComposeCommand parent;

        @Override
        public final Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                Path f = parent.file != null ? parent.file : DEFAULT_FILES.stream().map(Path::of).filter(Files::isRegularFile)
                        .findFirst().orElseThrow(() -> new ComposeException("no compose file here (" + String.join(", ",
                                DEFAULT_FILES) + "): give one with -f"));
                ComposeFile cf = ComposeFile.read(f, Optional.ofNullable(parent.project), System.getenv());
                ImageStore s = parent.store == null ? ImageStore.atDefaultLocation() : ImageStore.open(parent.store);
                return run(new ComposeProject(cf, s), out, err);
            } catch (ComposeException | ContainerException e) {
                err.println("corral compose " + spec.name() + ": " + e.getMessage());
                return CorralCommand.EXIT_START_FAILED;
            } finally {
                out.flush();
                err.flush();
            }
        }

        abstract int run(ComposeProject p, PrintWriter out, PrintWriter err);
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Create the named volumes, start the services in dependency order and print their output "
                    + "prefixed by service name, until Ctrl-C or SIGTERM (then every service gets SIGTERM, and SIGKILL "
                    + "after 10 s; a second Ctrl-C kills at once) or until every service has ended."})
    static final class Up extends Sub {
        @Override
        int run(ComposeProject p, PrintWriter out, PrintWriter err) {
            CompletableFuture<Void> stop = new CompletableFuture<>();
            AtomicInteger signals = new AtomicInteger();
            for (String name : List.of("INT", "TERM")) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    if (signals.incrementAndGet() > 1 && name.equals("INT")) {
                        err.println("corral compose: killed");
                        err.flush();
                        System.exit(130); /* the launcher takes every container with it */
                    }
                    stop.complete(null);
                });
            }
            return p.up(out, err, stop);
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop the project's running up, if any, and remove its containers, networks, state and logs; "
                    + "named volumes stay unless -v.")
    static final class Down extends Sub {
        @Option(names = {"-v", "--volumes"}, description = "Also remove the project's named volumes (not external ones).")
        boolean volumes;

        @Override
        int run(ComposeProject p, PrintWriter out, PrintWriter err) {
            return p.down(volumes, out, err);
        }
    }

    @Command(name = "ps", mixinStandardHelpOptions = true, description = "Show each service's state, from another process too.")
    static final class Ps extends Sub {
        @Override
        int run(ComposeProject p, PrintWriter out, PrintWriter err) {
            return p.ps(out);
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Print the services' output, prefixed by service name (-f is the file here, as everywhere in "
                    + "corral compose: --follow follows).")
    static final class Logs extends Sub {
        @Option(names = "--follow", description = "Keep printing new output while the project's up runs.")
        boolean follow;

        @Parameters(paramLabel = "SERVICE", arity = "0..*", description = "Services (default: all).")
        List<String> services = new ArrayList<>();

        @Override
        int run(ComposeProject p, PrintWriter out, PrintWriter err) {
            return p.logs(services, follow, out, err);
        }
    }
}
