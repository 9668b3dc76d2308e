// Package proposal reads and writes the proposal YAML of docs/proposal.md: the
// intended end state of one connection, as typed into `doorbot validate`
// or the Slack modal.
//
// Parse only rejects what cannot be represented in a vpn.Proposal: an
// unknown key, a wrong type, an unparsable IP address or CIDR, an unknown
// enum word. Whether the values make sense (ranges, reserved values,
// compatibility between the clouds) is the rule catalog's job, which can
// explain it far better than a parse error.
package proposal

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/internal/strictyaml"
	"github.com/doorbot/doorbot/vpn"
)

// MaxSize bounds a proposal: real ones are a few kilobytes, and the limit
// keeps a pasted log or binary from costing a parse.
const MaxSize = 256 << 10

// MaxInputChars is what a Slack form's text input holds (Slack's limit for
// a plain_text_input); ParseInput refuses more, whatever path the text
// came by.
const MaxInputChars = 3000

// Counts one proposal may hold, on every path (file, form, stored
// request). A connection has two tunnels per AWS VPN connection, and a
// migration two AWS VPN connections side by side; an Azure VpnGw1–3
// gateway takes 30 site-to-site tunnels; AWS allows 100 routes per VPN
// connection. Anything past these is a mistake or an attack, and each
// extra item costs bytes in the store and a line in the approval thread.
const (
	MaxTunnels          = 8   // aws.tunnels
	MaxAzureConnections = 30  // azure.connections
	MaxLocalGateways    = 30  // azure.local_network_gateways
	MaxPrefixes         = 100 // each list of CIDRs
	MaxFilterEntries    = 100 // soracom.routing_filter
	maxListItems        = 16  // each list of algorithms, groups, versions, addresses
)

// ParseInput is Parse for text typed into a form (/door validate, /door
// change): at most MaxInputChars characters, as Slack counts them.
func ParseInput(text, source string) (vpn.Proposal, error) {
	if source == "" {
		source = "proposal"
	}
	if n := utf8.RuneCountInString(text); n > MaxInputChars {
		return vpn.Proposal{}, fmt.Errorf("%s: the proposal is %d characters; a form takes %d (use doorbot validate FILE for larger ones)", source, n, MaxInputChars)
	}
	return Parse([]byte(text), source)
}

// Error is every problem found in a proposal. Its message is the first
// problem by line plus a count of the rest, so it fits one line in a
// terminal or a Slack form; Problems has them all.
type Error struct {
	// Problems are complete one-line messages ("proposal.yaml:7: ..."),
	// ordered by line.
	Problems []string
}

func (e *Error) Error() string { return strictyaml.Summary(e.Problems, "invalid proposal") }

// Parse decodes a proposal. source names the input in messages
// ("proposal.yaml:12: aws.tunnels[0].inside_cidr ...").
//
// Every value stated in the file gets p.Origins[path] = vpn.OriginProposal,
// keyed by its snake_case path with 0-based indexes
// ("aws.tunnels[1].inside_cidr"); a list of scalars is one value, keyed by
// the list's path. Containers (aws, a tunnel entry, phase1) have no entry
// of their own. An empty string counts as not stated, as in the example's
// `vpg_subnet: ""`.
//
// Pre-shared keys (psk, shared_key) are never part of any message, nor is
// any other value found under a key that names a credential.
func Parse(data []byte, source string) (vpn.Proposal, error) {
	if source == "" {
		source = "proposal"
	}
	if len(data) > MaxSize {
		return vpn.Proposal{}, fmt.Errorf("%s: proposal too large (%d bytes; the limit is %d KiB)", source, len(data), MaxSize>>10)
	}
	var out vpn.Proposal
	err := strictyaml.Guard(source, func() error {
		doc := strictyaml.Document{Source: source, What: "proposal", TopKeys: "connection:, routing:, aws:, azure:, soracom:"}
		root, err := doc.Parse(data)
		if err != nil {
			return err
		}
		d := &decoder{Decoder: strictyaml.NewDecoder(source)}
		d.MaxSteps = maxSteps(len(data))
		d.RedactSecrets(root)
		d.p.Origins = map[string]vpn.Origin{}
		d.top(root)
		if ps := d.Lines(); ps != nil {
			return &Error{Problems: ps}
		}
		out = d.p
		return nil
	})
	if err != nil {
		return vpn.Proposal{}, err
	}
	return out, nil
}

