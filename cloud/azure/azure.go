// Package azure reads Azure VPN gateways, their connections, local network
// gateways and BGP peers through armnetwork and turns them into vpn
// observations. It only reads: GETs, plus the getBgpPeerStatus action, which
// is a POST that changes nothing.
package azure

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/doorbot/doorbot/vpn"
)

// Options tune the adapter.
type Options struct {
	// CallTimeout bounds one ARM read including its retries.
	CallTimeout time.Duration
	// ClientOptions carry the cloud (public, china, usgov or a custom ARM
	// endpoint) and, in tests and the demo, a transport that trusts the
	// simulator's certificate.
	ClientOptions arm.ClientOptions
	// PollFrequency for the getBgpPeerStatus long-running operation.
	PollFrequency time.Duration
	// Gate, when set, admits every request and is told of every 429.
	Gate Gate
	// Logs configure the Log Analytics client that reads the gateway's
	// diagnostic logs (see LogsClientOptionsFor); zero means public cloud.
	Logs azlogs.ClientOptions
}

// Client reads one or more subscriptions.
type Client struct {
	cred azcore.TokenCredential
	opts Options

	mu   sync.Mutex
	subs map[string]*clients
	logs *azlogs.Client
}

type clients struct {
	gateways    *armnetwork.VirtualNetworkGatewaysClient
	connections *armnetwork.VirtualNetworkGatewayConnectionsClient
	lngs        *armnetwork.LocalNetworkGatewaysClient
	arm         *arm.Client // azcore's pipeline, for the trimmed connection GET
}

// New builds an adapter. cred is normally azidentity's
// DefaultAzureCredential.
func New(cred azcore.TokenCredential, opts Options) *Client {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 8 * time.Second
	}
	if opts.PollFrequency <= 0 {
		opts.PollFrequency = time.Second
	}
	// Retries must fit the call deadline: a Retry-After beyond
	// MaxRetryDelay is not waited for, so throttling is reported at once.
	o := &opts.ClientOptions.ClientOptions
	if o.Retry.MaxRetries == 0 {
		o.Retry.MaxRetries = 2
	}
	if o.Retry.RetryDelay == 0 {
		o.Retry.RetryDelay = 200 * time.Millisecond
	}
	if o.Retry.MaxRetryDelay == 0 {
		o.Retry.MaxRetryDelay = opts.CallTimeout / 4
	}
	// Logging of bodies stays off; azcore never logs them unless asked.
	opts.ClientOptions.DisableRPRegistration = true // registration would be a write
	if opts.Gate != nil {
		// Per retry, so that a retry after a 429 is admitted like any read.
		o.PerRetryPolicies = append(append([]policy.Policy(nil), o.PerRetryPolicies...), gatePolicy{opts.Gate})
	}
	return &Client{cred: cred, opts: opts, subs: map[string]*clients{}}
}

