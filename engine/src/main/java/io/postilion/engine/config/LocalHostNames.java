package io.postilion.engine.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Why it exists: {@code myhostname} and {@code mydomain} default to values derived from the
 * machine's name, as in Postfix: a host name without a dot gets {@code .$mydomain} (or
 * {@code .localdomain}) appended, and {@code mydomain} defaults to {@code $myhostname} minus its
 * first label (or {@code localdomain}). Only called while loading the configuration, and by the
 * agent for the resolver's fallback search domain (LOOKUP-17).
 */
public final class LocalHostNames {

    static final String DEFAULT_DOMAIN = "localdomain";

    private static volatile String systemName;

    private LocalHostNames() {
    }

    /** The kernel's host name, read once (no DNS look-up unless the kernel file is missing). */
    public static String systemHostName() {
        String name = systemName;
        if (name == null) {
            name = readSystemHostName();
            systemName = name;
        }
        return name;
    }

    /** The default of {@code myhostname}, given an explicitly set {@code mydomain} or null. */
    static String defaultMyHostname(String host, String explicitMyDomain) {
        if (host.indexOf('.') >= 0) {
            return host;
        }
        String domain = explicitMyDomain == null || explicitMyDomain.isEmpty() ? DEFAULT_DOMAIN : explicitMyDomain;
        return host + "." + domain;
    }

    /** The default of {@code mydomain}, given the (expanded) value of {@code myhostname}. */
    static String defaultMyDomain(String myHostname) {
        int dot = myHostname.indexOf('.');
        if (dot < 0 || dot == myHostname.length() - 1) {
            return DEFAULT_DOMAIN;
        }
        return myHostname.substring(dot + 1);
    }

    private static String readSystemHostName() {
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) {
                String name = Files.readString(kernel, StandardCharsets.US_ASCII).strip();
                if (!name.isEmpty()) {
                    return name.toLowerCase(Locale.ROOT);
                }
            }
        } catch (IOException | SecurityException e) {
            // fall through to the JDK's idea of the host name
        }
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }
}