// maxSteps allows a document twice its own size in keys and list
// items: enough for anchors shared between tunnels, not for an alias bomb
// that would take minutes and gigabytes to walk.
func maxSteps(size int) int { return 2*size + 4096 }

type decoder struct {
	*strictyaml.Decoder
	p vpn.Proposal
}

type field = strictyaml.Field

func (d *decoder) stated(path string) { d.p.Origins[path] = vpn.OriginProposal }

func (d *decoder) top(root *yaml.Node) {
	p := &d.p
	d.Mapping(root, "", []field{
		{Key: vpn.FieldConnection, Set: d.str(&p.Connection, checkConnection)},
		{Key: vpn.FieldRouting, Set: d.routing(&p.Routing)},
		{Key: vpn.FieldAWS, Set: d.Section(
			field{Key: vpn.FieldASN, Set: d.int64(&p.AWS.ASN)},
			field{Key: vpn.FieldCustomerASN, Set: d.int64(&p.AWS.CustomerASN)},
			field{Key: vpn.FieldStaticRoutes, Set: d.prefixes(&p.AWS.StaticRoutes)},
			field{Key: vpn.FieldLocalPrefixes, Set: d.prefixes(&p.AWS.LocalPrefixes)},
			field{Key: vpn.FieldTunnels, Set: d.tunnels},
		)},
		{Key: vpn.FieldAzure, Set: d.Section(
			field{Key: vpn.FieldVNetPrefixes, Set: d.prefixes(&p.Azure.VNetPrefixes)},
			field{Key: vpn.FieldGateway, Set: d.gateway},
			field{Key: vpn.FieldLocalNetworkGateways, Set: d.lngs},
			field{Key: vpn.FieldConnections, Set: d.connections},
		)},
		{Key: vpn.FieldSoracom, Set: d.Section(
			field{Key: vpn.FieldDeviceSubnet, Set: d.str(&p.Soracom.DeviceSubnet, checkCIDR)},
			field{Key: vpn.FieldVPGSubnet, Set: d.str(&p.Soracom.VPGSubnet, checkCIDR)},
			field{Key: vpn.FieldRoutingFilter, Set: d.routingFilter},
		)},
	})
}

func (d *decoder) tunnels(n *yaml.Node, path string) {
	d.p.AWS.Tunnels, _ = entries(d, n, path, "tunnels", MaxTunnels, "outside_ip, inside_cidr, psk, ...", func(t *vpn.ProposedTunnel) []field {
		return []field{
			{Key: vpn.FieldOutsideIP, Set: d.str(&t.OutsideIP, checkIP)},
			{Key: vpn.FieldInsideCIDR, Set: d.str(&t.InsideCIDR, checkCIDR)},
			{Key: vpn.FieldPSK, Set: d.secret(&t.PSK)},
			{Key: vpn.FieldIKEVersions, Set: d.list(&t.IKEVersions, enum("ikev1", "ikev2"))},
			{Key: vpn.FieldPhase1, Set: d.phase(&t.Phase1)},
			{Key: vpn.FieldPhase2, Set: d.phase(&t.Phase2)},
			{Key: vpn.FieldDPDTimeoutSeconds, Set: d.int(&t.DPDTimeoutSeconds)},
			{Key: vpn.FieldStartupAction, Set: d.str(&t.StartupAction, enum("add", "start"))},
		}
	})
}

// routingFilter decodes the VPG's outbound routing filter. A stated list,
// even an empty one, replaces the live filter as a whole.
func (d *decoder) routingFilter(n *yaml.Node, path string) {
	var ok bool
	d.p.Soracom.RoutingFilter, ok = entries(d, n, path, "routing filter entries", MaxFilterEntries, "action, ip_range", func(e *vpn.RoutingFilterEntry) []field {
		return []field{
			{Key: vpn.FieldAction, Set: d.str(&e.Action, enum("allow", "deny"))},
			{Key: vpn.FieldIPRange, Set: d.str(&e.IPRange, checkCIDR)},
		}
	})
	if ok {
		d.stated(path)
	}
}

