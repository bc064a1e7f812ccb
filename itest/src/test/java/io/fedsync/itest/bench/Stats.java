package io.fedsync.itest.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Percentiles, medians and number formats of the reports. */
final class Stats {

    private Stats() {
    }

    /** The p-th percentile (nearest rank) of sorted values; NaN when empty. */
    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The p-th percentile of sorted nanoseconds in seconds; Long.MAX_VALUE ("never") is infinite, empty is NaN. */
    static double percentileSecs(long[] sorted, double p) {
        double v = percentile(sorted, p);
        if (Double.isNaN(v)) {
            return v;
        }
        return v >= Long.MAX_VALUE ? Double.POSITIVE_INFINITY : v / 1e9;
    }

    /** Median of the values that are not NaN; NaN when there are none. */
    static double median(List<Double> values) {
        double[] v = values.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).sorted()
                .toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double secs(long nanos) {
        return nanos / 1e9;
    }

    /** 0.123 s, 4.56 s, 78.9 s; "-" for NaN, "never" for infinity. */
    static String fmtSecs(double s) {
        if (Double.isNaN(s)) {
            return "-";
        }
        if (Double.isInfinite(s)) {
            return "never";
        }
        if (s < 1) {
            return String.format(Locale.ROOT, "%.3f s", s);
        }
        return s < 10 ? String.format(Locale.ROOT, "%.2f s", s) : String.format(Locale.ROOT, "%.1f s", s);
    }

    /** A number with about three significant digits; "-" for NaN. */
    static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "-";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static long[] sorted(long[] values) {
        long[] s = values.clone();
        Arrays.sort(s);
        return s;
    }
}
