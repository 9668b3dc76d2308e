package sim

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
	"time"
)

// The types below mirror ARM's 2025-05-01 JSON for the resources doorbot
// reads. Field names and shapes follow the REST spec examples, including
// its quirks (bgpPeeringAddresses[].ipconfigurationId with a lower-case c).

const (
	defaultLocation      = "japaneast"
	defaultVNet          = "vnet-hub"
	defaultGatewaySubnet = "10.1.255.0/27"
	defaultAzureASN      = 65515
	defaultDPDSeconds    = 45
)

type armRef struct {
	ID string `json:"id"`
}

type armList[T any] struct {
	Value []T `json:"value"`
}

type armGatewayJSON struct {
	Name       string          `json:"name"`
	ID         string          `json:"id"`
	Etag       string          `json:"etag"`
	Type       string          `json:"type"`
	Location   string          `json:"location"`
	Properties armGatewayProps `json:"properties"`
}

type armGatewayProps struct {
	ProvisioningState      string             `json:"provisioningState"`
	ResourceGUID           string             `json:"resourceGuid"`
	PacketCaptureState     string             `json:"packetCaptureDiagnosticState"`
	EnablePrivateIPAddress bool               `json:"enablePrivateIpAddress"`
	IPConfigurations       []armGatewayIPConf `json:"ipConfigurations"`
	SKU                    armSKU             `json:"sku"`
	GatewayType            string             `json:"gatewayType"`
	VPNType                string             `json:"vpnType"`
	VPNGatewayGeneration   string             `json:"vpnGatewayGeneration"`
	EnableBGP              bool               `json:"enableBgp"`
	ActiveActive           bool               `json:"activeActive"`
	BGPSettings            armGatewayBGP      `json:"bgpSettings"`
	NATRules               []struct{}         `json:"natRules"`
	EnableBGPRouteXlate    bool               `json:"enableBgpRouteTranslationForNat"`
}

type armGatewayIPConf struct {
	Name       string                `json:"name"`
	ID         string                `json:"id"`
	Etag       string                `json:"etag"`
	Type       string                `json:"type"`
	Properties armGatewayIPConfProps `json:"properties"`
}

type armGatewayIPConfProps struct {
	ProvisioningState         string `json:"provisioningState"`
	PrivateIPAllocationMethod string `json:"privateIPAllocationMethod"`
	PublicIPAddress           armRef `json:"publicIPAddress"`
	Subnet                    armRef `json:"subnet"`
}

type armSKU struct {
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Capacity int    `json:"capacity"`
}

type armGatewayBGP struct {
	ASN                 int64                `json:"asn"`
	BGPPeeringAddress   string               `json:"bgpPeeringAddress"`
	PeerWeight          int                  `json:"peerWeight"`
	BGPPeeringAddresses []armBGPPeeringAddrs `json:"bgpPeeringAddresses"`
}

type armBGPPeeringAddrs struct {
	IPConfigurationID     string   `json:"ipconfigurationId"`
	DefaultBGPIPAddresses []string `json:"defaultBgpIpAddresses"`
	CustomBGPIPAddresses  []string `json:"customBgpIpAddresses"`
	TunnelIPAddresses     []string `json:"tunnelIpAddresses"`
}

type armConnectionJSON struct {
	Name       string             `json:"name"`
	ID         string             `json:"id"`
	Etag       string             `json:"etag"`
	Type       string             `json:"type"`
	Location   string             `json:"location"`
	Properties armConnectionProps `json:"properties"`
}

