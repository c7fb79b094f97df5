package dev.corral;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A bearer-token service for docker-registry's {@code auth.token}, as Docker Hub's and
 * distribution's token servers work: {@code GET /token?service=...&scope=repository:NAME:ACTIONS}
 * with basic credentials answers a JWT (RS256, the signing certificate in {@code x5c}) granting
 * those actions. The key and its self-signed certificate are made by the JDK's {@code keytool};
 * the HTTP side is a few lines on a loopback socket. Every request line is recorded.
 */
final class TokenService implements AutoCloseable {
    static final String SERVICE = "corral-test-registry";
    static final String ISSUER = "corral-test-token-service";

    private final ServerSocket server;
    private final String userColonPassword;
    private final PrivateKey key;
    private final byte[] certDer;
    private final Path certPem;
    private final List<String> requests = new ArrayList<>();
    private final Thread thread;

    TokenService(Path dir, String userColonPassword) throws Exception {
        this.userColonPassword = userColonPassword;
        Path ks = dir.resolve("token.p12");
        OciFixtures.run(dir, "keytool", "-genkeypair", "-keyalg", "RSA", "-keysize", "2048", "-alias", "token",
                "-dname", "CN=corral test token service", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit");
        this.certPem = dir.resolve("token.pem");
        OciFixtures.run(dir, "keytool", "-exportcert", "-rfc", "-alias", "token", "-keystore", ks.toString(),
                "-storepass", "changeit", "-file", certPem.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        this.key = (PrivateKey) store.getKey("token", "changeit".toCharArray());
        Certificate cert = store.getCertificate("token");
        this.certDer = cert.getEncoded();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.thread = new Thread(this::serve, "token-service");
        thread.setDaemon(true);
        thread.start();
    }

    String realm() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/token";
    }

    Path certificate() {
        return certPem;
    }

    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                answer(s);
            } catch (IOException e) {
                /* closed, or a client went away */
            }
        }
    }

    private void answer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int c = in.read();
            if (c < 0) {
                return;
            }
            head.append((char) c);
        }
        String requestLine = head.substring(0, head.indexOf("\r\n"));
        synchronized (requests) {
            requests.add(requestLine);
        }
        String expected = "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
        boolean authorized = head.toString().lines().anyMatch(l -> l.equalsIgnoreCase("Authorization: " + expected)
                || l.equals("Authorization: " + expected));
        String status;
        String body;
        if (!authorized) {
            status = "401 Unauthorized";
            body = "{\"details\":\"wrong or missing credentials\"}";
        } else {
            String scope = "";
            String target = requestLine.split(" ")[1];
            for (String kv : target.substring(target.indexOf('?') + 1).split("&")) {
                if (kv.startsWith("scope=")) {
                    scope = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
                }
            }
            String[] parts = scope.split(":");   /* repository:NAME:ACTIONS */
            String name = parts.length == 3 ? parts[1] : "";
            String actions = parts.length == 3 ? "\"" + String.join("\",\"", parts[2].split(",")) + "\"" : "";
            long now = System.currentTimeMillis() / 1000;
            String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + Base64.getEncoder().encodeToString(certDer) + "\"]}";
            String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + userColonPassword.split(":")[0] + "\",\"aud\":\""
                    + SERVICE + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\""
                    + UUID.randomUUID() + "\",\"access\":[{\"type\":\"repository\",\"name\":\"" + name + "\",\"actions\":["
                    + actions + "]}]}";
            String signingInput = b64url(header.getBytes(StandardCharsets.UTF_8)) + "." + b64url(claims.getBytes(StandardCharsets.UTF_8));
            try {
                Signature sig = Signature.getInstance("SHA256withRSA");
                sig.initSign(key);
                sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
                String token = signingInput + "." + b64url(sig.sign());
                status = "200 OK";
                body = "{\"token\":\"" + token + "\",\"expires_in\":300}";
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
    }

    private static String b64url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        thread.join(10_000);
    }
}
