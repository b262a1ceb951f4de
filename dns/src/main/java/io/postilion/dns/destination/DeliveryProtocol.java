package io.postilion.dns.destination;

/** Which client we are: smtp(8) or lmtp(8). It changes destination syntax, default port and lookup method. */
public enum DeliveryProtocol {
    SMTP,
    LMTP
}
