// SPDX-License-Identifier: MIT
// Loaded and unloaded over and over by HotChurn, in turn with PayloadA.
public class PayloadB implements HotChurn.Op {
    long calls;

    public long apply(long x) {
        calls++;
        for (int i = 0; i < 200; i += Hot.step)
            x = (x << 7 | x >>> 57) ^ (x + calls);
        return x;
    }
}