func (c *Client) forSub(sub string) (*clients, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.subs[sub]; ok {
		return cl, nil
	}
	gw, err := armnetwork.NewVirtualNetworkGatewaysClient(sub, c.cred, &c.opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	cn, err := armnetwork.NewVirtualNetworkGatewayConnectionsClient(sub, c.cred, &c.opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	lng, err := armnetwork.NewLocalNetworkGatewaysClient(sub, c.cred, &c.opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	ac, err := arm.NewClient("doorbot/cloud/azure", "v1.0.0", c.cred, &c.opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	cl := &clients{gateways: gw, connections: cn, lngs: lng, arm: ac}
	c.subs[sub] = cl
	return cl, nil
}

// Gateway reads a virtual network gateway.
func (c *Client) Gateway(ctx context.Context, sub, rg, name string) (vpn.AzureGateway, error) {
	fail := func(err error) (vpn.AzureGateway, error) {
		return vpn.AzureGateway{}, c.wrap(ctx, "get gateway", "virtual network gateway", name, rg, "Microsoft.Network/virtualNetworkGateways/read", err)
	}
	cl, err := c.forSub(sub)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := cl.gateways.Get(ctx, rg, name, nil)
	if err != nil {
		return fail(err)
	}
	return convertGateway(name, resp.VirtualNetworkGateway), nil
}

func convertGateway(name string, g armnetwork.VirtualNetworkGateway) vpn.AzureGateway {
	out := vpn.AzureGateway{Name: name}
	if g.Name != nil {
		out.Name = *g.Name
	}
	p := g.Properties
	if p == nil {
		return out
	}
	out.ActiveActive = deref(p.Active)
	out.EnableBGP = deref(p.EnableBgp)
	if p.VPNType != nil {
		out.VPNType = string(*p.VPNType)
	}
	if p.SKU != nil && p.SKU.Name != nil {
		out.SKU = string(*p.SKU.Name)
	}
	out.PublicIPCount = 0
	for _, ipc := range p.IPConfigurations {
		if ipc != nil && ipc.Properties != nil && ipc.Properties.PublicIPAddress != nil {
			out.PublicIPCount++
		}
	}
	if b := p.BgpSettings; b != nil {
		out.ASN = deref(b.Asn)
		for _, pa := range b.BgpPeeringAddresses {
			if pa == nil {
				continue
			}
			for _, a := range pa.CustomBgpIPAddresses {
				if a != nil && *a != "" {
					out.CustomAPIPA = append(out.CustomAPIPA, *a)
				}
			}
			for _, a := range pa.TunnelIPAddresses {
				if a != nil && *a != "" {
					out.TunnelIPs = append(out.TunnelIPs, *a)
				}
			}
		}
	}
	return out
}

// ConnectionRead is a connection as read, with the ID of its local network
// gateway (ARM returns only the ID) still to be resolved.
type ConnectionRead struct {
	Connection            vpn.AzureConnection
	LocalNetworkGatewayID string
}

// Connection reads one gateway connection by GET: list responses carry no
// connection status or byte counters.
func (c *Client) Connection(ctx context.Context, sub, rg, name string) (ConnectionRead, error) {
	fail := func(err error) (ConnectionRead, error) {
		return ConnectionRead{}, c.wrap(ctx, "get connection", "connection", name, rg, "Microsoft.Network/connections/read", err)
	}
	cl, err := c.forSub(sub)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	cn, err := cl.getConnection(ctx, sub, rg, name)
	if err != nil {
		return fail(err)
	}
	return convertConnection(name, cn), nil
}

// convertConnection never reads SharedKey.
func convertConnection(name string, cn armnetwork.VirtualNetworkGatewayConnection) ConnectionRead {
	out := ConnectionRead{Connection: vpn.AzureConnection{Name: name, Found: true}}
	if cn.Name != nil {
		out.Connection.Name = *cn.Name
	}
	p := cn.Properties
	if p == nil {
		return out
	}
	a := &out.Connection
	if p.ConnectionStatus != nil {
		a.Status = string(*p.ConnectionStatus)
	}
	a.IngressBytes = deref(p.IngressBytesTransferred)
	a.EgressBytes = deref(p.EgressBytesTransferred)
	a.EnableBGP = deref(p.EnableBgp)
	a.UsePolicyBasedTrafficSelectors = deref(p.UsePolicyBasedTrafficSelectors)
	if p.ConnectionProtocol != nil {
		a.Protocol = string(*p.ConnectionProtocol)
	}
	if p.ConnectionMode != nil {
		a.ConnectionMode = string(*p.ConnectionMode)
	}
	a.DPDTimeoutSeconds = int(deref(p.DpdTimeoutSeconds))
	for _, pol := range p.IPSecPolicies {
		if pol == nil {
			continue
		}
		a.IPsecPolicy = &vpn.IPsecPolicy{
			IKEEncryption: enumText(pol.IkeEncryption), IKEIntegrity: enumText(pol.IkeIntegrity), DHGroup: enumText(pol.DhGroup),
			IPsecEncryption: enumText(pol.IPSecEncryption), IPsecIntegrity: enumText(pol.IPSecIntegrity), PFSGroup: enumText(pol.PfsGroup),
		}
		if pol.SaLifeTimeSeconds != nil {
			life := int(*pol.SaLifeTimeSeconds)
			a.IPsecPolicy.SALifetimeSeconds = &life
		}
		break // Azure allows exactly one policy per connection
	}
	for _, b := range p.GatewayCustomBgpIPAddresses {
		if b != nil && b.CustomBgpIPAddress != nil {
			a.CustomBGPAddresses = append(a.CustomBGPAddresses, *b.CustomBgpIPAddress)
		}
	}
	if p.LocalNetworkGateway2 != nil && p.LocalNetworkGateway2.ID != nil {
		out.LocalNetworkGatewayID = *p.LocalNetworkGateway2.ID
	}
	return out
}

// LocalNetworkGateways lists a resource group's local network gateways,
// keyed by lower-cased resource ID. Listing them alongside the connection
// GETs avoids one dependent GET per connection.
func (c *Client) LocalNetworkGateways(ctx context.Context, sub, rg string) (map[string]vpn.LocalNetworkGateway, error) {
	fail := func(err error) (map[string]vpn.LocalNetworkGateway, error) {
		return nil, c.wrap(ctx, "list local network gateways", "resource group", rg, rg, "Microsoft.Network/localNetworkGateways/read", err)
	}
	cl, err := c.forSub(sub)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	out := map[string]vpn.LocalNetworkGateway{}
	pager := cl.lngs.NewListPager(rg, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return fail(err)
		}
		for _, l := range page.Value {
			if l == nil || l.ID == nil {
				continue
			}
			out[strings.ToLower(*l.ID)] = convertLNG(*l)
		}
	}
	return out, nil
}

// LocalNetworkGateway reads one local network gateway by resource ID; used
// only when it lives outside the connection's resource group.
func (c *Client) LocalNetworkGateway(ctx context.Context, id string) (vpn.LocalNetworkGateway, error) {
	sub, rg, name, ok := parseID(id)
	fail := func(err error) (vpn.LocalNetworkGateway, error) {
		return vpn.LocalNetworkGateway{}, c.wrap(ctx, "get local network gateway", "local network gateway", name, rg, "Microsoft.Network/localNetworkGateways/read", err)
	}
	if !ok {
		return fail(fmt.Errorf("malformed resource ID %q", id))
	}
	cl, err := c.forSub(sub)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	resp, err := cl.lngs.Get(ctx, rg, name, nil)
	if err != nil {
		return fail(err)
	}
	return convertLNG(resp.LocalNetworkGateway), nil
}

func convertLNG(l armnetwork.LocalNetworkGateway) vpn.LocalNetworkGateway {
	out := vpn.LocalNetworkGateway{Name: deref(l.Name)}
	p := l.Properties
	if p == nil {
		return out
	}
	out.GatewayIP = deref(p.GatewayIPAddress)
	if p.LocalNetworkAddressSpace != nil {
		for _, s := range p.LocalNetworkAddressSpace.AddressPrefixes {
			if s != nil {
				out.AddressPrefixes = append(out.AddressPrefixes, *s)
			}
		}
	}
	if p.BgpSettings != nil {
		out.BGPPeerAddress = deref(p.BgpSettings.BgpPeeringAddress)
		out.ASN = deref(p.BgpSettings.Asn)
	}
	return out
}

// BGPPeers reads the gateway's BGP peer status. It needs
// Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action, which
// Reader does not grant.
func (c *Client) BGPPeers(ctx context.Context, sub, rg, gateway string) ([]vpn.BGPPeer, error) {
	resp, err := gatewayRead(ctx, c, sub, rg, gateway, "get BGP peer status", "Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action",
		func(ctx context.Context, gw *armnetwork.VirtualNetworkGatewaysClient) (*runtime.Poller[armnetwork.VirtualNetworkGatewaysClientGetBgpPeerStatusResponse], error) {
			return gw.BeginGetBgpPeerStatus(ctx, rg, gateway, nil)
		})
	if err != nil {
		return nil, err
	}
	var out []vpn.BGPPeer
	for _, p := range resp.Value {
		if p == nil {
			continue
		}
		peer := vpn.BGPPeer{
			LocalAddress:   deref(p.LocalAddress),
			Neighbor:       deref(p.Neighbor),
			ASN:            deref(p.Asn),
			RoutesReceived: deref(p.RoutesReceived),
		}
		if p.State != nil {
			peer.State = string(*p.State)
		}
		out = append(out, peer)
	}
	return out, nil
}

// gatewayRead runs one of the gateway's long-running POST reads
// (getBgpPeerStatus, getLearnedRoutes) to its end under the call deadline.
func gatewayRead[T any](ctx context.Context, c *Client, sub, rg, gateway, op, action string,
	begin func(context.Context, *armnetwork.VirtualNetworkGatewaysClient) (*runtime.Poller[T], error)) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	fail := func(err error) (T, error) {
		return zero, c.wrap(ctx, op, "virtual network gateway", gateway, rg, action, err)
	}
	cl, err := c.forSub(sub)
	if err != nil {
		return fail(err)
	}
	poller, err := begin(ctx, cl.gateways)
	if err != nil {
		return fail(err)
	}
	resp, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: c.opts.PollFrequency})
	if err != nil {
		return fail(err)
	}
	return resp, nil
}