func (d *decoder) phase(dst **vpn.PhaseParams) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if strictyaml.IsNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.WrongType(n, path, "a mapping (encryption, integrity, dh_groups, lifetime_seconds)")
			return
		}
		ph := &vpn.PhaseParams{}
		*dst = ph
		d.Mapping(n, path, []field{
			{Key: vpn.FieldEncryption, Set: d.list(&ph.Encryption, checkAzureName)},
			{Key: vpn.FieldIntegrity, Set: d.list(&ph.Integrity, checkAzureName)},
			{Key: vpn.FieldDHGroups, Set: d.ints(&ph.DHGroups)},
			{Key: vpn.FieldLifetimeSeconds, Set: d.int(&ph.LifetimeSeconds)},
		})
	}
}

func (d *decoder) gateway(n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.WrongType(n, path, "a mapping (sku, vpn_type, active_active, ...)")
		return
	}
	g := &vpn.ProposedGateway{}
	d.p.Azure.Gateway = g
	d.Mapping(n, path, []field{
		{Key: vpn.FieldSKU, Set: d.str(&g.SKU, checkAzureName)},
		{Key: vpn.FieldVPNType, Set: d.str(&g.VPNType, enum("RouteBased", "PolicyBased"))},
		{Key: vpn.FieldActiveActive, Set: d.bool(&g.ActiveActive)},
		{Key: vpn.FieldPublicIPs, Set: d.int(&g.PublicIPs)},
		{Key: vpn.FieldASN, Set: d.int64(&g.ASN)},
		{Key: vpn.FieldAPIPAAddresses, Set: d.list(&g.APIPAAddresses, checkIP)},
		{Key: vpn.FieldGatewaySubnet, Set: d.str(&g.GatewaySubnet, checkCIDR)},
	})
}

func (d *decoder) lngs(n *yaml.Node, path string) {
	d.p.Azure.LocalNetworkGateways, _ = entries(d, n, path, "local network gateways", MaxLocalGateways, "name, gateway_ip, address_prefixes, ...", func(l *vpn.ProposedLNG) []field {
		return []field{
			{Key: vpn.FieldName, Set: d.str(&l.Name, checkAzureName)},
			{Key: vpn.FieldGatewayIP, Set: d.str(&l.GatewayIP, checkIP)},
			{Key: vpn.FieldAddressPrefixes, Set: d.prefixes(&l.AddressPrefixes)},
			{Key: vpn.FieldBGPPeerAddress, Set: d.str(&l.BGPPeerAddress, checkIP)},
			{Key: vpn.FieldASN, Set: d.int64(&l.ASN)},
		}
	})
}

func (d *decoder) connections(n *yaml.Node, path string) {
	d.p.Azure.Connections, _ = entries(d, n, path, "connections", MaxAzureConnections, "name, local_network_gateway, protocol, ...", func(c *vpn.ProposedConnection) []field {
		return []field{
			{Key: vpn.FieldName, Set: d.str(&c.Name, checkAzureName)},
			{Key: vpn.FieldLocalNetworkGateway, Set: d.str(&c.LocalNetworkGateway, checkAzureName)},
			{Key: vpn.FieldProtocol, Set: d.str(&c.Protocol, enum("IKEv1", "IKEv2"))},
			{Key: vpn.FieldEnableBGP, Set: d.bool(&c.EnableBGP)},
			{Key: vpn.FieldUsePolicyBasedTrafficSelectors, Set: d.bool(&c.UsePolicyBasedTrafficSelectors)},
			{Key: vpn.FieldDPDTimeoutSeconds, Set: d.int(&c.DPDTimeoutSeconds)},
			{Key: vpn.FieldConnectionMode, Set: d.str(&c.ConnectionMode, enum("Default", "InitiatorOnly", "ResponderOnly"))},
			{Key: vpn.FieldSharedKey, Set: d.secret(&c.SharedKey)},
			{Key: vpn.FieldIPsecPolicy, Set: d.ipsecPolicy(&c.IPsecPolicy)},
		}
	})
}

