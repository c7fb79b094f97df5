package dev.corral.internal.registry;

import dev.corral.image.Credentials;
import dev.corral.image.ImageRef;
import dev.corral.image.RegistryException;
import dev.corral.image.RegistryOptions;
import dev.corral.internal.image.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * <pre>{@code
 * RegistryClient c = new RegistryClient(ImageRef.parse("localhost:5000/app:1"), RegistryOptions.defaults(), "pull");
 * HttpResponse<byte[]> r = c.send("GET", c.url("manifests/1"), Map.of("Accept", ACCEPT), null,
 *         HttpResponse.BodyHandlers.ofByteArray());
 * }</pre>
 */
public final class RegistryClient {
    private static final Pattern PARAM = Pattern.compile("([A-Za-z_]+)=\"([^\"]*)\"");

    private final ImageRef ref;
    private final RegistryOptions options;
    private final String actions;
    private final HttpClient http;
    private final URI base;
    private final Optional<Credentials> credentials;
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
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)   /* a connection per blob, not one HTTP/2 window for all */
                .connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER);
        if (options.caCertificate().isPresent()) {
            b.sslContext(sslContext(options.caCertificate().get()));
        }
        this.http = b.build();
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
                    null, -1, e);
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

    /**
     * Sends a request, answering an authentication challenge once and following redirects.
     *
     * @param method  the HTTP method
     * @param uri     the URL
     * @param headers extra headers
     * @param body    makes the request body (called again for a resend), or null for none
     * @param handler reads the final response's body
     * @param <T>     the body's type
     * @return the final response (any status but 401 after authenticating, and 3xx)
     * @throws IOException if the connection fails
     */
    public <T> HttpResponse<T> send(String method, URI uri, Map<String, String> headers,
                                    Supplier<HttpRequest.BodyPublisher> body, HttpResponse.BodyHandler<T> handler)
            throws IOException {
        URI at = uri;
        boolean authenticated = false;
        for (int hops = 0; ; hops++) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(at).timeout(Duration.ofMinutes(10))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body.get());
            headers.forEach(rb::header);
            boolean sameHost = at.getAuthority().equals(base.getAuthority());
            if (sameHost && authorization != null) {
                rb.header("Authorization", authorization);
            }
            HttpResponse<T> r;
            try {
                r = http.send(rb.build(), info -> info.statusCode() == 401 || isRedirect(info.statusCode())
                        ? HttpResponse.BodySubscribers.replacing(null) : handler.apply(info));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (r.statusCode() == 401 && sameHost && !authenticated) {
                authenticated = true;
                authorization = authenticate(r.headers().firstValue("WWW-Authenticate").orElse(""), at);
                continue;
            }
            if (r.statusCode() == 401) {
                throw new RegistryException(ref + ": the registry refused the credentials"
                        + credentials.map(c -> " of user " + c.username()).orElse(" (none were given: --creds, "
                        + "or docker login's config.json)") + " at " + at, ref.toString(), at.toString(), 401, null);
            }
            if (isRedirect(r.statusCode()) && hops < 5) {
                Optional<String> loc = r.headers().firstValue("Location");
                if (loc.isPresent()) {
                    at = at.resolve(loc.get());
                    continue;
                }
            }
            return r;
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
                    + " needs a user and password (--creds USER:PASS, or docker login)", ref.toString(), at.toString(), 401, null));
        }
        if (!scheme.equalsIgnoreCase("bearer") || !params.containsKey("realm")) {
            throw new RegistryException(ref + ": the registry asks for authentication Corral does not speak: '" + challenge
                    + "'", ref.toString(), at.toString(), 401, null);
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
                    tokenUri.toString(), -1, null);
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofMinutes(1)).GET();
        basic.ifPresent(b -> rb.header("Authorization", b));
        HttpResponse<byte[]> r;
        try {
            r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new RegistryException(ref + ": the token service " + params.get("realm") + " answered " + r.statusCode()
                    + (r.statusCode() == 401 ? " (wrong or missing credentials)" : ""), ref.toString(), tokenUri.toString(),
                    r.statusCode(), null);
        }
        Map<String, Object> tok = Json.object(r.body(), "token response from " + params.get("realm"));
        String token = Json.str(tok, "token").isEmpty() ? Json.str(tok, "access_token") : Json.str(tok, "token");
        if (token.isEmpty()) {
            throw new RegistryException(ref + ": the token service " + params.get("realm") + " sent no token",
                    ref.toString(), tokenUri.toString(), 200, null);
        }
        return "Bearer " + token;
    }

    /**
     * @param what   what was asked, for the message
     * @param r      the response
     * @return an exception naming the reference, URL, status and the registry's error text
     */
    public RegistryException failure(String what, HttpResponse<?> r) {
        String detail = r.body() instanceof byte[] b ? " " + new String(b, 0, Math.min(b.length, 300), StandardCharsets.UTF_8).trim() : "";
        String hint = r.statusCode() == 404 ? " (no such image or blob)" : r.statusCode() == 403 ? " (not allowed)" : "";
        return new RegistryException(ref + ": " + what + " answered HTTP " + r.statusCode() + hint + " at " + r.uri() + detail,
                ref.toString(), r.uri().toString(), r.statusCode(), null);
    }

    /**
     * @param what what failed
     * @param uri  where
     * @param e    the cause
     * @return an exception naming the reference and URL
     */
    public RegistryException failure(String what, URI uri, Exception e) {
        return new RegistryException(ref + ": " + what + " failed at " + uri + ": " + e, ref.toString(), uri.toString(), -1, e);
    }
}
