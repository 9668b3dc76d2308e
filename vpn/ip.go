package vpn

import (
	"net/netip"
	"strings"
)

// IPKey identifies an IP address however it is spelled (" 198.51.100.1",
// "2001:DB8::1", "::ffff:198.51.100.1") without allocating. Text that is not an IP stays as
// trimmed text, so a typo still matches itself and nothing else. It is the
// one normaliser every comparison of addresses uses: pairing AWS tunnels
// with local network gateways, merging proposals, the rules.
type IPKey struct {
	addr netip.Addr
	text string
}

// KeyIP normalises s.
func KeyIP(s string) IPKey {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		// An IPv4-mapped IPv6 address is the IPv4 endpoint (logs print
		// either form).
		return IPKey{addr: a.Unmap()}
	}
	return IPKey{text: s}
}

// Empty reports whether nothing was given.
func (k IPKey) Empty() bool { return !k.addr.IsValid() && k.text == "" }

// IsAddr reports whether s was an IP address rather than other text.
func (k IPKey) IsAddr() bool { return k.addr.IsValid() }

// String is the canonical spelling (the text as given when it is not an IP).
func (k IPKey) String() string {
	if k.addr.IsValid() {
		return k.addr.String()
	}
	return k.text
}

// SameIP reports whether a and b name the same address; two empty values
// are not the same address.
func SameIP(a, b string) bool {
	ka := KeyIP(a)
	return !ka.Empty() && ka == KeyIP(b)
}