var idPattern = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/localNetworkGateways/([^/]+)$`)

func parseID(id string) (sub, rg, name string, ok bool) {
	m := idPattern.FindStringSubmatch(id)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Error is a failed ARM read with what the user should check.
type Error struct {
	Op            string
	Kind, Name    string // resource kind and name, for not-found messages
	ResourceGroup string
	Action        string // the RBAC action the read needs
	Err           error
	timeout       time.Duration
	ctxErr        error
}

func (c *Client) wrap(ctx context.Context, op, kind, name, rg, action string, err error) error {
	return &Error{Op: op, Kind: kind, Name: name, ResourceGroup: rg, Action: action, Err: err, timeout: c.opts.CallTimeout, ctxErr: ctx.Err()}
}

func (e *Error) Error() string { return fmt.Sprintf("azure: %s %s: %v", e.Op, e.Name, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// StatusCode is the HTTP status ARM answered with, 0 when none.
func (e *Error) StatusCode() int {
	var re *azcore.ResponseError
	if errors.As(e.Err, &re) {
		return re.StatusCode
	}
	return 0
}

// Class names the kind of failure for metrics: throttled, denied, auth,
// not_found, timeout or error.
func (e *Error) Class() string {
	var te *ThrottledError
	if errors.As(e.Err, &te) {
		return "throttled"
	}
	switch e.StatusCode() {
	case http.StatusTooManyRequests:
		return "throttled"
	case http.StatusForbidden:
		return "denied"
	case http.StatusUnauthorized:
		return "auth"
	case http.StatusNotFound:
		return "not_found"
	}
	var authErr *azidentity.AuthenticationFailedError
	switch {
	case errors.Is(e.ctxErr, context.DeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(e.Err, &authErr):
		return "auth"
	}
	return "error"
}

var actionPattern = regexp.MustCompile(`perform action '([^']+)'`)

