package dev.corral.cgroups.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.corral.cgroups.CgroupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuListTest {
    @Test
    void listsParseAndFormatBack() {
        assertEquals("0-2,5,7-8", CpuList.format(CpuList.parse("0-1,2,5,7-8")));
        assertEquals("", CpuList.format(CpuList.parse("\n")));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("a"));
    }

    @Test
    void aCpuTheParentDoesNotOfferIsNamed(@TempDir Path dir) throws IOException {
        Path offered = Files.writeString(dir.resolve("cpuset.cpus"), "0-1\n");
        CpuList.checkWithin("cpuset", "1", offered);
        CgroupException e = assertThrows(CgroupException.class, () -> CpuList.checkWithin("cpuset", "0,3-4,9", offered));
        assertTrue(e.getMessage().startsWith("cpuset '0,3-4,9' names 3-4,9, which this machine does not offer here: "
                + "the available ones are 0-1 ("), e.getMessage());
        CpuList.checkWithin("cpuset", "9", dir.resolve("missing")); /* nothing to check against */
    }
}
