package io.postilion.dns;

/** {@code smtp_dns_support_level} (LOOKUP-16): no DNS, plain DNS, or DNS with DNSSEC validation requested. */
public enum DnsSupportLevel {
    DISABLED,
    ENABLED,
    DNSSEC
}
