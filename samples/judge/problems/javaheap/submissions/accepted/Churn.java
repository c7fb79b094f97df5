import java.util.ArrayList;
import java.util.List;
import java.util.Scanner;

/**
 * Builds N lists of 40 MiB one after the other, each kept alive long enough to be promoted to the
 * old generation, then dropped: N x 40 MiB allocated in all, never more than about 40 MiB live.
 * A JVM that sizes its heap for the host's memory lets the old generation grow past the 256 MiB
 * memory limit before it collects, and is killed (a false MLE); one that sees its limit collects.
 */
public class Churn {
    public static void main(String[] args) {
        int rounds = new Scanner(System.in).nextInt();
        long checksum = 0;
        for (int r = 0; r < rounds; r++) {
            List<int[]> live = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int[] block = new int[256 * 1024];   // 1 MiB
                block[i] = r;
                live.add(block);
            }
            for (int[] block : live) {
                checksum += block[r % 40];
            }
        }
        System.out.println(checksum >= 0 ? rounds : -1);
    }
}
