// SPDX-License-Identifier: MIT
// A large Java program for bench/java_cost.py: the JDK's own compiler (javac, thousands of
// methods, stacks tens of Java frames deep, interpreted, C1 and C2 code), run in this JVM over
// the given sources again and again for SECONDS.
//
//   java JavacLoop SECONDS OUTDIR SOURCE...
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

public class JavacLoop {
    public static void main(String[] args) {
        long end = System.nanoTime() + (long) (Double.parseDouble(args[0]) * 1e9);
        String[] javacArgs = args.clone(); // -d OUTDIR SOURCE...
        javacArgs[0] = "-d";
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int runs = 0;
        while (System.nanoTime() < end) {
            if (javac.run(null, null, null, javacArgs) != 0)
                throw new RuntimeException("javac failed");
            runs++;
        }
        System.out.println("runs " + runs);
    }
}
