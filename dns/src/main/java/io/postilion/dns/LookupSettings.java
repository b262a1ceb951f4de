package io.postilion.dns;

import io.postilion.dns.destination.DeliveryProtocol;
import java.util.Objects;
import java.util.Set;

/**
 * The Postfix parameters that shape server lookup (section 2 of the spec), with Postfix's defaults.
 * Names in comments are the SMTP ones; LMTP reads their {@code lmtp_} twins.
 *
 * @param protocol SMTP or LMTP (LMTP never looks up MX and never detects loops)
 * @param dnsSupportLevel {@code smtp_dns_support_level}
 * @param hostLookupDns {@code smtp_host_lookup} contains {@code dns}
 * @param hostLookupNative {@code smtp_host_lookup} contains {@code native}
 * @param ipv4 {@code inet_protocols} enables IPv4
 * @param ipv6 {@code inet_protocols} enables IPv6
 * @param randomizeAddresses {@code smtp_randomize_addresses} (yes)
 * @param addressPreference {@code smtp_address_preference} (any)
 * @param mxAddressLimit {@code smtp_mx_address_limit} (5; 0 = no limit)
 * @param balanceInetProtocols {@code smtp_balance_inet_protocols} (yes)
 * @param ignoreMxLookupError {@code ignore_mx_lookup_error} (no)
 * @param deferIfNoMxAddressFound {@code smtp_defer_if_no_mx_address_found} (no)
 * @param self {@code inet_interfaces} + {@code proxy_interfaces} addresses
 * @param useSrvLookup {@code use_srv_lookup} services (empty)
 * @param allowSrvLookupFallback {@code allow_srv_lookup_fallback} (no)
 * @param ignoreSrvLookupError {@code ignore_srv_lookup_error} (no)
 * @param cnameOverridesServername {@code smtp_cname_overrides_servername} (no)
 * @param resolverOptions {@code smtp_dns_resolver_options} search-list expansion for host lookups (LOOKUP-17)
 * @param dnssecForInsecureMxTargets request validation for MX/SRV target addresses even when the MX/SRV
 *     RRset was not validated ({@code smtp_tls_dane_insecure_mx_policy} = dane or encrypt, the default)
 */
