package dev.corral.samples.compose;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * HTTPS to the sample's nginx, whose certificate is self-signed and made at its start: the test
 * trusts whatever certificate it shows (an extended trust manager that checks nothing, so that
 * no host name is checked either) and checks instead that it is the sample's (CN=localhost).
 */
final class SampleHttps {
    private SampleHttps() {}

    private static final HttpClient CLIENT = client();

    private static HttpClient client() {
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, null);
            return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One GET; the response's certificate must be the sample's self-signed one. */
    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        X509Certificate cert = (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
        if (!cert.getSubjectX500Principal().getName().equals("CN=localhost")
                || !cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal())) {
            throw new IOException("not the sample's self-signed certificate: " + cert.getSubjectX500Principal());
        }
        return r;
    }

    /**
     * The page's body once it answers 200 (MariaDB initialises its volume first: the page
     * answers 500 until it accepts connections); after 3 minutes, an AssertionError with the
     * last answer and the services' logs.
     */
    static String awaitPage(String url, Callable<String> logs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = get(url);
                if (r.statusCode() == 200) {
                    return r.body();
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the page did not answer 200: " + last + "\n" + logs.call());
    }

    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