func (d *decoder) ipsecPolicy(dst **vpn.IPsecPolicy) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if strictyaml.IsNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.WrongType(n, path, "a mapping (ike_encryption, ike_integrity, dh_group, ...)")
			return
		}
		pol := &vpn.IPsecPolicy{}
		*dst = pol
		d.Mapping(n, path, []field{
			{Key: vpn.FieldIKEEncryption, Set: d.str(&pol.IKEEncryption, checkAzureName)},
			{Key: vpn.FieldIKEIntegrity, Set: d.str(&pol.IKEIntegrity, checkAzureName)},
			{Key: vpn.FieldDHGroup, Set: d.str(&pol.DHGroup, checkAzureName)},
			{Key: vpn.FieldIPsecEncryption, Set: d.str(&pol.IPsecEncryption, checkAzureName)},
			{Key: vpn.FieldIPsecIntegrity, Set: d.str(&pol.IPsecIntegrity, checkAzureName)},
			{Key: vpn.FieldPFSGroup, Set: d.str(&pol.PFSGroup, checkAzureName)},
			{Key: vpn.FieldSALifetimeSeconds, Set: d.int(&pol.SALifetimeSeconds)},
		})
	}
}

// entries decodes a list of at most max mappings (a list of what), each
// entry's keys given by fields. A present list, even an empty one, comes
// back non-nil with ok; a bad or overlong one comes back nil.
func entries[T any](d *decoder, n *yaml.Node, path, what string, max int, keys string, fields func(*T) []field) (out []T, ok bool) {
	items, ok := d.Items(n, path, "a list of "+what)
	if !ok || !d.atMost(n, path, len(items), max, what) {
		return nil, false
	}
	out = make([]T, len(items))
	for i, it := range items {
		d.entry(it, strictyaml.Index(path, i), keys, fields(&out[i]))
	}
	return out, true
}

// entry decodes one mapping of a list. A null entry ("-" alone) is an
// error rather than an empty one: it is almost always an indentation slip.
func (d *decoder) entry(n *yaml.Node, path, keys string, fields []field) {
	if n.Kind != yaml.MappingNode {
		d.WrongType(n, path, "a mapping ("+keys+")")
		return
	}
	d.Mapping(n, path, fields)
}

// check validates and normalises one scalar, reporting its own problem.
type check func(d *decoder, n *yaml.Node, path, s string) (string, bool)

// str stores a scalar. An empty string is "not stated", like null.
func (d *decoder) str(dst *string, c check) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		s, ok := d.Scalar(n, path)
		if !ok || s == "" {
			return
		}
		if c != nil {
			if s, ok = c(d, n, path, s); !ok {
				return
			}
		}
		*dst = s
		d.stated(path)
	}
}

// secret stores a pre-shared key. Its value is already redacted by
// RedactSecrets, and Scalar never quotes a value of the wrong type.
func (d *decoder) secret(dst *vpn.Secret) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if s, ok := d.Scalar(n, path); ok && s != "" {
			*dst = vpn.Secret(s)
			d.stated(path)
		}
	}
}

func (d *decoder) routing(dst *vpn.Routing) strictyaml.Handler {
	var s string
	h := d.str(&s, enum(string(vpn.RoutingStatic), string(vpn.RoutingBGP)))
	return func(n *yaml.Node, path string) {
		h(n, path)
		*dst = vpn.Routing(s)
	}
}

// atMost reports a list longer than max (and false), once, at the list.
func (d *decoder) atMost(n *yaml.Node, path string, count, max int, what string) bool {
	if count <= max {
		return true
	}
	d.Add(n.Line, path, "%d %s; a proposal takes at most %d", count, what, max)
	return false
}

// prefixes is a list of CIDRs, at most MaxPrefixes.
func (d *decoder) prefixes(dst *[]string) strictyaml.Handler {
	return d.listOf(dst, checkCIDR, MaxPrefixes, "prefixes")
}

