package dev.corral.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README stands alone: what it shows compiles, and what it says to install is complete. */
class ReadmeTest {

    static final Path ROOT = Path.of("..");

    @Test
    void theQuickStartIsTheCompiledSample() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String sample = Files.readString(Path.of("src/main/java/dev/corral/samples/quickstart/QuickStart.java"));
        Matcher m = Pattern.compile("```java\n(package dev\\.corral\\.samples\\.quickstart;.*?)```", Pattern.DOTALL)
                .matcher(readme);
        assertTrue(m.find(), "the README has no quick start block starting with the sample's package line");
        assertEquals(sample, m.group(1));
    }

    @Test
    void theAptGetLineNamesEveryPackageCiInstalls() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher line = Pattern.compile("apt-get install ([^\n`]+)").matcher(readme);
        assertTrue(line.find(), "the README has no apt-get install line");
        List<String> named = Arrays.asList(line.group(1).trim().split("\\s+"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        Matcher list = Pattern.compile("\npackages=\\(([^)]*)\\)").matcher(ci);
        assertTrue(list.find(), ".ci/run has no packages=(...) list");
        List<String> missing = new ArrayList<>();
        for (String p : list.group(1).trim().split("\\s+")) {
            if (!named.contains(p)) {
                missing.add(p);
            }
        }
        assertEquals(List.of(), missing, "packages .ci/run installs that the README's apt-get line leaves out");
    }

    @Test
    void theReadmeLinksNothingOutsideTheRepository() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher link = Pattern.compile("\\]\\(([^)#]+)[^)]*\\)").matcher(readme);
        List<String> broken = new ArrayList<>();
        while (link.find()) {
            String target = link.group(1);
            if (!target.startsWith("http") && !Files.exists(ROOT.resolve(target))) {
                broken.add(target);
            }
        }
        assertEquals(List.of(), broken);
        assertTrue(!readme.contains("../shared"), "the README points outside the repository (../shared)");
    }
}
