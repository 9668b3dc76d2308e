package sim

import (
	"encoding/xml"
	"strconv"
)

// The types below mirror EC2's Query XML element for element, so that
// encoding/xml does the escaping (customerGatewayConfiguration is itself
// XML and must arrive escaped, as AWS sends it).

// xmlSet is EC2's list shape: <name><item>…</item>…</name>. It is always
// emitted, empty or not, as AWS does (<routes/>).
type xmlSet[T any] struct {
	Items []T `xml:"item"`
}

type xmlValue struct {
	Value string `xml:"value"`
}

type describeVPNConnectionsResponse struct {
	XMLName   xml.Name       `xml:"DescribeVpnConnectionsResponse"`
	Xmlns     string         `xml:"xmlns,attr"`
	RequestID string         `xml:"requestId"`
	VPNs      xmlSet[xmlVPN] `xml:"vpnConnectionSet"`
}

type xmlVPN struct {
	ID                      string               `xml:"vpnConnectionId"`
	State                   string               `xml:"state"`
	CustomerGatewayConfig   string               `xml:"customerGatewayConfiguration,omitempty"`
	CustomerGatewayID       string               `xml:"customerGatewayId"`
	Category                string               `xml:"category"`
	Type                    string               `xml:"type"`
	VPNGatewayID            string               `xml:"vpnGatewayId,omitempty"`
	GatewayAssociationState string               `xml:"gatewayAssociationState"`
	Options                 xmlVPNOptions        `xml:"options"`
	Routes                  xmlSet[xmlRoute]     `xml:"routes"`
	Telemetry               xmlSet[xmlTelemetry] `xml:"vgwTelemetry"`
}

type xmlVPNOptions struct {
	EnableAcceleration    bool                    `xml:"enableAcceleration"`
	StaticRoutesOnly      bool                    `xml:"staticRoutesOnly"`
	LocalIPv4NetworkCIDR  string                  `xml:"localIpv4NetworkCidr"`
	RemoteIPv4NetworkCIDR string                  `xml:"remoteIpv4NetworkCidr"`
	OutsideIPAddressType  string                  `xml:"outsideIpAddressType"`
	TunnelInsideIPVersion string                  `xml:"tunnelInsideIpVersion"`
	TunnelOptions         xmlSet[xmlTunnelOption] `xml:"tunnelOptionSet"`
}

// xmlTunnelOption omits unset options: AWS returns only what was set and
// doorbot must read a missing option as "AWS default".
type xmlTunnelOption struct {
	OutsideIPAddress      string            `xml:"outsideIpAddress"`
	TunnelInsideCIDR      string            `xml:"tunnelInsideCidr,omitempty"`
	PreSharedKey          string            `xml:"preSharedKey,omitempty"`
	Phase1LifetimeSeconds int               `xml:"phase1LifetimeSeconds,omitempty"`
	Phase2LifetimeSeconds int               `xml:"phase2LifetimeSeconds,omitempty"`
	DPDTimeoutSeconds     int               `xml:"dpdTimeoutSeconds,omitempty"`
	DPDTimeoutAction      string            `xml:"dpdTimeoutAction,omitempty"`
	Phase1Encryption      *xmlSet[xmlValue] `xml:"phase1EncryptionAlgorithmSet,omitempty"`
	Phase2Encryption      *xmlSet[xmlValue] `xml:"phase2EncryptionAlgorithmSet,omitempty"`
	Phase1Integrity       *xmlSet[xmlValue] `xml:"phase1IntegrityAlgorithmSet,omitempty"`
	Phase2Integrity       *xmlSet[xmlValue] `xml:"phase2IntegrityAlgorithmSet,omitempty"`
	Phase1DHGroups        *xmlSet[xmlValue] `xml:"phase1DHGroupNumberSet,omitempty"`
	Phase2DHGroups        *xmlSet[xmlValue] `xml:"phase2DHGroupNumberSet,omitempty"`
	IKEVersions           *xmlSet[xmlValue] `xml:"ikeVersionSet,omitempty"`
	StartupAction         string            `xml:"startupAction,omitempty"`
	LogOptions            xmlLogOptions     `xml:"logOptions"`
}

// xmlLogOptions is always sent: AWS reports logging off as logEnabled false.
type xmlLogOptions struct {
	CloudWatch struct {
		LogEnabled         bool   `xml:"logEnabled"`
		LogGroupARN        string `xml:"logGroupArn,omitempty"`
		LogOutputFormat    string `xml:"logOutputFormat,omitempty"`
		BGPLogEnabled      bool   `xml:"bgpLogEnabled"`
		BGPLogGroupARN     string `xml:"bgpLogGroupArn,omitempty"`
		BGPLogOutputFormat string `xml:"bgpLogOutputFormat,omitempty"`
	} `xml:"cloudWatchLogOptions"`
}

type getVPNTunnelReplacementStatusResponse struct {
	XMLName           xml.Name           `xml:"GetVpnTunnelReplacementStatusResponse"`
	Xmlns             string             `xml:"xmlns,attr"`
	RequestID         string             `xml:"requestId"`
	VPNConnectionID   string             `xml:"vpnConnectionId"`
	CustomerGatewayID string             `xml:"customerGatewayId"`
	VPNGatewayID      string             `xml:"vpnGatewayId,omitempty"`
	OutsideIPAddress  string             `xml:"vpnTunnelOutsideIpAddress"`
	Maintenance       xmlMaintenanceInfo `xml:"maintenanceDetails"`
}