// list stores a list of scalars, each checked. A present but empty list
// is stated ("no static routes"), unlike an absent one.
func (d *decoder) list(dst *[]string, c check) strictyaml.Handler {
	return d.listOf(dst, c, maxListItems, "items")
}

func (d *decoder) listOf(dst *[]string, c check, max int, what string) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if n.Kind == yaml.SequenceNode && !d.atMost(n, path, len(n.Content), max, what) {
			return
		}
		before := d.Len()
		var item func(it *yaml.Node, path, s string) (string, bool)
		if c != nil {
			item = func(it *yaml.Node, path, s string) (string, bool) { return c(d, it, path, s) }
		}
		v, ok := d.StringList(n, path, item)
		if ok && d.Len() == before {
			*dst = v
			d.stated(path)
		}
	}
}

func (d *decoder) ints(dst *[]int) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if n.Kind == yaml.SequenceNode && !d.atMost(n, path, len(n.Content), maxListItems, "items") {
			return
		}
		before := d.Len()
		v, ok := d.IntList(n, path)
		if ok && d.Len() == before {
			*dst = v
			d.stated(path)
		}
	}
}

func (d *decoder) int(dst **int) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.IntValue(n, path); ok {
			*dst = &v
			d.stated(path)
		}
	}
}

func (d *decoder) int64(dst **int64) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.Int64Value(n, path); ok {
			*dst = &v
			d.stated(path)
		}
	}
}

func (d *decoder) bool(dst **bool) strictyaml.Handler {
	return func(n *yaml.Node, path string) {
		if v, ok := d.BoolValue(n, path); ok {
			*dst = &v
			d.stated(path)
		}
	}
}

func checkConnection(d *decoder, n *yaml.Node, path, s string) (string, bool) {
	if !vpn.ValidConnectionName(s) {
		d.Invalid(n, path, s, "must match "+vpn.ConnectionNamePattern+" (a configured connection's name)")
		return "", false
	}
	return s, true
}

// checkAzureName holds a name, or a value doorbot does not list (a SKU, an
// AWS or Azure algorithm), to Azure's naming rule, which every such value
// of either cloud follows. It keeps line breaks and formatting out of the
// findings and diff the approval thread shows.
func checkAzureName(d *decoder, n *yaml.Node, path, s string) (string, bool) {
	if !vpn.ValidAzureName(s) {
		d.Invalid(n, path, s, "must be 1-80 letters, digits, '.', '_' or '-'")
		return "", false
	}
	return s, true
}

// checkIP normalises an address (2001:DB8::1 → 2001:db8::1) so that the
// rules can compare addresses as strings.
func checkIP(d *decoder, n *yaml.Node, path, s string) (string, bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		d.Invalid(n, path, s, "not an IP address (use e.g. 198.51.100.1)")
		return "", false
	case a.Zone() != "":
		d.Invalid(n, path, s, "must be an IP address without a %%zone")
		return "", false
	}
	return a.String(), true
}

// checkCIDR keeps host bits as written (10.1.0.1/16 stays so): whether a
// prefix is acceptable is for the rules to say, with a better message.
func checkCIDR(d *decoder, n *yaml.Node, path, s string) (string, bool) {
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		hint := "use e.g. 10.1.0.0/16"
		if _, aerr := netip.ParseAddr(s); aerr == nil {
			hint = "add the prefix length, e.g. /32 for one address"
		}
		d.Invalid(n, path, s, "not a CIDR (%s)", hint)
		return "", false
	}
	return pf.String(), true
}

// enum accepts the allowed words in any case and stores their canonical
// spelling: ARM itself treats these values case-insensitively, and
// "routebased" is not worth a round trip through an error message.
func enum(allowed ...string) check {
	return func(d *decoder, n *yaml.Node, path, s string) (string, bool) {
		for _, a := range allowed {
			if strings.EqualFold(s, a) {
				return a, true
			}
		}
		d.Invalid(n, path, s, "must be %s", strings.Join(allowed, " or "))
		return "", false
	}
}
