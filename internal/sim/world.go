// Package sim simulates the AWS EC2, Azure Resource Manager and SORACOM API
// endpoints doorbot reads, speaking their real wire formats (EC2 Query XML,
// ARM JSON over TLS, SORACOM JSON) so that the real aws-sdk-go-v2 and
// armnetwork clients and doorbot's SORACOM client run end to end against it
// in `doorbot demo`, `doorbot console --demo` and in tests.
//
// The simulation is read-only: requests that would change cloud state are
// recorded (so tests can prove doorbot never sends one) and refused.
package sim

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Cloud names accepted by SetFault, AddFault and SetLatency (and
// CloudSoracom), and recorded
// in Request.Cloud: the log services are endpoints of their own, as in the
// real clouds.
const (
	CloudAWS       = "aws"
	CloudAzure     = "azure"
	CloudAWSLogs   = "aws-logs"   // CloudWatch Logs
	CloudAzureLogs = "azure-logs" // Log Analytics query API
)

// World is the simulated state of both clouds. It is safe for concurrent
// use: handlers read copies taken under its mutex, so tests may flip states
// while a server is answering.
type World struct {
	mu sync.Mutex

	// created stands in for "when the resources came up" wherever the wire
	// format needs a timestamp the caller did not give.
	created time.Time

	vpns     ordered[EC2VPN]
	cgws     ordered[EC2CustomerGateway]
	gateways ordered[ARMGateway]
	conns    ordered[ARMConnection]
	lngs     ordered[ARMLNG]
	peers    map[string][]ARMBGPPeer
	soracom  soracomState

	logGroups   map[string][]logStream        // by log group ARN
	diagnostics map[string][]DiagnosticRecord // by gateway; absent: diagnostics off
	routes      map[string][]ARMRoute         // learned routes by gateway

	faults   map[string][]Fault
	latency  map[string]time.Duration
	bgpAsync bool

	// clock stamps the state changes the world is told of (AWS
	// LastStatusChange); nil is time.Now. A demo on a fake clock sets it
	// so that the clouds and doorbot agree on when a tunnel went down.
	clock func() time.Time

	budget  ARMBudget
	buckets map[string]*bucket // by lower-cased subscription
}

// EC2VPN is one AWS Site-to-Site VPN connection.
type EC2VPN struct {
	Region, ID, State, CustomerGatewayID, VPNGatewayID string // State default "available"
	StaticRoutesOnly                                   bool
	// Routes are static routes (destinationCidrBlock), reported with source
	// Static and state available.
	Routes []string
	// CustomerGatewayConfiguration is the raw device configuration XML,
	// which holds the pre-shared keys in clear like the real one. It is sent
	// XML-escaped, as AWS does.
	CustomerGatewayConfiguration string
	Tunnels                      []EC2Tunnel
}

// EC2Tunnel is one tunnel: its telemetry and its options. Zero or empty
// option fields are omitted from tunnelOptionSet, as AWS omits defaults.
type EC2Tunnel struct {
	OutsideIP, Status, StatusMessage string // Status "UP"/"DOWN"; "" omits it
	// LastStatusChange defaults to the time the VPN was added.
	LastStatusChange   time.Time
	AcceptedRouteCount int
	InsideCIDR         string
	PreSharedKey       string

	IKEVersions, Phase1Encryption, Phase1Integrity, Phase2Encryption, Phase2Integrity []string
	Phase1DHGroups, Phase2DHGroups                                                    []int
	Phase1LifetimeSeconds, Phase2LifetimeSeconds, DPDTimeoutSeconds                   int
	DPDTimeoutAction, StartupAction                                                   string

	// LogGroupARN and BGPLogGroupARN, when set, turn the tunnel's logging to
	// CloudWatch Logs on (LogOptions.CloudWatchLogOptions); events go in
	// with World.AddLogEvents.
	LogGroupARN, BGPLogGroupARN string
	// Maintenance is what GetVpnTunnelReplacementStatus reports.
	Maintenance EC2Maintenance
}

// EC2Maintenance is a tunnel endpoint's maintenance details.
type EC2Maintenance struct {
	Pending                       string
	AutoAppliedAfter, LastApplied time.Time
}

// EC2CustomerGateway is one AWS customer gateway (the Azure side's public
// IP as AWS knows it).
type EC2CustomerGateway struct {
	Region, ID, State, IPAddress string // State default "available"
	BGPASN                       int64
}

// ARMGateway is one Azure virtual network gateway.
type ARMGateway struct {
	Subscription, ResourceGroup, Name, Location, SKU, VPNType string // VPNType RouteBased|PolicyBased
	ActiveActive, EnableBGP                                   bool
	// ASN is bgpSettings.asn (default 65515). bgpSettings is present even
	// with BGP off, as in ARM.
	ASN int64
	// PublicIPs has one address per gateway instance; the gateway gets one
	// IP configuration per address ("default", then "activeActive").
	PublicIPs []string
	// CustomAPIPA lists, per instance, its custom BGP (APIPA) addresses.
	CustomAPIPA [][]string
	// VirtualNetwork and GatewaySubnet place the gateway for the IDs and
	// default BGP addresses ARM reports (defaults "vnet-hub", 10.1.255.0/27).
	VirtualNetwork, GatewaySubnet string
}

// ARMConnection is one Azure virtual network gateway connection.
type ARMConnection struct {
	// Gateway and LocalNetworkGateway are names in the same subscription and
	// resource group; they are emitted as full resource IDs.
	Subscription, ResourceGroup, Name, Gateway, LocalNetworkGateway string
	Status                                                          string // connectionStatus; "" reads as Unknown
	IngressBytes, EgressBytes                                       int64
	EnableBGP, UsePolicyBasedTrafficSelectors                       bool
	Protocol, ConnectionMode                                        string // default IKEv2 / Default
	DPDTimeoutSeconds                                               int    // default 45
	// SharedKey is never sent in any response: ARM does not return it on
	// GET or list, and doorbot must never need it.
	SharedKey          string
	CustomBGPAddresses []string
	// IPsecPolicy is the connection's custom IPsec/IKE policy, nil for
	// Azure's default proposals.
	IPsecPolicy *ARMIPsecPolicy
}

// ARMIPsecPolicy is a custom IPsec/IKE policy in ARM's names.
type ARMIPsecPolicy struct {
	SALifeTimeSeconds   int    `json:"saLifeTimeSeconds"`
	SADataSizeKilobytes int    `json:"saDataSizeKilobytes"`
	IPsecEncryption     string `json:"ipsecEncryption"`
	IPsecIntegrity      string `json:"ipsecIntegrity"`
	IKEEncryption       string `json:"ikeEncryption"`
	IKEIntegrity        string `json:"ikeIntegrity"`
	DHGroup             string `json:"dhGroup"`
	PFSGroup            string `json:"pfsGroup"`
}

// ARMLNG is one Azure local network gateway (the AWS tunnel endpoint).
type ARMLNG struct {
	Subscription, ResourceGroup, Name, GatewayIP string
	AddressPrefixes                              []string
	BGPPeerAddress                               string // bgpSettings are sent only when set
	ASN                                          int64
}

// ARMBGPPeer is one row of a gateway's BGP peer status.
type ARMBGPPeer struct {
	LocalAddress, Neighbor, State string
	ASN, RoutesReceived           int64
}

// NewWorld returns an empty world.
func NewWorld() *World {
	return &World{
		created:  time.Now().UTC().Truncate(time.Second),
		vpns:     newOrdered[EC2VPN](),
		cgws:     newOrdered[EC2CustomerGateway](),
		gateways: newOrdered[ARMGateway](),
		conns:    newOrdered[ARMConnection](),
		lngs:     newOrdered[ARMLNG](),
		peers:    map[string][]ARMBGPPeer{},
		soracom:  newSoracomState(),
		faults:   map[string][]Fault{},
		latency:  map[string]time.Duration{},
	}
}

// ec2Key's group (see ordered) is the region.
func ec2Key(region, id string) string { return region + "/" + id }

// armKey folds case because ARM resource names and path segments are
// case-insensitive. Its group (see ordered) is armRG(sub, rg).
func armKey(sub, rg, name string) string {
	return armRG(sub, rg) + "/" + strings.ToLower(name)
}

func armRG(sub, rg string) string { return strings.ToLower(sub + "/" + rg) }

// AddVPN adds or replaces an EC2 VPN connection, keyed by Region and ID.
func (w *World) AddVPN(v EC2VPN) {
	v = cloneVPN(v)
	if v.State == "" {
		v.State = "available"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range v.Tunnels {
		if v.Tunnels[i].LastStatusChange.IsZero() {
			v.Tunnels[i].LastStatusChange = w.created
		}
	}
	w.vpns.put(ec2Key(v.Region, v.ID), v)
}

// RemoveVPN deletes an EC2 VPN connection, as if it had been deleted in AWS.
func (w *World) RemoveVPN(region, id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.vpns.remove(ec2Key(region, id))
}

// AddCustomerGateway adds or replaces an EC2 customer gateway.
func (w *World) AddCustomerGateway(c EC2CustomerGateway) {
	if c.State == "" {
		c.State = "available"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cgws.put(ec2Key(c.Region, c.ID), c)
}

// AddGateway adds or replaces a virtual network gateway.
func (w *World) AddGateway(g ARMGateway) {
	g.PublicIPs = slices.Clone(g.PublicIPs)
	apipa := make([][]string, len(g.CustomAPIPA))
	for i, a := range g.CustomAPIPA {
		apipa[i] = slices.Clone(a)
	}
	g.CustomAPIPA = apipa
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gateways.put(armKey(g.Subscription, g.ResourceGroup, g.Name), g)
}

// AddConnection adds or replaces a gateway connection.
func (w *World) AddConnection(c ARMConnection) {
	c.CustomBGPAddresses = slices.Clone(c.CustomBGPAddresses)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns.put(armKey(c.Subscription, c.ResourceGroup, c.Name), c)
}

// RemoveConnection deletes a gateway connection, as if deleted in Azure.
func (w *World) RemoveConnection(sub, rg, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns.remove(armKey(sub, rg, name))
}

// AddLocalNetworkGateway adds or replaces a local network gateway.
func (w *World) AddLocalNetworkGateway(l ARMLNG) {
	l.AddressPrefixes = slices.Clone(l.AddressPrefixes)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lngs.put(armKey(l.Subscription, l.ResourceGroup, l.Name), l)
}

// SetBGPPeers replaces the BGP peer status rows of a gateway.
func (w *World) SetBGPPeers(sub, rg, gateway string, peers []ARMBGPPeer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peers[armKey(sub, rg, gateway)] = slices.Clone(peers)
}

// SetBGPPeerStatusAsync makes getBgpPeerStatus answer like a long-running
// operation (202 + Location, result fetched by polling) instead of 200, so
// that the SDK poller's path is exercised.
func (w *World) SetBGPPeerStatusAsync(async bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bgpAsync = async
}

// SetClock makes now the time of later state changes (see World.clock).
func (w *World) SetClock(now func() time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.clock = now
}

func (w *World) now() time.Time {
	if w.clock != nil {
		return w.clock()
	}
	return time.Now()
}

// SetTunnelStatus changes an AWS tunnel's telemetry. lastStatusChange moves
// to now when the status or message actually changes, as AWS's does.
// Unknown VPNs or tunnels are ignored.
func (w *World) SetTunnelStatus(region, vpnID, outsideIP, status, message string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.vpns.get(ec2Key(region, vpnID))
	if !ok {
		return
	}
	v = cloneVPN(v)
	for i := range v.Tunnels {
		t := &v.Tunnels[i]
		if t.OutsideIP != outsideIP {
			continue
		}
		if t.Status != status || t.StatusMessage != message {
			t.LastStatusChange = w.now().UTC().Truncate(time.Second)
		}
		t.Status, t.StatusMessage = status, message
	}
	w.vpns.put(ec2Key(region, vpnID), v)
}

// SetConnectionStatus changes an Azure connection's connectionStatus.
func (w *World) SetConnectionStatus(sub, rg, name, status string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := armKey(sub, rg, name)
	if c, ok := w.conns.get(k); ok {
		c.Status = status
		w.conns.put(k, c)
	}
}

// SetConnectionBytes changes an Azure connection's byte counters.
func (w *World) SetConnectionBytes(sub, rg, name string, ingress, egress int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := armKey(sub, rg, name)
	if c, ok := w.conns.get(k); ok {
		c.IngressBytes, c.EgressBytes = ingress, egress
		w.conns.put(k, c)
	}
}

// SetFault replaces every fault of a cloud ("aws" or "azure") with f; a
// zero Fault clears them.
func (w *World) SetFault(cloud string, f Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.faults, cloud)
	if !f.zero() {
		w.faults[cloud] = []Fault{f}
	}
}

// AddFault adds a fault to a cloud alongside the existing ones, so that
// several scenarios can each scope their own fault with Match. The first
// matching fault answers.
func (w *World) AddFault(cloud string, f Fault) {
	if f.zero() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults[cloud] = append(w.faults[cloud], f)
}

// RemoveFault removes the faults of a cloud scoped with match, leaving
// the other scenarios' faults in place.
func (w *World) RemoveFault(cloud, match string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fs := w.faults[cloud][:0:0]
	for _, f := range w.faults[cloud] {
		if f.Match != match {
			fs = append(fs, f)
		}
	}
	w.faults[cloud] = fs
}

// SetLatency adds d to every request of a cloud.
func (w *World) SetLatency(cloud string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.latency[cloud] = d
}

// behaviour returns what a request of cloud must suffer before it is
// answered: the latency and the first fault whose Match fits.
func (w *World) behaviour(cloud, matchOn, action string) (time.Duration, *Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.faults[cloud] {
		if f.matches(matchOn, action) {
			f := f
			return w.latency[cloud], &f
		}
	}
	return w.latency[cloud], nil
}

func cloneVPN(v EC2VPN) EC2VPN {
	v.Routes = slices.Clone(v.Routes)
	v.Tunnels = slices.Clone(v.Tunnels)
	for i := range v.Tunnels {
		t := &v.Tunnels[i]
		t.IKEVersions = slices.Clone(t.IKEVersions)
		t.Phase1Encryption = slices.Clone(t.Phase1Encryption)
		t.Phase1Integrity = slices.Clone(t.Phase1Integrity)
		t.Phase2Encryption = slices.Clone(t.Phase2Encryption)
		t.Phase2Integrity = slices.Clone(t.Phase2Integrity)
		t.Phase1DHGroups = slices.Clone(t.Phase1DHGroups)
		t.Phase2DHGroups = slices.Clone(t.Phase2DHGroups)
	}
	return v
}

// ordered is a map that remembers insertion order, so that list responses
// are stable across calls like the real APIs'. It also indexes keys by
// group, the part of the key before its last "/" (an EC2 key's region, an
// ARM key's subscription/resource group), because every ARM request asks
// whether its resource group exists and every list reads one group: a scan
// of the whole world per request would make the simulator, not doorbot,
// the cost in fleet benchmarks.
type ordered[T any] struct {
	keys   []string
	vals   map[string]T
	groups map[string][]string // keys by group, in insertion order
}

func newOrdered[T any]() ordered[T] {
	return ordered[T]{vals: map[string]T{}, groups: map[string][]string{}}
}

func keyGroup(k string) string {
	if i := strings.LastIndexByte(k, '/'); i >= 0 {
		return k[:i]
	}
	return ""
}

func (o *ordered[T]) put(k string, v T) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
		g := keyGroup(k)
		o.groups[g] = append(o.groups[g], k)
	}
	o.vals[k] = v
}

func (o *ordered[T]) get(k string) (T, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *ordered[T]) remove(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	isK := func(s string) bool { return s == k }
	o.keys = slices.DeleteFunc(o.keys, isK)
	g := keyGroup(k)
	if o.groups[g] = slices.DeleteFunc(o.groups[g], isK); len(o.groups[g]) == 0 {
		delete(o.groups, g)
	}
}

// oldest is the first key still present, "" when empty.
func (o *ordered[T]) oldest() string {
	if len(o.keys) == 0 {
		return ""
	}
	return o.keys[0]
}

func (o *ordered[T]) len() int { return len(o.keys) }

// all returns the values in insertion order. The values share slices with
// the stored ones; callers must only read them, and Add*/Set* never mutate
// a stored slice in place (they clone and replace).
func (o *ordered[T]) all() []T { return o.pick(o.keys) }

// in returns the values of one group in insertion order, shared as all's.
func (o *ordered[T]) in(group string) []T { return o.pick(o.groups[group]) }

// has reports whether the group holds anything.
func (o *ordered[T]) has(group string) bool { return len(o.groups[group]) > 0 }

func (o *ordered[T]) pick(keys []string) []T {
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, o.vals[k])
	}
	return out
}
