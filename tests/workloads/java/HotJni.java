// SPDX-License-Identifier: MIT
// JNI both ways, for tests/integration/test_java.sh: HotJni.main calls HotJni.viaJni, which
// calls the native HotJni.nativeSpin (hot_jni.c: Java_HotJni_nativeSpin spins in c_spin), which
// calls back into Java: HotJni.javaCallback spins in Java. Prints "tid main TID" and, every half
// second and at its end, its split so far: "share c_spin P", "share HotJni.javaCallback P"
// (thread CPU time of each part).
//
//   java -Djava.library.path=DIR HotJni SECONDS
public class HotJni {
    static volatile long sink;
    static long inC, inJava; // ns of thread CPU time, measured on the native side

    static native long nativeSpin(long x);

    // about 10 ms of a varying length, as c_spin (hot_jni.c says why)
    static long javaCallback(long x) {
        long s = x;
        int n = 6000000 + (int) ((x >>> 7) & 0x3fffff);
        for (int i = 0; i < n; i += Hot.step) {
            s = s * 6364136223846793005L + i;
            s ^= s >>> 13;
        }
        return s;
    }

    static long viaJni(long x) {
        return nativeSpin(x);
    }

    // Called by the native side with the CPU time it measured for each part of one call
    static void account(long c, long java) {
        inC += c;
        inJava += java;
    }

    public static void main(String[] args) {
        System.loadLibrary("hotjni");
        double secs = Double.parseDouble(args[0]);
        System.out.println("tid main " + Hot.tid());
        long now = System.nanoTime(), end = now + (long) (secs * 1e9), report = now;
        while ((now = System.nanoTime()) < end) {
            sink += viaJni(sink);
            if (now >= report) { // so far, in case a profiler stops the program first
                report();
                report = now + 500_000_000L;
            }
        }
        report();
    }

    static void report() {
        double total = Math.max(1, inC + inJava);
        System.out.printf("share c_spin %.2f%n", 100.0 * inC / total);
        System.out.printf("share HotJni.javaCallback %.2f%n", 100.0 * inJava / total);
        System.out.flush();
    }
}
