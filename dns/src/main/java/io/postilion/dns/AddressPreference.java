package io.postilion.dns;

/** {@code smtp_address_preference}: which address family goes first among equal MX preferences (LOOKUP-9). */
public enum AddressPreference {
    IPV6,
    IPV4,
    ANY
}