// Hint says in one line what failed and what to check.
func (e *Error) Hint() string {
	var te *ThrottledError
	if errors.As(e.Err, &te) {
		return fmt.Sprintf("Azure Resource Manager is throttling reads of subscription %s: %s %s was not read; it may be asked again after %s UTC",
			te.Subscription, e.Op, e.Name, te.Until.UTC().Format(time.TimeOnly))
	}
	var re *azcore.ResponseError
	if errors.As(e.Err, &re) {
		switch re.StatusCode {
		case http.StatusTooManyRequests:
			return fmt.Sprintf("Azure Resource Manager is throttling reads (%s): %s %s was not read; retry in a minute, and look for other tools reading this subscription", orCode(re.ErrorCode, "429"), e.Op, e.Name)
		case http.StatusUnauthorized:
			return fmt.Sprintf("Azure rejected doorbot's token (%s); sign in again or check the identity's tenant", orCode(re.ErrorCode, "401"))
		case http.StatusForbidden:
			action := e.Action
			if m := actionPattern.FindStringSubmatch(re.Error()); m != nil {
				action = m[1]
			}
			return fmt.Sprintf("permission denied for %s %s: grant %s to doorbot's identity (see the custom role in the README)", e.Op, e.Name, action)
		case http.StatusNotFound:
			return fmt.Sprintf("%s %q not found in resource group %q; check the name in the config and azure.subscription_id", e.Kind, e.Name, e.ResourceGroup)
		default:
			return fmt.Sprintf("Azure %s %s failed with HTTP %d (%s)", e.Op, e.Name, re.StatusCode, orCode(re.ErrorCode, "no code"))
		}
	}
	var authErr *azidentity.AuthenticationFailedError
	msg := e.Err.Error()
	switch {
	case errors.Is(e.ctxErr, context.DeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("Azure Resource Manager did not answer within %s; check network access to the endpoint", e.timeout)
	case errors.Is(e.Err, context.Canceled):
		return "Azure reads were cancelled: the status deadline passed"
	case errors.As(e.Err, &authErr):
		return "Azure credentials were rejected by Microsoft Entra ID; check the client secret, certificate or managed identity and that it is not expired"
	case strings.Contains(msg, "DefaultAzureCredential") || strings.Contains(msg, "AZURE_TOKEN_CREDENTIALS") || strings.Contains(msg, "failed to acquire a token"):
		return "no usable Azure credentials: set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, use a managed or workload identity, or run `az login`"
	case strings.Contains(msg, "non-TLS"):
		return "azure.resource_manager_endpoint must be https"
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(e.Err, &certErr) {
		return "the Resource Manager endpoint's TLS certificate is not trusted; check azure.resource_manager_endpoint and the system CA bundle"
	}
	var netErr net.Error
	if errors.As(e.Err, &netErr) {
		return fmt.Sprintf("Azure %s %s failed: cannot reach the Resource Manager endpoint; check network access", e.Op, e.Name)
	}
	// ARM never returns shared keys on these reads, so the SDK's own text
	// is safe to show; keep it to one line.
	msg = strings.TrimSpace(msg)
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("Azure %s %s failed: %s", e.Op, e.Name, msg)
}

func orCode(code, fallback string) string {
	if code == "" {
		return fallback
	}
	return code
}

// ClientOptionsFor builds client options for a named cloud or a custom ARM
// endpoint (Azure Stack Hub, tests). A nil transport means NewHTTPClient
// with the system roots.
func ClientOptionsFor(cloudName, endpoint string, transport policy.Transporter) (arm.ClientOptions, error) {
	var opts arm.ClientOptions
	cfg, err := cloudConfig(cloudName, endpoint)
	if err != nil {
		return opts, err
	}
	opts.Cloud = cfg
	if transport == nil {
		transport = NewHTTPClient(nil)
	}
	opts.Transport = transport
	return opts, nil
}

// enumText reads an ARM enum pointer as its text, "" when absent.
func enumText[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