// armConnectionProps has no sharedKey field at all, so the key cannot leak
// through a response by accident.
type armConnectionProps struct {
	ProvisioningState              string             `json:"provisioningState"`
	ResourceGUID                   string             `json:"resourceGuid"`
	VirtualNetworkGateway1         armRef             `json:"virtualNetworkGateway1"`
	LocalNetworkGateway2           armRef             `json:"localNetworkGateway2"`
	ConnectionType                 string             `json:"connectionType"`
	ConnectionProtocol             string             `json:"connectionProtocol"`
	AuthenticationType             string             `json:"authenticationType"`
	RoutingWeight                  int                `json:"routingWeight"`
	DPDTimeoutSeconds              int                `json:"dpdTimeoutSeconds"`
	ConnectionMode                 string             `json:"connectionMode"`
	EnableBGP                      bool               `json:"enableBgp"`
	UseLocalAzureIPAddress         bool               `json:"useLocalAzureIpAddress"`
	UsePolicyBasedTrafficSelectors bool               `json:"usePolicyBasedTrafficSelectors"`
	IPsecPolicies                  []ARMIPsecPolicy   `json:"ipsecPolicies"`
	TrafficSelectorPolicies        []struct{}         `json:"trafficSelectorPolicies"`
	IngressNATRules                []struct{}         `json:"ingressNatRules"`
	EgressNATRules                 []struct{}         `json:"egressNatRules"`
	ExpressRouteGatewayBypass      bool               `json:"expressRouteGatewayBypass"`
	EnablePrivateLinkFastPath      bool               `json:"enablePrivateLinkFastPath"`
	GatewayCustomBGPIPAddresses    []armCustomBGPAddr `json:"gatewayCustomBgpIpAddresses"`
	ConnectionStatus               string             `json:"connectionStatus,omitempty"`
	IngressBytesTransferred        int64              `json:"ingressBytesTransferred"`
	EgressBytesTransferred         int64              `json:"egressBytesTransferred"`
	TunnelConnectionStatus         []armTunnelHealth  `json:"tunnelConnectionStatus,omitempty"`
}

type armCustomBGPAddr struct {
	IPConfigurationID  string `json:"ipConfigurationId"`
	CustomBGPIPAddress string `json:"customBgpIpAddress"`
}

type armTunnelHealth struct {
	Tunnel                           string `json:"tunnel"`
	ConnectionStatus                 string `json:"connectionStatus"`
	IngressBytesTransferred          int64  `json:"ingressBytesTransferred"`
	EgressBytesTransferred           int64  `json:"egressBytesTransferred"`
	LastConnectionEstablishedUTCTime string `json:"lastConnectionEstablishedUtcTime,omitempty"`
}

type armLNGJSON struct {
	Name       string      `json:"name"`
	ID         string      `json:"id"`
	Etag       string      `json:"etag"`
	Type       string      `json:"type"`
	Location   string      `json:"location"`
	Properties armLNGProps `json:"properties"`
}

type armLNGProps struct {
	ProvisioningState        string          `json:"provisioningState"`
	ResourceGUID             string          `json:"resourceGuid"`
	GatewayIPAddress         string          `json:"gatewayIpAddress"`
	LocalNetworkAddressSpace armAddressSpace `json:"localNetworkAddressSpace"`
	BGPSettings              *armLNGBGP      `json:"bgpSettings,omitempty"`
}

type armAddressSpace struct {
	AddressPrefixes []string `json:"addressPrefixes"`
}

type armLNGBGP struct {
	ASN               int64  `json:"asn"`
	BGPPeeringAddress string `json:"bgpPeeringAddress"`
	PeerWeight        int    `json:"peerWeight"`
}

type armBGPPeerJSON struct {
	LocalAddress      string  `json:"localAddress"`
	Neighbor          string  `json:"neighbor"`
	ASN               int64   `json:"asn"`
	State             string  `json:"state"`
	ConnectedDuration *string `json:"connectedDuration"`
	RoutesReceived    int64   `json:"routesReceived"`
	MessagesSent      int64   `json:"messagesSent"`
	MessagesReceived  int64   `json:"messagesReceived"`
}

// armRouteJSON is one GatewayRoute of getLearnedRoutes.
type armRouteJSON struct {
	LocalAddress string `json:"localAddress"`
	Network      string `json:"network"`
	NextHop      string `json:"nextHop"`
	SourcePeer   string `json:"sourcePeer"`
	Origin       string `json:"origin"`
	ASPath       string `json:"asPath"`
	Weight       int    `json:"weight"`
}

