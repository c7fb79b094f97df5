package dev.corral;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a loopback port in front of a registry: it records every HTTP/1.1 request head
 * the client sends (bodies must come with a Content-Length, as Corral's do) and can break the
 * connection in the middle of a blob's response, as a flaky network does.
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final List<String> requests = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile String cutPath;
    private volatile long cutAfter;
    private final AtomicInteger cutsLeft = new AtomicInteger();

    CuttingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "proxy-accept");
        t.setDaemon(true);
        t.start();
        threads.add(t);
    }

    /** @return {@code 127.0.0.1:PORT} */
    String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The next {@code times} responses to a request whose path ends with {@code pathSuffix} break after {@code bytes}. */
    void cut(String pathSuffix, long bytes, int times) {
        cutPath = pathSuffix;
        cutAfter = bytes;
        cutsLeft.set(times);
    }

    /** @return the request heads seen so far, each as its lines joined by '\n' */
    List<String> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clear() {
        synchronized (requests) {
            requests.clear();
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                long[] cutAt = {-1};
                Thread up = new Thread(() -> requests(client, upstream, cutAt), "proxy-up");
                Thread down = new Thread(() -> responses(upstream, client, cutAt), "proxy-down");
                up.setDaemon(true);
                down.setDaemon(true);
                up.start();
                down.start();
                synchronized (threads) {
                    threads.add(up);
                    threads.add(down);
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Client to registry: split into request heads and Content-Length bodies, heads recorded, maybe armed to cut. */
    private void requests(Socket client, Socket upstream, long[] cutAt) {
        StringBuilder pending = new StringBuilder();
        long bodyLeft = 0;
        byte[] buf = new byte[8192];
        try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                int skip = (int) Math.min(bodyLeft, n);
                bodyLeft -= skip;
                pending.append(new String(buf, skip, n - skip, StandardCharsets.ISO_8859_1));
                for (int end; bodyLeft == 0 && (end = pending.indexOf("\r\n\r\n")) >= 0; ) {
                    String head = pending.substring(0, end).replace("\r\n", "\n");
                    pending.delete(0, end + 4);
                    long length = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:"))
                            .mapToLong(l -> Long.parseLong(l.substring(15).trim())).findFirst().orElse(0);
                    int inPending = (int) Math.min(length, pending.length());
                    pending.delete(0, inPending);
                    bodyLeft = length - inPending;
                    synchronized (requests) {
                        requests.add(head);
                    }
                    String path = head.split(" ", 3).length > 1 ? head.split(" ", 3)[1] : "";
                    String p = cutPath;
                    synchronized (cutAt) {
                        cutAt[0] = p != null && path.endsWith(p) && cutsLeft.getAndDecrement() > 0 ? cutAfter : -1;
                    }
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            /* one side closed */
        } finally {
            closeQuietly(client, upstream);
        }
    }

    /** Registry to client, broken off after the armed number of bytes of a response. */
    private void responses(Socket upstream, Socket client, long[] cutAt) {
        byte[] buf = new byte[8192];
        long sent = 0;
        try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                long limit;
                synchronized (cutAt) {
                    limit = cutAt[0];
                }
                if (limit >= 0 && sent + n >= limit) {
                    out.write(buf, 0, (int) (limit - sent));
                    out.flush();
                    client.setSoLinger(true, 0);   /* a reset, as a dropped link looks */
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
                sent = limit >= 0 ? sent + n : 0;
            }
        } catch (IOException e) {
            /* one side closed */
        } finally {
            closeQuietly(client, upstream);
        }
    }

    private static void closeQuietly(Socket... ss) {
        for (Socket s : ss) {
            try {
                s.close();
            } catch (IOException e) {
                /* closing anyway */
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        synchronized (sockets) {
            sockets.forEach(CuttingProxy::closeQuietly);
        }
        List<Thread> ts;
        synchronized (threads) {
            ts = new ArrayList<>(threads);
        }
        for (Thread t : ts) {
            t.join(10_000);
        }
    }
}
