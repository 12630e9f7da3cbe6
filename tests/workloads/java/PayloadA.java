// SPDX-License-Identifier: MIT
// Loaded and unloaded over and over by HotChurn (each time in a new class loader).
public class PayloadA implements HotChurn.Op {
    public long apply(long x) {
        for (int i = 0; i < 300; i += Hot.step)
            x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }
}
