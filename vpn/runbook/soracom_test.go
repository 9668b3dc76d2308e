package runbook

import (
	"strings"
	"testing"

	"github.com/doorbot/doorbot/vpn"
)

// doorVPG is door's observation with its VPG read from the SORACOM API.
func doorVPG(v vpn.SoracomVPG) Input {
	in := input(door)
	in.Connection.Soracom.VPGID = v.ID
	in.Observation.Connection = in.Connection
	in.Observation.Soracom = &v
	return in
}

// Door runbooks fill SORACOM's values from the VPG: its ID, its IP range
// (what the local network gateways must carry), its device subnet and its
// Door connections' routing mode, instead of placeholders.
func TestDoorRunbooksUseTheVPG(t *testing.T) {
	v := vpn.SoracomVPG{ID: "vpg-real", Status: "running", Type: 15, DeviceSubnet: "10.64.0.0/16", VPGSubnet: "100.64.9.0/28",
		DoorConnections: []vpn.DoorConnection{{ID: "door-9", UseDynamicRouting: true, BGPASN: "64512"}},
		RoutingFilter:   []vpn.RoutingFilterEntry{{Action: "allow", IPRange: "10.1.0.0/16"}}}
	for _, kind := range []Kind{KindStatic, KindMigrate} {
		rb, err := Generate(kind, doorVPG(v))
		if err != nil {
			t.Fatal(err)
		}
		listed := checkPlaceholders(t, rb)
		for _, gone := range []string{"soracom_vpg_id", "onprem_prefixes"} {
			if listed[gone] {
				t.Errorf("%s: {%s} is a placeholder although the VPG was read", kind, gone)
			}
		}
		cmds, all := texts(rb)
		for _, want := range []string{"routing SORACOM Door bgp, Azure static",
			"VPG IP range 100.64.9.0/28, device subnet 10.64.0.0/16, Door connections door-9 (bgp, ASN 64512), routing filter allow 10.1.0.0/16"} {
			if !contains(rb.Summary, want) {
				t.Errorf("%s summary lacks %q:\n%s", kind, want, strings.Join(rb.Summary, "\n"))
			}
		}
		if !contains(cmds, "soracom vpg get --vpg-id vpg-real") {
			t.Errorf("%s: no soracom vpg get with the VPG ID", kind)
		}
		if kind == KindStatic {
			if !contains(all, "device subnet (deviceSubnetCidrRange 10.64.0.0/16, read from the VPG)") || contains(all, "10.128.0.0/9") {
				t.Errorf("static: the overlap check does not use the VPG's device subnet")
			}
			if !contains(all, "today: door-9 (bgp, ASN 64512)") {
				t.Errorf("static: the Door request step does not say what SORACOM has today")
			}
		}
		if kind == KindMigrate {
			if !contains(cmds, "--local-address-prefixes 100.64.9.0/28") {
				t.Errorf("migrate: new local network gateways do not carry the VPG range")
			}
			if contains(rb.Summary, "already static") {
				t.Errorf("migrate: a BGP Door connection called already static")
			}
		}
	}

	// Type-F2 routes device addresses: the local network gateways carry the
	// device subnet too.
	v.Type = 242
	rb, _ := Generate(KindMigrate, doorVPG(v))
	if cmds, _ := texts(rb); !contains(cmds, "--local-address-prefixes 100.64.9.0/28 10.64.0.0/16") {
		t.Errorf("Type-F2: the local network gateways lack the device subnet")
	}
}

// Without the VPG (SORACOM not read) the values stay named placeholders
// and the summary says why.
func TestDoorRunbooksWithoutTheVPG(t *testing.T) {
	in := input(door)
	in.Observation.Errors = append(in.Observation.Errors, vpn.SideError{Cloud: vpn.CloudSoracom, Message: "SORACOM rejected the auth key"})
	rb, err := Generate(KindStatic, in)
	if err != nil {
		t.Fatal(err)
	}
	listed := checkPlaceholders(t, rb)
	if !listed["soracom_vpg_id"] {
		t.Error("{soracom_vpg_id} is not a placeholder without a vpg_id")
	}
	_, all := texts(rb)
	if !contains(rb.Summary, "SORACOM could not be read (SORACOM rejected the auth key)") || !contains(rb.Summary, "routing (Azure) static") {
		t.Errorf("summary:\n%s", strings.Join(rb.Summary, "\n"))
	}
	if !contains(all, "deviceSubnetCidrRange 10.128.0.0/9, SORACOM's default: the VPG was not read") {
		t.Error("the overlap check does not say the device subnet is SORACOM's default")
	}

	// A configured vpg_id fills the ID even when the VPG was not read.
	in.Connection.Soracom.VPGID = "vpg-conf"
	rb, _ = Generate(KindStatic, in)
	if cmds, _ := texts(rb); !contains(cmds, "soracom vpg get --vpg-id vpg-conf") {
		t.Error("the configured vpg_id is not used")
	}
}
