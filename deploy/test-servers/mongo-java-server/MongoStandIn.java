// Starts mongo-java-server (a third-party MongoDB wire-protocol server) for
// rewind's tests: loopback only, on the port given (0 = any free port), with
// its oplog enabled. mongo-java-server's own main() binds 0.0.0.0:27017,
// which is why these few lines exist.
//
//   java -cp <jars> MongoStandIn.java <port> [<h2-file>]
//
// Prints one line `mongo-stand-in ready <host>:<port> <version>` on stdout
// once it accepts connections. Exits when its stdin closes, so it never
// outlives the process that started it (the harness keeps stdin as a pipe).
// With an <h2-file> the data lives in an H2 MVStore file instead of memory.

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

public class MongoStandIn {
    // The Node.js driver 7 refuses servers below wire version 9 (MongoDB 4.4),
    // and mongo-java-server's own newest ServerVersion (MONGO_5_0) announces
    // wire version 8. Announce the lowest version the driver accepts, so it
    // uses as few newer protocol features as possible.
    static final MongoVersion ANNOUNCED_VERSION = new MongoVersion() {
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        public int getWireVersion() {
            return 9;
        }
    };

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java -cp <jars> MongoStandIn.java <port> [<h2-file>]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        MongoBackend backend = args.length == 2 ? new H2Backend(args[1]) : new MemoryBackend();
        backend.version(ANNOUNCED_VERSION);
        MongoServer server = new MongoServer(backend);
        server.enableOplog();
        server.bind("127.0.0.1", port);
        InetSocketAddress address = server.getLocalAddress();

        System.out.println("mongo-stand-in ready " + address.getHostString() + ":" + address.getPort()
                + " " + jarVersion());
        System.out.flush();

        // Block on stdin: EOF (parent gone or closed the pipe) ends the server.
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Input is ignored; only its end matters.
            }
        } catch (IOException ignored) {
            // A broken pipe means the same as EOF.
        }
        server.shutdownNow();
        System.exit(0);
    }

    // The jars carry no version in their manifests; the jar's file name does.
    static String jarVersion() {
        String location = MongoServer.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        Matcher matcher = Pattern.compile("-(\\d[^/]*)\\.jar$").matcher(location);
        return matcher.find() ? matcher.group(1) : "unknown";
    }
}