type armPublicIPJSON struct {
	Name       string           `json:"name"`
	ID         string           `json:"id"`
	Etag       string           `json:"etag"`
	Type       string           `json:"type"`
	Location   string           `json:"location"`
	SKU        armPIPSKU        `json:"sku"`
	Properties armPublicIPProps `json:"properties"`
}

type armPIPSKU struct {
	Name string `json:"name"`
	Tier string `json:"tier"`
}

type armPublicIPProps struct {
	ProvisioningState        string `json:"provisioningState"`
	ResourceGUID             string `json:"resourceGuid"`
	IPAddress                string `json:"ipAddress"`
	PublicIPAddressVersion   string `json:"publicIPAddressVersion"`
	PublicIPAllocationMethod string `json:"publicIPAllocationMethod"`
	IdleTimeoutInMinutes     int    `json:"idleTimeoutInMinutes"`
	IPConfiguration          armRef `json:"ipConfiguration"`
}

type armErrorJSON struct {
	Error armErrorBody `json:"error"`
}

type armErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// armID builds a resource-group scoped Microsoft.Network resource ID.
func armID(sub, rg, typ, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/%s/%s", sub, rg, typ, name)
}

// stableGUID derives a GUID from a resource's key so that resourceGuid and
// etag stay the same across reads, as they do in ARM until a write.
func stableGUID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func etag(parts ...string) string { return `W/"` + stableGUID(append(parts, "etag")...) + `"` }

func withGatewayDefaults(g ARMGateway) ARMGateway {
	if g.Location == "" {
		g.Location = defaultLocation
	}
	if g.SKU == "" {
		g.SKU = "VpnGw1"
	}
	if g.VPNType == "" {
		g.VPNType = "RouteBased"
	}
	if g.ASN == 0 {
		g.ASN = defaultAzureASN
	}
	if g.VirtualNetwork == "" {
		g.VirtualNetwork = defaultVNet
	}
	if g.GatewaySubnet == "" {
		g.GatewaySubnet = defaultGatewaySubnet
	}
	return g
}

var ipConfigNames = []string{"default", "activeActive"}

func ipConfigName(i int) string {
	if i < len(ipConfigNames) {
		return ipConfigNames[i]
	}
	return fmt.Sprintf("ipconfig%d", i+1)
}

func publicIPName(gw string, i int) string { return fmt.Sprintf("%s-pip%d", gw, i+1) }

func ipConfigID(g ARMGateway, i int) string {
	return armID(g.Subscription, g.ResourceGroup, "virtualNetworkGateways", g.Name) + "/ipConfigurations/" + ipConfigName(i)
}

// defaultBGPIP is the private address ARM gives gateway instance i inside
// the GatewaySubnet: counted down from the top of the subnet, like the
// .30 MS Learn shows for a /27.
func defaultBGPIP(subnet string, i int) string {
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() || p.Bits() > 29 {
		return fmt.Sprintf("10.1.255.%d", 30-i)
	}
	a := p.Masked().Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= (1 << (32 - p.Bits())) - 1 // broadcast
	n -= uint32(1 + i)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String()
}