public record LookupSettings(
        DeliveryProtocol protocol,
        DnsSupportLevel dnsSupportLevel,
        boolean hostLookupDns,
        boolean hostLookupNative,
        boolean ipv4,
        boolean ipv6,
        boolean randomizeAddresses,
        AddressPreference addressPreference,
        int mxAddressLimit,
        boolean balanceInetProtocols,
        boolean ignoreMxLookupError,
        boolean deferIfNoMxAddressFound,
        SelfAddresses self,
        Set<String> useSrvLookup,
        boolean allowSrvLookupFallback,
        boolean ignoreSrvLookupError,
        boolean cnameOverridesServername,
        SearchList resolverOptions,
        boolean dnssecForInsecureMxTargets) {

    public LookupSettings {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(dnsSupportLevel, "dnsSupportLevel");
        Objects.requireNonNull(addressPreference, "addressPreference");
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(resolverOptions, "resolverOptions");
        useSrvLookup = Set.copyOf(useSrvLookup);
        if (mxAddressLimit < 0) {
            throw new IllegalArgumentException("mxAddressLimit must be >= 0");
        }
        if (!hostLookupDns && !hostLookupNative) {
            throw new IllegalArgumentException("smtp_host_lookup needs dns, native or both");
        }
    }

    /** Postfix's defaults for the given client, with no self addresses (set them with {@link Builder#self}). */
    public static Builder defaults(DeliveryProtocol protocol) {
        return new Builder(protocol);
    }

    public Builder toBuilder() {
        Builder b = new Builder(protocol);
        b.dnsSupportLevel = dnsSupportLevel;
        b.hostLookupDns = hostLookupDns;
        b.hostLookupNative = hostLookupNative;
        b.ipv4 = ipv4;
        b.ipv6 = ipv6;
        b.randomizeAddresses = randomizeAddresses;
        b.addressPreference = addressPreference;
        b.mxAddressLimit = mxAddressLimit;
        b.balanceInetProtocols = balanceInetProtocols;
        b.ignoreMxLookupError = ignoreMxLookupError;
        b.deferIfNoMxAddressFound = deferIfNoMxAddressFound;
        b.self = self;
        b.useSrvLookup = useSrvLookup;
        b.allowSrvLookupFallback = allowSrvLookupFallback;
        b.ignoreSrvLookupError = ignoreSrvLookupError;
        b.cnameOverridesServername = cnameOverridesServername;
        b.dnssecForInsecureMxTargets = dnssecForInsecureMxTargets;
        b.resolverOptions = resolverOptions;
        return b;
    }

    /** Mutable builder starting from Postfix's defaults. */
    public static final class Builder {
        private final DeliveryProtocol protocol;
        private DnsSupportLevel dnsSupportLevel = DnsSupportLevel.ENABLED;
        private boolean hostLookupDns = true;
        private boolean hostLookupNative = false;
        private boolean ipv4 = true;
        private boolean ipv6 = true;
        private boolean randomizeAddresses = true;
        private AddressPreference addressPreference = AddressPreference.ANY;
        private int mxAddressLimit = 5;
        private boolean balanceInetProtocols = true;
        private boolean ignoreMxLookupError = false;
        private boolean deferIfNoMxAddressFound = false;
        private SelfAddresses self = SelfAddresses.none();
        private Set<String> useSrvLookup = Set.of();
        private boolean allowSrvLookupFallback = false;
        private boolean ignoreSrvLookupError = false;
        private boolean cnameOverridesServername = false;
        private boolean dnssecForInsecureMxTargets = true;
        private SearchList resolverOptions = SearchList.NONE;

        private Builder(DeliveryProtocol protocol) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
        }

        public Builder dnsSupportLevel(DnsSupportLevel v) { this.dnsSupportLevel = v; return this; }
        public Builder hostLookup(boolean dns, boolean nativeLookup) { this.hostLookupDns = dns; this.hostLookupNative = nativeLookup; return this; }
        public Builder inetProtocols(boolean v4, boolean v6) { this.ipv4 = v4; this.ipv6 = v6; return this; }
        public Builder randomizeAddresses(boolean v) { this.randomizeAddresses = v; return this; }
        public Builder addressPreference(AddressPreference v) { this.addressPreference = v; return this; }
        public Builder mxAddressLimit(int v) { this.mxAddressLimit = v; return this; }
        public Builder balanceInetProtocols(boolean v) { this.balanceInetProtocols = v; return this; }
        public Builder ignoreMxLookupError(boolean v) { this.ignoreMxLookupError = v; return this; }
        public Builder deferIfNoMxAddressFound(boolean v) { this.deferIfNoMxAddressFound = v; return this; }
        public Builder self(SelfAddresses v) { this.self = v; return this; }
        public Builder useSrvLookup(Set<String> v) { this.useSrvLookup = v; return this; }
        public Builder allowSrvLookupFallback(boolean v) { this.allowSrvLookupFallback = v; return this; }
        public Builder ignoreSrvLookupError(boolean v) { this.ignoreSrvLookupError = v; return this; }
        public Builder cnameOverridesServername(boolean v) { this.cnameOverridesServername = v; return this; }
        public Builder dnssecForInsecureMxTargets(boolean v) { this.dnssecForInsecureMxTargets = v; return this; }
        public Builder resolverOptions(SearchList v) { this.resolverOptions = v; return this; }

        public LookupSettings build() {
            return new LookupSettings(protocol, dnsSupportLevel, hostLookupDns, hostLookupNative, ipv4, ipv6,
                    randomizeAddresses, addressPreference, mxAddressLimit, balanceInetProtocols, ignoreMxLookupError,
                    deferIfNoMxAddressFound, self, useSrvLookup, allowSrvLookupFallback, ignoreSrvLookupError,
                    cnameOverridesServername, resolverOptions, dnssecForInsecureMxTargets);
        }
    }
}
