package vpn

import "testing"

func TestSameIPAndKeyIP(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"198.51.100.1", " 198.51.100.1 ", true},
		{"2001:DB8::1", "2001:db8:0::1", true},
		{"::ffff:198.51.100.1", "198.51.100.1", true}, // IPv4-mapped is the IPv4 endpoint
		{"198.51.100.1", "198.51.100.2", false},
		{"vpn.example.com", "vpn.example.com", true}, // not an IP: trimmed text
		{"", "", false}, // nothing is not an address
		{"198.51.100.1", "", false},
	} {
		if got := SameIP(tt.a, tt.b); got != tt.same {
			t.Errorf("SameIP(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	if k := KeyIP(" 2001:DB8::1"); k.String() != "2001:db8::1" || k.Empty() {
		t.Errorf("KeyIP = %q", k)
	}
	if !KeyIP("  ").Empty() {
		t.Error("blank is not empty")
	}
	if !KeyIP("198.51.100.1").IsAddr() || KeyIP("vpn.example.com").IsAddr() || KeyIP("").IsAddr() {
		t.Error("IsAddr must hold for an address only")
	}
}

func TestValidConnectionName(t *testing.T) {
	for name, ok := range map[string]bool{
		"azure-prod": true, "a": true, "door-1": true,
		"": false, "Azure": false, "azure_prod": false, "a b": false,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": true, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": false,
	} {
		if got := ValidConnectionName(name); got != ok {
			t.Errorf("ValidConnectionName(%q) = %v, want %v", name, got, ok)
		}
	}
}
