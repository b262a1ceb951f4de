/** Non-blocking DNS on dnsjava's asynchronous API: AsyncDnsResolver answers with classified DnsAnswer values carrying the AD bit. */
package io.postilion.dns.lookup;
