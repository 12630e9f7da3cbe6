// SPDX-License-Identifier: MIT
// Code that changes under the profiler, for tests/integration/test_java.sh:
//   java -cp CLASSES HotChurn SECONDS PAYLOAD_DIR
// Thread "churn-unload" loads PayloadA or PayloadB (classes of PAYLOAD_DIR, each time in a new
// class loader), runs it (HotChurn.runA -> PayloadA.apply, runB -> PayloadB.apply), drops it
// and collects the garbage: the classes are unloaded and their methods' memory reused. Thread
// "churn-deopt" runs HotChurn.loop over the one Op implementation it knows (HotChurn.Twist):
// the JIT inlines Twist.apply on that assumption, and every payload class loaded breaks it, so
// that code is deoptimized (and compiled again once the payload is unloaded). A frame named
// after the wrong method would show as runA above PayloadB.apply, runB above PayloadA.apply, or
// a payload in churn-deopt. Prints "tid NAME TID" per thread and "cycles N".
import java.nio.file.Files;
import java.nio.file.Paths;

public class HotChurn {
    public interface Op {
        long apply(long x);
    }

    static final class Twist implements Op {
        public long apply(long x) {
            for (int i = 0; i < 50; i += Hot.step)
                x = (x ^ (x >>> 11)) * 0x9e3779b97f4a7c15L + i;
            return x;
        }
    }

    static volatile long sink;
    static volatile boolean stop;

    static final class Loader extends ClassLoader {
        final byte[] bytes;

        Loader(byte[] bytes) {
            super(HotChurn.class.getClassLoader());
            this.bytes = bytes;
        }

        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (!name.startsWith("Payload"))
                throw new ClassNotFoundException(name);
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    static long loop(Op op, long x) {
        for (int i = 0; i < 2000; i += Hot.step)
            x = op.apply(x);
        return x;
    }

    static Op load(String dir, String name) throws Exception {
        byte[] b = Files.readAllBytes(Paths.get(dir, name + ".class"));
        return (Op) new Loader(b).loadClass(name).getDeclaredConstructor().newInstance();
    }

    static long runA(Op op, long until) {
        long x = 1;
        while (System.nanoTime() < until)
            x = op.apply(x);
        return x;
    }

    static long runB(Op op, long until) {
        long x = 2;
        while (System.nanoTime() < until)
            x = op.apply(x);
        return x;
    }

    public static void main(String[] args) throws Exception {
        double secs = Double.parseDouble(args[0]);
        String dir = args[1];
        long end = System.nanoTime() + (long) (secs * 1e9);
        Thread deopt = new Thread(() -> {
            System.out.println("tid churn-deopt " + Hot.tid());
            Op op = new Twist();
            while (!stop)
                sink += loop(op, sink);
        }, "churn-deopt");
        deopt.start();
        Thread unload = new Thread(() -> {
            System.out.println("tid churn-unload " + Hot.tid());
            int cycles = 0;
            try {
                while (System.nanoTime() < end) {
                    boolean a = cycles % 2 == 0;
                    Op op = load(dir, a ? "PayloadA" : "PayloadB");
                    long until = System.nanoTime() + 40_000_000L;
                    sink += a ? runA(op, until) : runB(op, until);
                    op = null;
                    System.gc(); // unloads the payload's class (its loader is unreachable)
                    cycles++;
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
            System.out.println("cycles " + cycles);
        }, "churn-unload");
        unload.start();
        unload.join();
        stop = true;
        deopt.join();
    }
}
