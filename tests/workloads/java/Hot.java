// SPDX-License-Identifier: MIT
// A Java workload that measures itself, for tests/integration/test_java*.sh.
//
//   java Hot SECONDS [threads] [linger]
//
// The main thread spends its time in Hot.inner, called from Hot.outer, called from Hot.main,
// and a little in Hot.side; it times both with its own thread CPU clock and prints, every half
// second and at its end, "share Hot.outer P" and "share Hot.side P" (percent of its CPU so
// far), and "tid main TID" at its start. With
// "threads", a second thread named "hot-worker" calls through an interface (Shape.area) and a
// lambda (an IntUnaryOperator) and prints "tid hot-worker TID". The JIT compiles Hot.outer with
// Hot.inner inlined after a second or so: both the interpreted and the compiled frames are
// sampled in one run. With "linger", it idles 1.5 s after its last report before it exits: a
// profiler that reads what names the code at most a second after a sample (flamed) then names
// the code it first ran just before exiting (a late compile of Hot.main's loop, the report's
// string formatting), which it cannot once the process is gone.
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.function.IntUnaryOperator;

public class Hot {
    static volatile long sink;
    // Not final: a stride the JIT cannot see makes inner's loop one C2 keeps a safepoint poll
    // in (a counted loop loses it), and so debug info that names the inlined inner inside it.
    public static int step = 1;

    static long inner(long x) {
        long s = x;
        for (int i = 0; i < 400; i += step) {
            s = s * 6364136223846793005L + i;
            s ^= s >>> 17;
        }
        return s;
    }

    static long outer(long x) {
        long s = 0;
        for (int i = 0; i < 64; i++)
            s += inner(x + i);
        return s;
    }

    static long side(long x) {
        double d = x & 0xffff;
        for (int i = 0; i < 5000; i++)
            d = Math.sqrt(d * 1.0001 + i);
        return (long) d;
    }

    interface Shape {
        long area(long n);
    }

    static final class Square implements Shape {
        public long area(long n) {
            long s = 0;
            for (long i = 0; i < n; i++)
                s += (i * i) ^ (s >>> 3);
            return s;
        }
    }

    static void worker(double secs) {
        System.out.println("tid hot-worker " + tid());
        Shape shape = new Square();
        IntUnaryOperator twist = v -> {
            int r = v;
            for (int i = 0; i < 5000; i++)
                r = (r * 31 + i) ^ (r >>> 7);
            return r;
        };
        long end = System.nanoTime() + (long) (secs * 1e9);
        int v = 1;
        while (System.nanoTime() < end) {
            sink += shape.area(3000);
            v = twist.applyAsInt(v);
        }
        sink += v;
    }

    // The thread's id in the kernel: /proc/thread-self is /proc/PID/task/TID
    static String tid() {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/thread-self")).getFileName().toString();
        } catch (Exception e) {
            return "?";
        }
    }

    public static void main(String[] args) throws Exception {
        double secs = Double.parseDouble(args[0]);
        Thread w = null;
        boolean threads = false, linger = false;
        for (int i = 1; i < args.length; i++) {
            threads |= args[i].equals("threads");
            linger |= args[i].equals("linger");
        }
        if (threads) {
            w = new Thread(() -> worker(secs), "hot-worker");
            w.start();
        }
        System.out.println("tid main " + tid());
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long tOuter = 0, tSide = 0;
        long now = System.nanoTime(), end = now + (long) (secs * 1e9), report = now;
        while ((now = System.nanoTime()) < end) {
            if (now >= report) { // so far, in case a profiler stops the program first
                report(tOuter, tSide);
                report = now + 500_000_000L;
            }
            long c0 = mx.getCurrentThreadCpuTime();
            // in long stretches: the clock's own cost (a system call) is small against them
            for (int k = 0; k < 40; k++)
                sink += outer(sink);
            long c1 = mx.getCurrentThreadCpuTime();
            sink += side(sink);
            long c2 = mx.getCurrentThreadCpuTime();
            tOuter += c1 - c0;
            tSide += c2 - c1;
        }
        if (w != null)
            w.join();
        report(tOuter, tSide);
        System.out.println("done " + sink);
        System.out.flush();
        if (linger)
            Thread.sleep(1500);
    }

    static void report(long tOuter, long tSide) {
        double total = Math.max(1, tOuter + tSide);
        System.out.printf("share Hot.outer %.2f%n", 100.0 * tOuter / total);
        System.out.printf("share Hot.side %.2f%n", 100.0 * tSide / total);
        System.out.flush();
    }
}
