package dev.corral.samples.cli;

import dev.corral.network.NetworkInfo;
import dev.corral.network.Networks;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code corral network ls|rm}: the bridge networks, through {@link Networks}. */
@Command(name = "network", mixinStandardHelpOptions = true, description = "List or remove bridge networks.",
        subcommands = {NetworkCommands.Ls.class, NetworkCommands.Rm.class})
final class NetworkCommands implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing a command: ls or rm");
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "List the bridge networks: name, bridge, subnet, running containers, and whether Corral made the bridge.")
    static final class Ls implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.println("NAME\tBRIDGE\tSUBNET\tCONTAINERS\tMADE");
            for (NetworkInfo n : Networks.list()) {
                out.println(n.name() + "\t" + n.bridge() + "\t" + n.subnet() + "\t" + n.containers() + "\t"
                        + (n.createdByCorral() ? "yes" : "adopted"));
            }
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove networks without running containers: their rules, state, and the bridge Corral made.")
    static final class Rm implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0..*", arity = "1..*", paramLabel = "NAME", description = "Networks to remove.")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() {
            int rc = 0;
            for (String n : names) {
                try {
                    Networks.remove(n);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    spec.commandLine().getErr().println("corral network rm: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }
}
