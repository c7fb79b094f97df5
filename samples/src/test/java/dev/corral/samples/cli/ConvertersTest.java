package dev.corral.samples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.corral.Mount;
import dev.corral.unit.DataSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class ConvertersTest {

    private final Converters.DurationConverter duration = new Converters.DurationConverter();

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(500), duration.convert("500ms"));
        assertEquals(Duration.ofSeconds(2), duration.convert("2s"));
        assertEquals(Duration.ofMillis(1500), duration.convert("1.5s"));
        assertEquals(Duration.ofMinutes(1), duration.convert("1m"));
        assertEquals(Duration.ofHours(2), duration.convert("2h"));
        assertEquals(Duration.ofMillis(250), duration.convert("0.25S"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2", "s", "-1s", "0s", "0ms", "1.s", "2 s", "2x", "1e3ms", "99999999999999999h"})
    void badDurations(String text) {
        assertThrows(TypeConversionException.class, () -> duration.convert(text));
    }

    @Test
    void binds() {
        Converters.BindConverter c = new Converters.BindConverter();
        assertEquals(Mount.bind(Path.of("/srv/a"), "/a"), c.convert("/srv/a:/a"));
        assertEquals(Mount.bind(Path.of("/srv/a"), "/a"), c.convert("/srv/a:/a:ro"));
        assertEquals(Mount.bindReadWrite(Path.of("/srv/a"), "/a"), c.convert("/srv/a/./:/a:rw"));
        assertEquals(Mount.bind(Path.of("").toAbsolutePath().resolve("rel"), "/r"), c.convert("rel:/r"));
        assertEquals(Mount.bindAsOwner(Path.of("/srv/a"), "/a", false), c.convert("/srv/a:/a:rw,idmap"));
        assertEquals(Mount.bindAsOwner(Path.of("/srv/a"), "/a", true), c.convert("/srv/a:/a:ro,idmap"));
        assertEquals(Mount.bindAsOwner(Path.of("/srv/a"), "/a", true), c.convert("/srv/a:/a:idmap"));
        for (String bad : new String[] {"/srv/a", ":/a", "/srv/a:", "/a:/b:rx", "/a:/b:ro:x", "/a:/b:rw,idmapx", "/a:/b:rw,"}) {
            assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
        }
    }

    @Test
    void tmpfs() {
        Converters.TmpfsConverter c = new Converters.TmpfsConverter();
        assertEquals(new Mount.Tmpfs("/t", Optional.empty()), c.convert("/t"));
        assertEquals(Mount.tmpfs("/t", DataSize.ofMebibytes(64)), c.convert("/t:64m"));
        assertThrows(TypeConversionException.class, () -> c.convert("/t:lots"));
        assertThrows(TypeConversionException.class, () -> c.convert(":64m"));
    }

    @Test
    void users() {
        Converters.UserConverter c = new Converters.UserConverter();
        assertEquals(new Converters.UserIds(1000, 1000), c.convert("1000"));
        assertEquals(new Converters.UserIds(1000, 50), c.convert("1000:50"));
        for (String bad : new String[] {"root", "1000:", ":1", "-1", "1:2:3", "99999999999"}) {
            assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
        }
    }

    @Test
    void env() {
        Converters.EnvConverter c = new Converters.EnvConverter();
        assertArrayEquals(new String[] {"A", "b=c"}, c.convert("A=b=c"));
        assertArrayEquals(new String[] {"A", ""}, c.convert("A="));
        assertThrows(TypeConversionException.class, () -> c.convert("=x"));
    }

    @Test
    void sizes() {
        Converters.DataSizeConverter c = new Converters.DataSizeConverter();
        assertEquals(DataSize.ofMebibytes(64), c.convert("64m"));
        assertEquals(DataSize.ofMebibytes(1536), c.convert("1.5g"));
        assertEquals(DataSize.ofBytes(4096), c.convert("4096"));
        for (String bad : new String[] {"", "lots", "-1", "64 mb x", "1x"}) {
            assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
        }
    }

    @Test
    void controllers() {
        Converters.ControllerConverter c = new Converters.ControllerConverter();
        assertEquals(java.util.Set.of(dev.corral.cgroups.Controller.MEMORY), c.convert("memory").controllers());
        assertEquals(java.util.Set.of(dev.corral.cgroups.Controller.IO), c.convert("blkio").controllers());
        assertEquals(java.util.Set.of(dev.corral.cgroups.Controller.IO), c.convert("IO").controllers());
        assertEquals(java.util.EnumSet.allOf(dev.corral.cgroups.Controller.class), c.convert("all").controllers());
        assertThrows(TypeConversionException.class, () -> c.convert("devices"));
    }
}
