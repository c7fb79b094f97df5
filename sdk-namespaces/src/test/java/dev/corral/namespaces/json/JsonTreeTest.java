package dev.corral.namespaces.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {
    @Test
    void aDocumentRoundTripsInItsOrderWithExactNumbers() throws Exception {
        String doc = "{\"b\":1,\"a\":[18446744073709551615,-3,1.25,\"s\",true,null],\"c\":{}}";
        Object tree = JsonTree.parse(doc);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) tree;
        assertEquals(List.of("b", "a", "c"), List.copyOf(m.keySet()));
        assertEquals(Arrays.asList(new BigInteger("18446744073709551615"), BigInteger.valueOf(-3), new BigDecimal("1.25"),
                "s", true, null), m.get("a"));
        assertEquals(doc, new String(JsonTree.write(tree), StandardCharsets.UTF_8));
        assertEquals(tree, JsonTree.parse(doc.getBytes(StandardCharsets.UTF_8)));
        assertEquals(tree, JsonTree.parse(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8))));
        assertEquals("{\"n\":2}", new String(JsonTree.write(Map.of("n", 2L)), StandardCharsets.UTF_8));
    }

    @Test
    void anythingButOneValueIsMalformed() {
        for (String bad : List.of("", "   ", "{\"a\":", "{} {}", "[1,]", "{\"a\" 1}")) {
            var e = assertThrows(JsonTree.MalformedJsonException.class, () -> JsonTree.parse(bad), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), bad);
        }
        String deep = "[".repeat(65) + "]".repeat(65);
        assertThrows(JsonTree.MalformedJsonException.class, () -> JsonTree.parse(deep), "over 64 levels");
    }
}
