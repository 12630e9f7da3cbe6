// SPDX-License-Identifier: MIT
// A Java program for the busy-host figure: batches of collection, string and hashing work with
// pauses, forever (run as `java BusyService.java`).
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

public class BusyService {
    static long batch(Random rng) throws Exception {
        Map<String, List<Integer>> m = new HashMap<>();
        for (int i = 0; i < 20000; i++) {
            m.computeIfAbsent("k" + (rng.nextInt() % 997), k -> new ArrayList<>()).add(i);
        }
        List<String> keys = new ArrayList<>(m.keySet());
        Collections.sort(keys, (a, b) -> b.compareTo(a));
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append(k).append(':').append(m.get(k).size()).append(';');
        }
        byte[] d = md.digest(sb.toString().getBytes("UTF-8"));
        return d[0] + keys.size();
    }

    public static void main(String[] args) throws Exception {
        Random rng = new Random(1);
        long sink = 0;
        for (;;) {
            long t0 = System.nanoTime();
            sink += batch(rng);
            long ms = Math.max(5, (System.nanoTime() - t0) / 1000000);
            Thread.sleep(ms);
            if (sink == 42) System.out.println(sink);
        }
    }
}
