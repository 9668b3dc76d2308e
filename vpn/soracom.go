package vpn

import (
	"strconv"
	"strings"
)

// SoracomRef locates the SORACOM side of a soracom-door connection: the
// VPG whose Door connections terminate on the Azure gateway.
type SoracomRef struct {
	VPGID string
}

// SoracomVPG is what the SORACOM API reports about a Virtual Private
// Gateway (GET /v1/virtual_private_gateways/{id}), reduced to what Door
// needs. SORACOM exposes no tunnel status: the Door tunnel verdict stays
// with Azure.
type SoracomVPG struct {
	ID     string
	Status string // "running" is the only documented value
	// Type is the API's enum: 12 Type-C, 13 Type-D, 14 Type-E, 15 Type-F,
	// 242 Type-F2; 0 when absent.
	Type int
	// DeviceSubnet is deviceSubnetCidrRange (SORACOM default 10.128.0.0/9);
	// VPGSubnet is vpgSubnetCidrRange, the source range Azure sees.
	DeviceSubnet string
	VPGSubnet    string
	// DoorConnections are the VPG's vpnConnections, in id order.
	DoorConnections []DoorConnection
	// RoutingFilter is the outbound routing filter, in evaluation order.
	RoutingFilter []RoutingFilterEntry
	// OnlineSessions is sessionStats.online (not real time); -1 when the
	// VPG did not report it.
	OnlineSessions int
}

// DoorConnection is one entry of a VPG's vpnConnections.
type DoorConnection struct {
	ID                string `json:"id"`
	UseDynamicRouting bool   `json:"use_dynamic_routing"`
	// BGPASN is as SORACOM sends it: a string, empty with static routing.
	BGPASN string `json:"bgp_asn,omitempty"`
}

// Routing is the connection's routing mode.
func (d DoorConnection) Routing() Routing {
	if d.UseDynamicRouting {
		return RoutingBGP
	}
	return RoutingStatic
}

// ASN parses BGPASN; ok is false when it is empty or not a 32-bit ASN.
func (d DoorConnection) ASN() (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(d.BGPASN), 10, 64)
	if err != nil || n < 0 || n > 4294967295 {
		return 0, false
	}
	return n, true
}

// RoutingFilterEntry is one outbound routing filter rule of a VPG.
type RoutingFilterEntry struct {
	Action  string `json:"action"` // allow | deny
	IPRange string `json:"ip_range"`
}

// Routing is the Door side's routing mode: the VPG's Door connections'
// when they agree, unknown when there are none or they differ.
func (v *SoracomVPG) Routing() Routing {
	if v == nil {
		return RoutingUnknown
	}
	return agreedRouting(v.DoorConnections)
}

// vpgTypeF2 is the API's Type for Type-F2.
const vpgTypeF2 = 242

// RoutesDeviceAddresses reports a VPG (Type-F2) that routes device
// addresses both ways instead of NATting them to the VPG IP range: the
// Azure side must then route the device subnet into Door too.
func (v *SoracomVPG) RoutesDeviceAddresses() bool { return v != nil && v.Type == vpgTypeF2 }

// Running reports whether SORACOM says the VPG is running.
func (v *SoracomVPG) Running() bool { return v != nil && strings.EqualFold(v.Status, "running") }

// TypeName names the VPG type as SORACOM's console does ("Type-F"), or
// "type N" for a value the API enum does not list.
func (v *SoracomVPG) TypeName() string {
	if v == nil || v.Type == 0 {
		return ""
	}
	switch v.Type {
	case 12:
		return "Type-C"
	case 13:
		return "Type-D"
	case 14:
		return "Type-E"
	case 15:
		return "Type-F"
	case vpgTypeF2:
		return "Type-F2"
	}
	return "type " + strconv.Itoa(v.Type)
}

// SoracomStatus is the SORACOM side of a Door connection in the status
// output (added to docs/output.md under "soracom").
type SoracomStatus struct {
	VPGID           string               `json:"vpg_id"`
	Status          string               `json:"status"`
	Type            string               `json:"type,omitempty"`
	Routing         Routing              `json:"routing"`
	DeviceSubnet    string               `json:"device_subnet,omitempty"`
	VPGSubnet       string               `json:"vpg_subnet,omitempty"`
	DoorConnections []DoorConnection     `json:"door_connections"`
	RoutingFilter   []RoutingFilterEntry `json:"routing_filter"`
	// OnlineSessions is SORACOM's (not real-time) count of online SIMs:
	// the blast radius of a Door outage.
	OnlineSessions *int `json:"online_sessions,omitempty"`
}

// NewSoracomStatus is the status view of a VPG; nil when not read.
func NewSoracomStatus(v *SoracomVPG) *SoracomStatus {
	if v == nil {
		return nil
	}
	s := &SoracomStatus{
		VPGID: v.ID, Status: v.Status, Type: v.TypeName(), Routing: v.Routing(),
		DeviceSubnet: v.DeviceSubnet, VPGSubnet: v.VPGSubnet,
		DoorConnections: append([]DoorConnection{}, v.DoorConnections...),
		RoutingFilter:   append([]RoutingFilterEntry{}, v.RoutingFilter...),
	}
	if v.OnlineSessions >= 0 {
		n := v.OnlineSessions
		s.OnlineSessions = &n
	}
	return s
}
