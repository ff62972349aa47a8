// Runs a Java program's main class and ends the JVM when stdin closes, so a
// test server never outlives the process that started it (the harness keeps
// the child's stdin as a pipe; the pipe closes when the harness dies, even by
// SIGKILL). Used for the Kafka broker, whose own main does not watch stdin.
//
//   java -cp <jars> ExitWithParent.java <main-class> [<args>...]
//
// On EOF: System.exit(0), which runs the program's shutdown hooks (Kafka's
// orderly shutdown); if those hang, the JVM is halted after 10 seconds.

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

public class ExitWithParent {
    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: java -cp <jars> ExitWithParent.java <main-class> [<args>...]");
            System.exit(2);
        }
        Thread watcher = new Thread(ExitWithParent::exitWhenStdinCloses, "exit-with-parent");
        watcher.setDaemon(true);
        watcher.start();

        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    static void exitWhenStdinCloses() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Input is ignored; only its end matters.
            }
        } catch (IOException ignored) {
            // A broken pipe means the same as EOF.
        }
        Thread halter = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException ignored) {
                // Halting now is as good.
            }
            Runtime.getRuntime().halt(1);
        }, "exit-with-parent-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(0);
    }
}
