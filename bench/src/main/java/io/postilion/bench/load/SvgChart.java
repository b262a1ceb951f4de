package io.postilion.bench.load;

import java.util.List;
import java.util.Locale;

/** A small grouped bar chart (SVG) of messages per second per case: ours beside smtp-source's. */
final class SvgChart {

    /** One group of bars; {@code theirs} is NaN when smtp-source did not run. */
    record Bar(String label, double ours, double theirs) {
    }

    private SvgChart() {
    }

    static String render(String title, List<Bar> bars) {
        int groupWidth = 160;
        int chartHeight = 260;
        int left = 70;
        int top = 50;
        int width = left + groupWidth * Math.max(1, bars.size()) + 30;
        int height = top + chartHeight + 70;
        double max = 1;
        for (Bar b : bars) {
            max = Math.max(max, Math.max(b.ours(), Double.isNaN(b.theirs()) ? 0 : b.theirs()));
        }
        max = niceCeiling(max);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", left, escape(title)));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            double y = top + chartHeight - chartHeight * i / 4.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    left, width - 20, y, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n",
                    left - 6, y + 4, v));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                + "text-anchor=\"middle\">messages/s</text>%n", top + chartHeight / 2, top + chartHeight / 2));
        for (int g = 0; g < bars.size(); g++) {
            Bar b = bars.get(g);
            int x = left + g * groupWidth + 20;
            bar(s, x, b.ours(), max, top, chartHeight, "#3b6fb6");
            if (!Double.isNaN(b.theirs())) {
                bar(s, x + 60, b.theirs(), max, top, chartHeight, "#d9822b");
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x + 55, top + chartHeight + 18, escape(b.label())));
        }
        int ly = top + chartHeight + 45;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#3b6fb6\"/>"
                + "<text x=\"%d\" y=\"%d\">Postilion (scheduler + agent)</text>%n", left, ly, left + 18, ly + 11));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#d9822b\"/>"
                + "<text x=\"%d\" y=\"%d\">smtp-source -d</text>%n", left + 220, ly, left + 238, ly + 11));
        s.append("</svg>\n");
        return s.toString();
    }

    private static void bar(StringBuilder s, int x, double value, double max, int top, int chartHeight, String colour) {
        double h = chartHeight * value / max;
        double y = top + chartHeight - h;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"50\" height=\"%.1f\" fill=\"%s\"/>%n",
                x, y, h, colour));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>%n",
                x + 25, y - 4, value));
    }

    private static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