func gatewayJSON(g ARMGateway) armGatewayJSON {
	g = withGatewayDefaults(g)
	key := armKey(g.Subscription, g.ResourceGroup, g.Name)
	subnetID := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/GatewaySubnet", g.Subscription, g.ResourceGroup, g.VirtualNetwork)
	generation := "Generation1"
	switch g.SKU {
	case "VpnGw4", "VpnGw5", "VpnGw4AZ", "VpnGw5AZ":
		generation = "Generation2"
	}
	props := armGatewayProps{
		ProvisioningState:  "Succeeded",
		ResourceGUID:       stableGUID(key),
		PacketCaptureState: "None",
		IPConfigurations:   []armGatewayIPConf{},
		SKU:                armSKU{Name: g.SKU, Tier: g.SKU, Capacity: 2},
		GatewayType:        "Vpn",
		VPNType:            g.VPNType,
		EnableBGP:          g.EnableBGP,
		ActiveActive:       g.ActiveActive,
		NATRules:           []struct{}{},
		BGPSettings: armGatewayBGP{
			ASN:                 g.ASN,
			BGPPeeringAddresses: []armBGPPeeringAddrs{},
		},
		VPNGatewayGeneration: generation,
	}
	var defaults string
	for i, ip := range g.PublicIPs {
		cfgID := ipConfigID(g, i)
		props.IPConfigurations = append(props.IPConfigurations, armGatewayIPConf{
			Name: ipConfigName(i),
			ID:   cfgID,
			Etag: etag(key, cfgID),
			Type: "Microsoft.Network/virtualNetworkGateways/ipConfigurations",
			Properties: armGatewayIPConfProps{
				ProvisioningState:         "Succeeded",
				PrivateIPAllocationMethod: "Dynamic",
				PublicIPAddress:           armRef{armID(g.Subscription, g.ResourceGroup, "publicIPAddresses", publicIPName(g.Name, i))},
				Subnet:                    armRef{subnetID},
			},
		})
		def := defaultBGPIP(g.GatewaySubnet, i)
		if defaults != "" {
			defaults += ","
		}
		defaults += def
		custom := []string{}
		if i < len(g.CustomAPIPA) && g.CustomAPIPA[i] != nil {
			custom = g.CustomAPIPA[i]
		}
		props.BGPSettings.BGPPeeringAddresses = append(props.BGPSettings.BGPPeeringAddresses, armBGPPeeringAddrs{
			IPConfigurationID:     cfgID,
			DefaultBGPIPAddresses: []string{def},
			CustomBGPIPAddresses:  custom,
			TunnelIPAddresses:     []string{ip},
		})
	}
	props.BGPSettings.BGPPeeringAddress = defaults
	return armGatewayJSON{
		Name:       g.Name,
		ID:         armID(g.Subscription, g.ResourceGroup, "virtualNetworkGateways", g.Name),
		Etag:       etag(key),
		Type:       "Microsoft.Network/virtualNetworkGateways",
		Location:   g.Location,
		Properties: props,
	}
}

// connectionJSON renders a connection; withState=false gives the list
// shape, which carries no runtime state (no status, bytes 0) in real ARM.
// gw may be nil when the connection names a gateway the world lacks.
func connectionJSON(c ARMConnection, gw *ARMGateway, withState bool, established time.Time) armConnectionJSON {
	key := armKey(c.Subscription, c.ResourceGroup, c.Name)
	location := defaultLocation
	if gw != nil {
		g := withGatewayDefaults(*gw)
		gw, location = &g, g.Location
	}
	protocol, mode, dpd := c.Protocol, c.ConnectionMode, c.DPDTimeoutSeconds
	if protocol == "" {
		protocol = "IKEv2"
	}
	if mode == "" {
		mode = "Default"
	}
	if dpd == 0 {
		dpd = defaultDPDSeconds
	}
	props := armConnectionProps{
		ProvisioningState:              "Succeeded",
		ResourceGUID:                   stableGUID(key),
		VirtualNetworkGateway1:         armRef{armID(c.Subscription, c.ResourceGroup, "virtualNetworkGateways", c.Gateway)},
		LocalNetworkGateway2:           armRef{armID(c.Subscription, c.ResourceGroup, "localNetworkGateways", c.LocalNetworkGateway)},
		ConnectionType:                 "IPsec",
		ConnectionProtocol:             protocol,
		AuthenticationType:             "PSK",
		DPDTimeoutSeconds:              dpd,
		ConnectionMode:                 mode,
		EnableBGP:                      c.EnableBGP,
		UsePolicyBasedTrafficSelectors: c.UsePolicyBasedTrafficSelectors,
		IPsecPolicies:                  []ARMIPsecPolicy{},
		TrafficSelectorPolicies:        []struct{}{},
		IngressNATRules:                []struct{}{},
		EgressNATRules:                 []struct{}{},
		GatewayCustomBGPIPAddresses:    []armCustomBGPAddr{},
	}
	if c.IPsecPolicy != nil {
		props.IPsecPolicies = append(props.IPsecPolicies, *c.IPsecPolicy)
	}
	for i, a := range c.CustomBGPAddresses {
		cfg := ""
		if gw != nil {
			// Each custom address belongs to one gateway instance; extra
			// addresses fall back to the first instance.
			n := i
			if n >= len(gw.PublicIPs) {
				n = 0
			}
			cfg = ipConfigID(*gw, n)
		}
		props.GatewayCustomBGPIPAddresses = append(props.GatewayCustomBGPIPAddresses, armCustomBGPAddr{IPConfigurationID: cfg, CustomBGPIPAddress: a})
	}
	if withState {
		status := c.Status
		if status == "" {
			status = "Unknown"
		}
		props.ConnectionStatus = status
		props.IngressBytesTransferred = c.IngressBytes
		props.EgressBytesTransferred = c.EgressBytes
		if gw != nil && len(gw.PublicIPs) > 0 {
			th := armTunnelHealth{
				Tunnel:                  c.Name + "_" + gw.PublicIPs[0],
				ConnectionStatus:        status,
				IngressBytesTransferred: c.IngressBytes,
				EgressBytesTransferred:  c.EgressBytes,
			}
			if status == "Connected" {
				th.LastConnectionEstablishedUTCTime = established.UTC().Format("01/02/2006 15:04:05")
			}
			props.TunnelConnectionStatus = []armTunnelHealth{th}
		}
	}
	return armConnectionJSON{
		Name:       c.Name,
		ID:         armID(c.Subscription, c.ResourceGroup, "connections", c.Name),
		Etag:       etag(key),
		Type:       "Microsoft.Network/connections",
		Location:   location,
		Properties: props,
	}
}

