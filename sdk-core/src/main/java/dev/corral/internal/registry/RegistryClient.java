package dev.corral.internal.registry;

import dev.corral.image.Credentials;
import dev.corral.image.ImageRef;
import dev.corral.image.RegistryException;
import dev.corral.image.RegistryOptions;
import dev.corral.internal.image.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * One repository of one registry over the OCI distribution API: the scheme chosen by Docker's
 * rule (plain HTTP only on loopback or when opted in), authentication answered from the
 * registry's {@code WWW-Authenticate} challenge (basic, or a bearer token from its token
 * service, as Jib's {@code RegistryAuthenticator} and the distribution spec do), and redirects
 * followed by hand so that credentials never go to another host (blob storage behind a
 * redirect gets none).
 *
 * <p>It speaks through the JDK's {@link HttpURLConnection} (keep-alive connections, pooled by the
 * JDK), not {@code java.net.http}: that client initialises the default TLS context when it is
 * built, even for a plain-HTTP loopback registry (about a second of a pull's start on a busy
 * machine), and its reactive pipeline costs several times the CPU per megabyte of a blob that
 * a blocking stream does (measured with {@code bench/registry-pull.sh}).
 *
 * <pre>{@code
 * RegistryClient c = new RegistryClient(ImageRef.parse("localhost:5000/app:1"), RegistryOptions.defaults(), "pull");
 * try (RegistryClient.Response r = c.send("GET", c.url("manifests/1"), Map.of("Accept", ACCEPT), null)) {
 *     byte[] manifest = r.body().readAllBytes();
 * }
 * }</pre>
 */
public final class RegistryClient {
    private static final Pattern PARAM = Pattern.compile("([A-Za-z_]+)=\"([^\"]*)\"");
    /** Request bodies up to this size are buffered (and can be resent after a challenge); larger ones are streamed. */
    private static final long STREAM_ABOVE = 4L << 20;

    private final ImageRef ref;
    private final RegistryOptions options;
    private final String actions;
    private final URI base;
    private final Optional<Credentials> credentials;
    private final SSLContext sslContext;
    private volatile String authorization;

    /**
     * @param ref     the image (its registry and repository are what this client talks to)
     * @param options credentials, CA, insecure opt-in
     * @param actions the token scope's actions: {@code pull} or {@code pull,push}
     */
    public RegistryClient(ImageRef ref, RegistryOptions options, String actions) {
        this.ref = ref;
        this.options = options;
        this.actions = actions;
        String host = ref.apiHost();
        boolean plain = options.caCertificate().isEmpty() && (options.insecure() || isLoopback(host));
        this.base = URI.create((plain ? "http://" : "https://") + host + "/v2/");
        this.sslContext = options.caCertificate().map(this::sslContext).orElse(null);
        this.credentials = options.credentials().or(() -> DockerConfig.credentials(ref.registry()));
    }

    /**
     * @param hostPort a registry host, with or without a port
     * @return whether it is {@code localhost}, in 127.0.0.0/8, or {@code [::1]} (by name: no DNS lookup)
     */
    public static boolean isLoopback(String hostPort) {
        String host = hostPort.startsWith("[") ? hostPort.substring(0, hostPort.indexOf(']') + 1)
                : hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
        host = host.toLowerCase(Locale.ROOT);
        return host.equals("localhost") || host.equals("[::1]")
                || host.matches("127\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){2}");
    }

