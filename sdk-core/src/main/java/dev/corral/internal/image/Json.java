package dev.corral.internal.image;

import dev.corral.namespaces.json.JsonTree;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OCI JSON documents (index, manifest, config, docker-save manifest) as plain maps and lists,
 * read and written by the shared {@link JsonTree}; the few fields used are read by name where
 * they are needed, leniently (a missing or mistyped field reads as empty).
 */
public final class Json {
    private Json() {}

    public static Object parse(byte[] bytes) throws IOException {
        return JsonTree.parse(bytes);
    }

    public static Map<String, Object> object(byte[] bytes, String what) throws IOException {
        Object o;
        try {
            o = parse(bytes);
        } catch (IOException e) {
            throw new IOException(what + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(o instanceof Map)) {
            throw new IOException(what + " is not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        return m;
    }

    public static byte[] write(Object value) throws IOException {
        return JsonTree.write(value);
    }

    /* ---- typed access to fields ---- */

    @SuppressWarnings("unchecked")
    public static Map<String, Object> obj(Map<String, Object> m, String key) {
        Object o = m.get(key);
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> m, String key) {
        Object o = m.get(key);
        return o instanceof List ? (List<Object>) o : List.of();
    }

    public static List<String> strings(Map<String, Object> m, String key) {
        List<String> out = new ArrayList<>();
        for (Object o : list(m, key)) {
            if (o instanceof String s) {
                out.add(s);
            }
        }
        return out;
    }

    public static String str(Map<String, Object> m, String key) {
        return m.get(key) instanceof String s ? s : "";
    }

    public static long num(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.longValue() : -1;
    }
}
