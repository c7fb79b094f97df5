package dev.corral.namespaces.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Corral's one JSON tree reader (and writer), over jackson-core's streaming API: a document
 * becomes plain {@code Map<String, Object>} (in document order), {@code List<Object>},
 * {@code String}, {@code BigInteger} (any integer, so that unsigned 64-bit values survive),
 * {@code BigDecimal}, {@code Boolean} and {@code null}. Used by the OCI seccomp reader and by the
 * image store's index, manifest and config documents; each reads the fields it needs by name.
 * Documents are capped at 16 MiB and 64 levels.
 *
 * <pre>{@code
 * Object tree = JsonTree.parse(bytes);   // Map, List, String, BigInteger, ...
 * byte[] again = JsonTree.write(tree);
 * }</pre>
 */
public final class JsonTree {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxDocumentLength(16L << 20).maxNestingDepth(64).build())
            .build();

    /** The document is not one well-formed JSON value; the message says why. */
    public static final class MalformedJsonException extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedJsonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private JsonTree() {}

    /**
     * @param bytes a JSON document
     * @return its tree
     * @throws MalformedJsonException if it is not one JSON value
     */
    public static Object parse(byte[] bytes) throws MalformedJsonException {
        try (JsonParser p = FACTORY.createParser(bytes)) {
            return document(p);
        } catch (MalformedJsonException e) {
            throw e;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * @param text a JSON document
     * @return its tree
     * @throws MalformedJsonException if it is not one JSON value
     */
    public static Object parse(String text) throws MalformedJsonException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return document(p);
        } catch (MalformedJsonException e) {
            throw e;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * @param in a JSON document, read to its end (not closed)
     * @return its tree
     * @throws MalformedJsonException if it is not one JSON value
     * @throws IOException            if the stream cannot be read
     */
    public static Object parse(InputStream in) throws IOException {
        try (JsonParser p = FACTORY.createParser(in)) {
            return document(p);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw malformed(e);
        }
    }

    private static MalformedJsonException malformed(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
            return new MalformedJsonException(j.getOriginalMessage() + " at line " + j.getLocation().getLineNr(), e);
        }
        return new MalformedJsonException(e.getMessage(), e);
    }

    private static Object document(JsonParser p) throws IOException {
        if (p.nextToken() == null) {
            throw new MalformedJsonException("empty JSON document", null);
        }
        Object v = value(p);
        if (p.nextToken() != null) {
            throw new MalformedJsonException("trailing content after the JSON document", null);
        }
        return v;
    }

    private static Object value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getBigIntegerValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDecimalValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new MalformedJsonException("unexpected JSON token " + t, null);
        }
    }

    /**
     * @param value a tree of maps, lists, strings, numbers, booleans and nulls
     * @return it as compact JSON, maps in their iteration order
     * @throws IOException              if it cannot be written
     * @throws IllegalArgumentException if it holds something else
     */
    public static byte[] write(Object value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long || v instanceof Integer) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof Number n) {
            g.writeNumber(n.doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass());
        }
    }
}