type xmlMaintenanceInfo struct {
	PendingMaintenance          string `xml:"pendingMaintenance,omitempty"`
	MaintenanceAutoAppliedAfter string `xml:"maintenanceAutoAppliedAfter,omitempty"`
	LastMaintenanceApplied      string `xml:"lastMaintenanceApplied,omitempty"`
}

type xmlRoute struct {
	DestinationCIDRBlock string `xml:"destinationCidrBlock"`
	Source               string `xml:"source"`
	State                string `xml:"state"`
}

type xmlTelemetry struct {
	AcceptedRouteCount int    `xml:"acceptedRouteCount"`
	LastStatusChange   string `xml:"lastStatusChange"`
	OutsideIPAddress   string `xml:"outsideIpAddress"`
	Status             string `xml:"status,omitempty"`
	StatusMessage      string `xml:"statusMessage"`
}

type describeCustomerGatewaysResponse struct {
	XMLName   xml.Name       `xml:"DescribeCustomerGatewaysResponse"`
	Xmlns     string         `xml:"xmlns,attr"`
	RequestID string         `xml:"requestId"`
	CGWs      xmlSet[xmlCGW] `xml:"customerGatewaySet"`
}

type xmlCGW struct {
	ID        string `xml:"customerGatewayId"`
	State     string `xml:"state"`
	Type      string `xml:"type"`
	IPAddress string `xml:"ipAddress"`
	BGPASN    string `xml:"bgpAsn"` // a string on the wire and in the SDK
}

type xmlErrorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []xmlError `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type xmlError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func vpnXML(v EC2VPN) xmlVPN {
	out := xmlVPN{
		ID:                      v.ID,
		State:                   v.State,
		CustomerGatewayID:       v.CustomerGatewayID,
		Category:                "VPN",
		Type:                    "ipsec.1",
		VPNGatewayID:            v.VPNGatewayID,
		GatewayAssociationState: "associated",
		Options: xmlVPNOptions{
			StaticRoutesOnly:      v.StaticRoutesOnly,
			LocalIPv4NetworkCIDR:  "0.0.0.0/0",
			RemoteIPv4NetworkCIDR: "0.0.0.0/0",
			OutsideIPAddressType:  "PublicIpv4",
			TunnelInsideIPVersion: "ipv4",
		},
	}
	// AWS stops returning the device configuration once a VPN is going away.
	if v.State == "pending" || v.State == "available" {
		out.CustomerGatewayConfig = v.CustomerGatewayConfiguration
	}
	for _, r := range v.Routes {
		out.Routes.Items = append(out.Routes.Items, xmlRoute{DestinationCIDRBlock: r, Source: "Static", State: "available"})
	}
	for _, t := range v.Tunnels {
		out.Options.TunnelOptions.Items = append(out.Options.TunnelOptions.Items, xmlTunnelOption{
			OutsideIPAddress:      t.OutsideIP,
			TunnelInsideCIDR:      t.InsideCIDR,
			PreSharedKey:          t.PreSharedKey,
			Phase1LifetimeSeconds: t.Phase1LifetimeSeconds,
			Phase2LifetimeSeconds: t.Phase2LifetimeSeconds,
			DPDTimeoutSeconds:     t.DPDTimeoutSeconds,
			DPDTimeoutAction:      t.DPDTimeoutAction,
			Phase1Encryption:      valueSet(t.Phase1Encryption),
			Phase2Encryption:      valueSet(t.Phase2Encryption),
			Phase1Integrity:       valueSet(t.Phase1Integrity),
			Phase2Integrity:       valueSet(t.Phase2Integrity),
			Phase1DHGroups:        intSet(t.Phase1DHGroups),
			Phase2DHGroups:        intSet(t.Phase2DHGroups),
			IKEVersions:           valueSet(t.IKEVersions),
			StartupAction:         t.StartupAction,
			LogOptions:            logOptionsXML(t),
		})
		out.Telemetry.Items = append(out.Telemetry.Items, xmlTelemetry{
			AcceptedRouteCount: t.AcceptedRouteCount,
			LastStatusChange:   t.LastStatusChange.UTC().Format(ec2Time),
			OutsideIPAddress:   t.OutsideIP,
			Status:             t.Status,
			StatusMessage:      t.StatusMessage,
		})
	}
	return out
}

// ec2Time is the ISO 8601 form EC2 uses for timestamps.
const ec2Time = "2006-01-02T15:04:05.000Z"

func valueSet(vs []string) *xmlSet[xmlValue] {
	if len(vs) == 0 {
		return nil
	}
	s := &xmlSet[xmlValue]{}
	for _, v := range vs {
		s.Items = append(s.Items, xmlValue{v})
	}
	return s
}

func intSet(vs []int) *xmlSet[xmlValue] {
	if len(vs) == 0 {
		return nil
	}
	s := &xmlSet[xmlValue]{}
	for _, v := range vs {
		s.Items = append(s.Items, xmlValue{strconv.Itoa(v)})
	}
	return s
}

func logOptionsXML(t EC2Tunnel) xmlLogOptions {
	var o xmlLogOptions
	cw := &o.CloudWatch
	if t.LogGroupARN != "" {
		cw.LogEnabled, cw.LogGroupARN, cw.LogOutputFormat = true, t.LogGroupARN, "json"
	}
	if t.BGPLogGroupARN != "" {
		cw.BGPLogEnabled, cw.BGPLogGroupARN, cw.BGPLogOutputFormat = true, t.BGPLogGroupARN, "json"
	}
	return o
}
