package dev.corral.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class DataSizeTest {

    @Test
    void parsesWhatUsersType() {
        assertEquals(DataSize.ofBytes(4096), DataSize.parse("4096"));
        assertEquals(DataSize.ofKibibytes(64), DataSize.parse("64k"));
        assertEquals(DataSize.ofMebibytes(256), DataSize.parse("256m"));
        assertEquals(DataSize.ofMebibytes(256), DataSize.parse("256MiB"));
        assertEquals(DataSize.ofMebibytes(1536), DataSize.parse("1.5g"));
        assertEquals(DataSize.ofGibibytes(2), DataSize.parse("2GB"));
    }

    @Test
    void rejectsWhatIsNotASize() {
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("lots"));
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("-1m"));
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("5i"));
        assertThrows(IllegalArgumentException.class, () -> DataSize.ofBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse("99999999p"));
    }

    @Property
    void toStringParsesBack(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long bytes) {
        DataSize size = DataSize.ofBytes(bytes);
        assertEquals(size, DataSize.parse(size.toString().replace("B", "")));
    }
}
