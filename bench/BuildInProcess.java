import dev.corral.image.BuildResult;
import dev.corral.image.ImageBuilder;
import dev.corral.image.ImageStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * bench/build-compare.sh's in-process rows: ImageBuilder called in one JVM, as an application
 * embedding Corral builds, cold (noCache: every step runs) and warm (every step cached), each
 * timed with System.nanoTime() from ImageBuilder.of to its BuildResult. The first build of each
 * kind is reported apart (it loads and compiles the builder's code); the median, min and max are
 * of the rest.
 *   java -cp 'samples/target/corral/lib/*' bench/BuildInProcess.java STORE CONTEXT TAG RUNS
 */
public final class BuildInProcess {
    public static void main(String[] args) {
        ImageStore store = ImageStore.open(Path.of(args[0]));
        Path context = Path.of(args[1]);
        int runs = Integer.parseInt(args[3]);
        for (boolean cold : new boolean[] {true, false}) {
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i <= runs; i++) {
                long t0 = System.nanoTime();
                BuildResult r = ImageBuilder.of(store, context).tag(args[2]).noCache(cold).build();
                ms.add((System.nanoTime() - t0) / 1e6);
                if (cold ? r.stepsRun() == 0 : r.stepsRun() != 0) {
                    throw new IllegalStateException("a " + (cold ? "cold" : "warm") + " build ran " + r.stepsRun() + " steps");
                }
            }
            double first = ms.remove(0);
            Collections.sort(ms);
            System.out.printf(Locale.ROOT, "%s %.0f %.0f %.0f %.0f%n", cold ? "cold" : "warm", first,
                    ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1));
        }
    }
}