func lngJSON(l ARMLNG, location string) armLNGJSON {
	key := armKey(l.Subscription, l.ResourceGroup, l.Name)
	prefixes := l.AddressPrefixes
	if prefixes == nil {
		prefixes = []string{}
	}
	props := armLNGProps{
		ProvisioningState:        "Succeeded",
		ResourceGUID:             stableGUID(key),
		GatewayIPAddress:         l.GatewayIP,
		LocalNetworkAddressSpace: armAddressSpace{AddressPrefixes: prefixes},
	}
	if l.BGPPeerAddress != "" {
		props.BGPSettings = &armLNGBGP{ASN: l.ASN, BGPPeeringAddress: l.BGPPeerAddress}
	}
	return armLNGJSON{
		Name:       l.Name,
		ID:         armID(l.Subscription, l.ResourceGroup, "localNetworkGateways", l.Name),
		Etag:       etag(key),
		Type:       "Microsoft.Network/localNetworkGateways",
		Location:   location,
		Properties: props,
	}
}

func bgpPeerJSON(p ARMBGPPeer) armBGPPeerJSON {
	out := armBGPPeerJSON{
		LocalAddress:   p.LocalAddress,
		Neighbor:       p.Neighbor,
		ASN:            p.ASN,
		State:          p.State,
		RoutesReceived: p.RoutesReceived,
	}
	if p.State == "Connected" {
		// .NET TimeSpan text, as ARM sends it; null when not connected.
		d := "3.03:14:13.1796961"
		out.ConnectedDuration = &d
		out.MessagesSent, out.MessagesReceived = 4631, 4627
	}
	return out
}

func publicIPJSON(g ARMGateway, i int) armPublicIPJSON {
	g = withGatewayDefaults(g)
	name := publicIPName(g.Name, i)
	key := armKey(g.Subscription, g.ResourceGroup, name)
	return armPublicIPJSON{
		Name:     name,
		ID:       armID(g.Subscription, g.ResourceGroup, "publicIPAddresses", name),
		Etag:     etag(key),
		Type:     "Microsoft.Network/publicIPAddresses",
		Location: g.Location,
		SKU:      armPIPSKU{Name: "Standard", Tier: "Regional"},
		Properties: armPublicIPProps{
			ProvisioningState:        "Succeeded",
			ResourceGUID:             stableGUID(key),
			IPAddress:                g.PublicIPs[i],
			PublicIPAddressVersion:   "IPv4",
			PublicIPAllocationMethod: "Static",
			IdleTimeoutInMinutes:     4,
			IPConfiguration:          armRef{ipConfigID(g, i)},
		},
	}
}
