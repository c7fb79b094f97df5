package dev.corral.internal.run;

import dev.corral.ContainerProcess;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Input;
import dev.corral.Interaction;
import dev.corral.Output;
import dev.corral.internal.stdio.Splice;
import dev.corral.namespaces.launcher.Launcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Two containers of an {@link Interaction}, each one's stdout spliced to the other's stdin on
 * the launcher's I/O thread. The splices learn of each container's end from its result, in the
 * order the results come, which is also the order {@link Interaction.Result#endedFirst()} tells.
 */
public final class InteractionRun implements Interaction.Running {
    private final ContainerRun first;
    private final ContainerRun second;
    private final CompletableFuture<Interaction.Result> result;

    private InteractionRun(ContainerRun first, ContainerRun second, CompletableFuture<Interaction.Result> result) {
        this.first = first;
        this.second = second;
        this.result = result;
    }

    /**
     * Starts both, the first first; returns at once.
     *
     * @param first  the first spec, its stdin empty and its stdout captured (the capture limit caps what it sends)
     * @param second the second spec, likewise
     * @return the interaction, starting
     */
    public static InteractionRun launch(ContainerSpec first, ContainerSpec second) {
        Launcher launcher = Launcher.shared();
        Splice firstToSecond = new Splice(((Output.Capture) first.stdout()).limit().bytes());
        Splice secondToFirst = new Splice(((Output.Capture) second.stdout()).limit().bytes());
        AtomicReference<Interaction.Side> endedFirst = new AtomicReference<>();
        ContainerRun a = ContainerRun.launchWired(wired(first), first.command(), secondToFirst, firstToSecond);
        CompletableFuture<ContainerResult> aDone = a.onExit();
        aDone.whenComplete((r, e) -> {
            endedFirst.compareAndSet(null, Interaction.Side.FIRST);
            launcher.execute(() -> {
                firstToSecond.sourceEnded();
                secondToFirst.sinkEnded();
            });
        });
        ContainerRun b;
        try {
            b = ContainerRun.launchWired(wired(second), second.command(), firstToSecond, secondToFirst);
        } catch (RuntimeException e) {
            launcher.execute(() -> {
                secondToFirst.sourceEnded();
                firstToSecond.sinkEnded();
            });
            a.close();
            throw e;
        }
        CompletableFuture<ContainerResult> bDone = b.onExit();
        bDone.whenComplete((r, e) -> {
            endedFirst.compareAndSet(null, Interaction.Side.SECOND);
            launcher.execute(() -> {
                secondToFirst.sourceEnded();
                firstToSecond.sinkEnded();
            });
        });
        /* one that cannot start takes the other with it */
        aDone.whenComplete((r, e) -> {
            if (e != null) {
                b.kill();
            }
        });
        bDone.whenComplete((r, e) -> {
            if (e != null) {
                a.kill();
            }
        });
        CompletableFuture<Interaction.Result> both = aDone.thenCombine(bDone,
                (ra, rb) -> new Interaction.Result(ra, rb, endedFirst.get()));
        both.whenComplete((r, e) -> {
            launcher.execute(() -> {
                firstToSecond.close();
                secondToFirst.close();
            });
        });
        return new InteractionRun(a, b, both);
    }

    private static ContainerSpec wired(ContainerSpec spec) {
        return spec.toBuilder().stdin(Input.pipe()).stdout(Output.pipe()).build();
    }

    @Override
    public ContainerProcess first() {
        return first;
    }

    @Override
    public ContainerProcess second() {
        return second;
    }

    @Override
    public CompletableFuture<Interaction.Result> onExit() {
        return result.copy();
    }

    @Override
    public void close() {
        first.kill();
        second.kill();
        first.close();
        second.close();
    }
}