    private SSLContext sslContext(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new RegistryException("cannot use the CA certificate " + pem + ": " + e.getMessage(), ref.toString(),
                    Optional.empty(), OptionalInt.empty(), e);
        }
    }

    /** @return the image this client is for */
    public ImageRef ref() {
        return ref;
    }

    /** @param path after {@code /v2/NAME/}, e.g. {@code manifests/1.2} @return the URL */
    public URI url(String path) {
        return base.resolve(ref.repository() + "/" + path);
    }

    /** A request body: its length and a way to open it (again, for a resend after a challenge). */
    public interface Body {
        /** @return its length in bytes */
        long length();

        /** @return its content, from the start @throws IOException if it cannot be opened */
        InputStream open() throws IOException;

        /** @param bytes the content @return it as a body */
        static Body of(byte[] bytes) {
            return new Body() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public InputStream open() {
                    return new java.io.ByteArrayInputStream(bytes);
                }
            };
        }
    }

    /**
     * A response whose body is read as a stream.
     *
     * @param status  the HTTP status
     * @param uri     the URL that answered (after redirects)
     * @param headers the response headers, names in lower case
     * @param body    the body (empty for none); close it, so the connection can be reused
     */
    public record Response(int status, URI uri, Map<String, String> headers, InputStream body) implements AutoCloseable {
        /** @param name a header name in lower case @return its first value */
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /**
     * Sends a request, answering an authentication challenge once and following redirects (never
     * taking the credentials to another host).
     *
     * @param method  the HTTP method
     * @param uri     the URL
     * @param headers extra headers
     * @param body    the request body, or null for none
     * @return the final response (any status but 401 after authenticating, and 3xx); close it
     * @throws IOException if the connection fails
     */
    public Response send(String method, URI uri, Map<String, String> headers, Body body) throws IOException {
        URI at = uri;
        boolean authenticated = false;
        for (int hops = 0; ; hops++) {
            HttpURLConnection c = (HttpURLConnection) at.toURL().openConnection();
            if (c instanceof HttpsURLConnection https && sslContext != null) {
                https.setSSLSocketFactory(sslContext.getSocketFactory());
            }
            c.setRequestMethod(method);
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(30_000);
            c.setReadTimeout(600_000);
            headers.forEach(c::setRequestProperty);
            boolean sameHost = at.getAuthority().equals(base.getAuthority());
            if (sameHost && authorization != null) {
                c.setRequestProperty("Authorization", authorization);
            }
            if (body != null) {
                c.setDoOutput(true);
                if (body.length() > STREAM_ABOVE) {
                    /* a layer is streamed; a streamed request cannot be answered with a challenge, so the
                       caller authenticates first (the push's HEAD does) */
                    c.setFixedLengthStreamingMode(body.length());
                }
                try (InputStream in = body.open(); OutputStream out = c.getOutputStream()) {
                    in.transferTo(out);
                }
            }
            int status;
            try {
                status = c.getResponseCode();
            } catch (java.net.HttpRetryException e) {
                throw new RegistryException(ref + ": the registry asked for credentials in the middle of an upload to "
                        + at, ref.toString(), Optional.of(at.toString()), OptionalInt.of(e.responseCode()), e);
            }
            Map<String, String> h = new LinkedHashMap<>();
            c.getHeaderFields().forEach((k, v) -> {
                if (k != null && !v.isEmpty()) {
                    h.put(k.toLowerCase(Locale.ROOT), v.get(0));
                }
            });
            if (status == 401 && sameHost && !authenticated) {
                drain(c, status);
                authenticated = true;
                authorization = authenticate(h.getOrDefault("www-authenticate", ""), at);
                continue;
            }
            if (status == 401) {
                drain(c, status);
                throw new RegistryException(ref + ": the registry refused the credentials"
                        + credentials.map(cr -> " of user " + cr.username()).orElse(" (none were given: --creds, "
                        + "or docker login's config.json)") + " at " + at, ref.toString(), Optional.of(at.toString()), OptionalInt.of(401), null);
            }
            if (isRedirect(status) && hops < 5 && h.containsKey("location")) {
                drain(c, status);
                at = at.resolve(h.get("location"));
                continue;
            }
            InputStream in = method.equals("HEAD") ? null : status >= 400 ? c.getErrorStream() : c.getInputStream();
            return new Response(status, at, h, in == null ? InputStream.nullInputStream() : in);
        }
    }

    /** Reads and closes what is left of a body, so that the connection can be reused. */
    private static void drain(HttpURLConnection c, int status) {
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (in != null) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            c.disconnect();
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** Answers a challenge: basic with the credentials, or a bearer token from the realm. */
    private String authenticate(String challenge, URI at) throws IOException {
        String scheme = challenge.contains(" ") ? challenge.substring(0, challenge.indexOf(' ')) : challenge;
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        Optional<String> basic = credentials.map(c -> "Basic " + Base64.getEncoder().encodeToString(
                (c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)));
        if (scheme.equalsIgnoreCase("basic")) {
            return basic.orElseThrow(() -> new RegistryException(ref + ": the registry at " + at.getAuthority()
                    + " needs a user and password (--creds USER:PASS, or docker login)", ref.toString(), Optional.of(at.toString()), OptionalInt.of(401), null));
        }
        if (!scheme.equalsIgnoreCase("bearer") || !params.containsKey("realm")) {
            throw new RegistryException(ref + ": the registry asks for authentication Corral does not speak: '" + challenge
                    + "'", ref.toString(), Optional.of(at.toString()), OptionalInt.of(401), null);
        }
        StringBuilder q = new StringBuilder(params.get("realm"));
        q.append(q.indexOf("?") < 0 ? '?' : '&');
        if (params.containsKey("service")) {
            q.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
        }
        q.append("scope=").append(URLEncoder.encode("repository:" + ref.repository() + ":" + actions, StandardCharsets.UTF_8));
        URI tokenUri = URI.create(q.toString());
        if (!tokenUri.getScheme().equals("https") && !isLoopback(tokenUri.getAuthority()) && !options.insecure()) {
            throw new RegistryException(ref + ": the token service " + tokenUri + " is not HTTPS", ref.toString(),
                    Optional.of(tokenUri.toString()), OptionalInt.empty(), null);
        }
        HttpURLConnection c = (HttpURLConnection) tokenUri.toURL().openConnection();
        if (c instanceof HttpsURLConnection https && sslContext != null) {
            https.setSSLSocketFactory(sslContext.getSocketFactory());
        }
        c.setConnectTimeout(30_000);
        c.setReadTimeout(60_000);
        basic.ifPresent(b -> c.setRequestProperty("Authorization", b));
        int status = c.getResponseCode();
        byte[] answer;
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            answer = in == null ? new byte[0] : in.readNBytes(1 << 20);
        }
        if (status != 200) {
            throw new RegistryException(ref + ": the token service " + params.get("realm") + " answered " + status
                    + (status == 401 ? " (wrong or missing credentials)" : ""), ref.toString(), Optional.of(tokenUri.toString()),
                    OptionalInt.of(status), null);
        }
        Map<String, Object> tok = Json.object(answer, "token response from " + params.get("realm"));
        String token = Json.str(tok, "token").isEmpty() ? Json.str(tok, "access_token") : Json.str(tok, "token");
        if (token.isEmpty()) {
            throw new RegistryException(ref + ": the token service " + params.get("realm") + " sent no token",
                    ref.toString(), Optional.of(tokenUri.toString()), OptionalInt.of(200), null);
        }
        return "Bearer " + token;
    }

    /**
     * @param what what was asked, for the message
     * @param r    the response (its body is read, up to 300 bytes)
     * @return an exception naming the reference, URL, status and the registry's error text
     */
    public RegistryException failure(String what, Response r) {
        String detail;
        try {
            detail = " " + new String(r.body().readNBytes(300), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            detail = "";
        }
        String hint = r.status() == 404 ? " (no such image or blob)" : r.status() == 403 ? " (not allowed)" : "";
        return new RegistryException(ref + ": " + what + " answered HTTP " + r.status() + hint + " at " + r.uri() + detail,
                ref.toString(), Optional.of(r.uri().toString()), OptionalInt.of(r.status()), null);
    }

    /**
     * @param what what failed
     * @param uri  where
     * @param e    the cause
     * @return an exception naming the reference and URL
     */
    public RegistryException failure(String what, URI uri, Exception e) {
        return new RegistryException(ref + ": " + what + " failed at " + uri + ": " + e, ref.toString(), Optional.of(uri.toString()), OptionalInt.empty(), e);
    }
}
