package rules

import (
	"crypto/subtle"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Rules about single values each cloud accepts: inside CIDRs, keys, IKE
// parameters, timers and ASNs.

// --- inside-cidr-invalid ---------------------------------------------------

// awsReservedInside are the /30s AWS refuses as tunnel inside CIDRs.
var awsReservedInside = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30",
		"169.254.4.0/30", "169.254.5.0/30", "169.254.169.252/30"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

const insideCIDRFix = "Use a /30 network inside 169.254.0.0/16 that is not one of AWS's reserved /30s (169.254.0.0/30-169.254.5.0/30, " +
	"169.254.169.252/30); for BGP with Azure take it from 169.254.21.0/24 or 169.254.22.0/24 (e.g. 169.254.21.0/30) " +
	"so that Azure's .2 can be a custom APIPA address."

func pInsideCIDRInvalid(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	for i, t := range c.p.AWS.Tunnels {
		if t.InsideCIDR == "" {
			continue // AWS picks one
		}
		pf, ok := parseCIDR(t.InsideCIDR)
		var why []string
		switch {
		case !ok:
			why = append(why, "is not a CIDR")
		case !pf.Addr().Is4() || !linkLocal.Contains(pf.Addr()):
			why = append(why, "is not inside 169.254.0.0/16")
			if pf.Bits() != 30 {
				why = append(why, fmt.Sprintf("is a /%d, not a /30", pf.Bits()))
			}
		default:
			if pf.Bits() != 30 {
				why = append(why, fmt.Sprintf("is a /%d, not a /30", pf.Bits()))
			} else if pf != pf.Masked() {
				why = append(why, fmt.Sprintf("is not a network address (the /30 is %s)", pf.Masked()))
			}
			for _, r := range awsReservedInside {
				if pf.Bits() >= 30 && r.Contains(pf.Addr()) {
					why = append(why, "is one of AWS's reserved /30s ("+r.String()+")")
				}
			}
		}
		if len(why) > 0 {
			out = append(out, newFinding(IDInsideCIDRInvalid,
				fmt.Sprintf("%s %s", c.tfield(i, vpn.FieldInsideCIDR, t.InsideCIDR), joinAnd(why)), insideCIDRFix))
		}
	}
	return out
}

// --- inside-cidr-duplicate -------------------------------------------------

func pInsideCIDRDuplicate(c *pcheck) []vpn.Finding {
	// A handful of tunnels: pairwise is cheaper than a map.
	tunnels := c.p.AWS.Tunnels
	cidrs := make([]netip.Prefix, len(tunnels))
	for i, t := range tunnels {
		if pf, ok := parseCIDR(t.InsideCIDR); ok {
			cidrs[i] = pf.Masked()
		}
	}
	var out []vpn.Finding
	for i, k := range cidrs {
		if !k.IsValid() || slices.Contains(cidrs[:i], k) {
			continue // unparsed, or reported with its first tunnel
		}
		is := []int{i}
		for j := i + 1; j < len(cidrs); j++ {
			if cidrs[j] == k {
				is = append(is, j)
			}
		}
		if len(is) < 2 {
			continue
		}
		names := make([]string, len(is))
		for n, i := range is {
			names[n] = c.tunnelName(i)
		}
		out = append(out, newFinding(IDInsideCIDRDuplicate,
			fmt.Sprintf("%s all use inside CIDR %s", strings.Join(names, ", "), k),
			"Give each tunnel its own /30: AWS refuses a reused inside CIDR on the same virtual private gateway "+
				"(InvalidCidr.InUse), and with BGP two tunnels on one /30 would claim the same peer addresses."))
	}
	return out
}

// --- psk-invalid -----------------------------------------------------------

// awsPSKProblems lists what is wrong with a key under AWS's rules, in
// words that reveal nothing of the key beyond the rule it breaks.
func awsPSKProblems(k string) []string {
	var why []string
	switch {
	case len(k) < 8:
		why = append(why, "is shorter than 8 characters")
	case len(k) > 64:
		why = append(why, "is longer than 64 characters")
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_') {
			why = append(why, "contains a character other than letters, digits, '.' and '_'")
			break
		}
	}
	if strings.HasPrefix(k, "0") {
		why = append(why, "starts with 0")
	}
	return why
}

func azurePSKProblems(k string) []string {
	var why []string
	if len(k) > 128 {
		why = append(why, "is longer than 128 characters")
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			why = append(why, "contains a space or a character that is not printable ASCII")
			break
		}
	}
	if strings.ContainsAny(k, "-~") {
		why = append(why, "contains '-' or '~'")
	}
	return why
}

const pskFix = "Generate a new key of 8-64 characters from [A-Za-z0-9._] not starting with 0 (valid on both clouds), set it on " +
	"the AWS tunnel and on the Azure connection that terminates it, and keep it out of tickets and chat."

func pPSKInvalid(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	for i, t := range c.p.AWS.Tunnels {
		if !t.PSK.Set() {
			continue
		}
		if why := awsPSKProblems(t.PSK.Reveal()); len(why) > 0 {
			out = append(out, newFinding(IDPSKInvalid,
				fmt.Sprintf("%s %s (AWS allows 8-64 of [A-Za-z0-9._], not starting with 0)", c.tfield(i, vpn.FieldPSK, nil), joinAnd(why)), pskFix))
		}
	}
	for k, pc := range c.p.Azure.Connections {
		if !pc.SharedKey.Set() {
			continue
		}
		if why := azurePSKProblems(pc.SharedKey.Reveal()); len(why) > 0 {
			out = append(out, newFinding(IDPSKInvalid,
				fmt.Sprintf("%s %s (Azure allows 1-128 printable ASCII characters without space, '-' or '~')", c.cfield(k, vpn.FieldSharedKey, nil), joinAnd(why)), pskFix))
		}
		i := c.connTun[k]
		if i < 0 || !c.p.AWS.Tunnels[i].PSK.Set() {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(pc.SharedKey.Reveal()), []byte(c.p.AWS.Tunnels[i].PSK.Reveal())) != 1 {
			out = append(out, newFinding(IDPSKInvalid,
				fmt.Sprintf("%s differs from %s, the tunnel it terminates", c.cfield(k, vpn.FieldSharedKey, nil), c.tfield(i, vpn.FieldPSK, nil)),
				"Use the same key on both sides of a tunnel (`az network vpn-connection shared-key update`); a tunnel 1 key on "+
					"the tunnel 2 connection is the classic mistake."))
		}
	}
	return out
}

// --- ike-params-incompatible ----------------------------------------------

// Algorithm names normalise to one token per algorithm, Azure's spelling
// where Azure has one, so that AWS's SHA2-256 and Azure's SHA256 compare
// equal.
var (
	awsEncryption = map[string]string{"AES128": "AES128", "AES256": "AES256", "AES128-GCM-16": "GCMAES128", "AES256-GCM-16": "GCMAES256"}
	awsIntegrity  = map[string]string{"SHA1": "SHA1", "SHA2-256": "SHA256", "SHA2-384": "SHA384", "SHA2-512": "SHA512"}
	awsPhase1DH   = []int{2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
	awsPhase2DH   = []int{2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
	awsIKE        = []string{"ikev1", "ikev2"}

	azureIKEEncryption   = []string{"GCMAES256", "GCMAES128", "AES256", "AES192", "AES128"}
	azureIKEIntegrity    = []string{"SHA384", "SHA256", "SHA1", "MD5"}
	azureIPsecEncryption = []string{"GCMAES256", "GCMAES192", "GCMAES128", "AES256", "AES192", "AES128", "DES3", "DES", "None"}
	azureIPsecIntegrity  = []string{"GCMAES256", "GCMAES192", "GCMAES128", "SHA256", "SHA1", "MD5"}
	// DH and PFS names map to group numbers; 0 is "no group".
	azureDHGroup = map[string]int{"DHGroup24": 24, "ECP384": 20, "ECP256": 19, "DHGroup14": 14, "DHGroup2048": 14, "DHGroup2": 2, "DHGroup1": 1, "None": 0}
	azurePFS     = map[string]int{"PFS24": 24, "ECP384": 20, "ECP256": 19, "PFS2048": 14, "PFS14": 14, "PFS2": 2, "PFS1": 1, "None": 0}
)

// Lifetimes in seconds (AWS tunnel options; Azure's quick mode minimum).
const (
	awsP1Min, awsP1Max, awsP1Default = 900, 28800, 28800
	awsP2Min, awsP2Max, awsP2Default = 900, 3600, 3600
	azureSAMin                       = 300
)

// fold finds s in list ignoring case and returns the list's spelling.
func fold(list []string, s string) (string, bool) {
	for _, x := range list {
		if strings.EqualFold(x, strings.TrimSpace(s)) {
			return x, true
		}
	}
	return "", false
}

func foldMap[V any](m map[string]V, s string) (string, V, bool) {
	for k, v := range m {
		if strings.EqualFold(k, strings.TrimSpace(s)) {
			return k, v, true
		}
	}
	var zero V
	return "", zero, false
}

const ikeAWSFix = "Restrict the tunnel to values AWS accepts: encryption AES128, AES256, AES128-GCM-16, AES256-GCM-16; integrity " +
	"SHA1, SHA2-256, SHA2-384, SHA2-512; phase 1 DH 2, 14-24; phase 2 DH 2, 5, 14-24; IKE ikev1, ikev2; phase 1 lifetime " +
	"900-28800 s, phase 2 900-3600 s and shorter than phase 1 (`aws ec2 modify-vpn-tunnel-options`)."

func pIKEParamsIncompatible(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	for i := range c.p.AWS.Tunnels {
		out = append(out, c.awsTunnelIKE(i)...)
	}
	for k := range c.p.Azure.Connections {
		out = append(out, c.azureConnIKE(k)...)
	}
	return out
}

func (c *pcheck) awsTunnelIKE(i int) []vpn.Finding {
	t := c.p.AWS.Tunnels[i]
	var why []string
	for _, v := range t.IKEVersions {
		if _, ok := fold(awsIKE, v); !ok {
			why = append(why, c.rel(tpath(i, vpn.FieldIKEVersions), vpn.FieldIKEVersions, v)+" is not ikev1 or ikev2")
		}
	}
	for n, ph := range []*vpn.PhaseParams{t.Phase1, t.Phase2} {
		if ph == nil {
			continue
		}
		name, dhs := vpn.FieldPhase1, awsPhase1DH
		if n == 1 {
			name, dhs = vpn.FieldPhase2, awsPhase2DH
		}
		for _, v := range ph.Encryption {
			if _, _, ok := foldMap(awsEncryption, v); !ok {
				why = append(why, c.rel(tpath(i, vpn.Path(name, vpn.FieldEncryption)), vpn.Path(name, vpn.FieldEncryption), v)+" is not an AWS algorithm")
			}
		}
		for _, v := range ph.Integrity {
			if _, _, ok := foldMap(awsIntegrity, v); !ok {
				why = append(why, c.rel(tpath(i, vpn.Path(name, vpn.FieldIntegrity)), vpn.Path(name, vpn.FieldIntegrity), v)+" is not an AWS algorithm")
			}
		}
		for _, v := range ph.DHGroups {
			if !slices.Contains(dhs, v) {
				why = append(why, c.rel(tpath(i, vpn.Path(name, vpn.FieldDHGroups)), vpn.Path(name, vpn.FieldDHGroups), v)+" is not a DH group AWS allows in "+name)
			}
		}
	}
	p1, p2 := awsP1Default, awsP2Default
	if t.Phase1 != nil && t.Phase1.LifetimeSeconds != nil {
		p1 = *t.Phase1.LifetimeSeconds
		if p1 < awsP1Min || p1 > awsP1Max {
			why = append(why, c.rel(tpath(i, vpn.Path(vpn.FieldPhase1, vpn.FieldLifetimeSeconds)), vpn.Path(vpn.FieldPhase1, vpn.FieldLifetimeSeconds), p1)+" is outside 900-28800")
		}
	}
	if t.Phase2 != nil && t.Phase2.LifetimeSeconds != nil {
		p2 = *t.Phase2.LifetimeSeconds
		if p2 < awsP2Min || p2 > awsP2Max {
			why = append(why, c.rel(tpath(i, vpn.Path(vpn.FieldPhase2, vpn.FieldLifetimeSeconds)), vpn.Path(vpn.FieldPhase2, vpn.FieldLifetimeSeconds), p2)+" is outside 900-3600")
		}
	}
	if (t.Phase1 != nil && t.Phase1.LifetimeSeconds != nil || t.Phase2 != nil && t.Phase2.LifetimeSeconds != nil) && p2 >= p1 {
		why = append(why, fmt.Sprintf("the phase 2 lifetime (%d s) is not shorter than the phase 1 lifetime (%d s)", p2, p1))
	}
	if strings.EqualFold(t.StartupAction, "start") && len(t.IKEVersions) > 0 && !containsFold(t.IKEVersions, "ikev2") {
		why = append(why, "startup_action start needs IKEv2 but ike_versions is "+strings.Join(t.IKEVersions, ", "))
	}
	if len(why) == 0 {
		return nil
	}
	return []vpn.Finding{newFinding(IDIKEParamsIncompatible, c.tunnelName(i)+": "+strings.Join(why, "; "), ikeAWSFix)}
}

// azureConnIKE checks a connection's protocol and custom policy against
// Azure's lists and against the AWS tunnel it terminates.
func (c *pcheck) azureConnIKE(k int) []vpn.Finding {
	pc := c.p.Azure.Connections[k]
	i := c.connTun[k]
	var t *vpn.ProposedTunnel
	if i >= 0 {
		t = &c.p.AWS.Tunnels[i]
	}
	var out []vpn.Finding

	if pc.Protocol != "" {
		proto, ok := fold([]string{"IKEv1", "IKEv2"}, pc.Protocol)
		switch {
		case !ok:
			out = append(out, newFinding(IDIKEParamsIncompatible,
				fmt.Sprintf("%s is not IKEv1 or IKEv2", c.cfield(k, vpn.FieldProtocol, pc.Protocol)),
				"Use IKEv2 (Azure's default; the protocol cannot be changed after the connection is created)."))
		case t != nil && len(t.IKEVersions) > 0 && !containsFold(t.IKEVersions, proto):
			out = append(out, newFinding(IDIKEParamsIncompatible,
				fmt.Sprintf("%s but %s allows only %s%s", c.cfield(k, vpn.FieldProtocol, pc.Protocol), c.tunnelName(i),
					strings.Join(t.IKEVersions, ", "), c.from(tpath(i, vpn.FieldIKEVersions))),
				"Make the IKE versions agree: add "+strings.ToLower(proto)+" to the AWS tunnel's ike_versions, or recreate the "+
					"Azure connection with the protocol AWS allows (Azure cannot change it in place)."))
		}
	}

	pol := pc.IPsecPolicy
	if pol == nil {
		return out
	}
	pp := vpn.FieldIPsecPolicy + "."
	var bad []string
	check := func(field, v string, list []string) (string, bool) {
		if v == "" {
			bad = append(bad, pp+field+" is required (Azure needs every field of a custom policy)")
			return "", false
		}
		name, ok := fold(list, v)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %s%s is not one of %s", pp+field, v, c.from(cpath(k, pp+field)), strings.Join(list, ", ")))
		}
		return name, ok
	}
	checkGroup := func(field, v string, m map[string]int, list string) (int, bool) {
		if v == "" {
			bad = append(bad, pp+field+" is required (Azure needs every field of a custom policy)")
			return 0, false
		}
		_, g, ok := foldMap(m, v)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s %s%s is not one of %s", pp+field, v, c.from(cpath(k, pp+field)), list))
		}
		return g, ok
	}
	ikeEnc, okIKEEnc := check(vpn.FieldIKEEncryption, pol.IKEEncryption, azureIKEEncryption)
	ikeInt, okIKEInt := check(vpn.FieldIKEIntegrity, pol.IKEIntegrity, azureIKEIntegrity)
	dh, okDH := checkGroup(vpn.FieldDHGroup, pol.DHGroup, azureDHGroup, "DHGroup24, ECP384, ECP256, DHGroup14, DHGroup2048, DHGroup2, DHGroup1, None")
	ipEnc, okIPEnc := check(vpn.FieldIPsecEncryption, pol.IPsecEncryption, azureIPsecEncryption)
	ipInt, okIPInt := check(vpn.FieldIPsecIntegrity, pol.IPsecIntegrity, azureIPsecIntegrity)
	pfs, okPFS := checkGroup(vpn.FieldPFSGroup, pol.PFSGroup, azurePFS, "PFS24, ECP384, ECP256, PFS2048, PFS2, PFS1, None")
	if okPFS && strings.EqualFold(strings.TrimSpace(pol.PFSGroup), "PFS14") {
		// The API and CLI accept PFS14 (PFS2048 by another name), but
		// Microsoft's policy table lists PFS2048: worth a look, not an error.
		out = append(out, citing(withSeverity(newFinding(IDIKEParamsIncompatible,
			fmt.Sprintf("%s: ipsec_policy.pfs_group PFS14 is the API's name for DH group 14; Microsoft's policy table lists it as PFS2048", c.connName(k)),
			"Prefer pfs_group PFS2048 (the same group 14) so the policy reads as Microsoft documents it."), vpn.SeverityWarning), refMSIPsecPolicy))
	}
	switch {
	case pol.SALifetimeSeconds == nil:
		bad = append(bad, pp+"sa_lifetime_seconds is required (Azure needs every field of a custom policy)")
	case *pol.SALifetimeSeconds < azureSAMin:
		bad = append(bad, fmt.Sprintf("%ssa_lifetime_seconds %d is below Azure's minimum of 300", pp, *pol.SALifetimeSeconds))
	}
	// GCM is an AEAD: Azure wants the same GCMAES named as integrity.
	if okIPEnc && okIPInt && (strings.HasPrefix(ipEnc, "GCMAES") || strings.HasPrefix(ipInt, "GCMAES")) && ipEnc != ipInt {
		bad = append(bad, fmt.Sprintf("ipsec_encryption %s and ipsec_integrity %s must be the same GCMAES algorithm", ipEnc, ipInt))
	}
	if len(bad) > 0 {
		out = append(out, newFinding(IDIKEParamsIncompatible,
			fmt.Sprintf("%s: %s", c.connName(k), strings.Join(bad, "; ")),
			"Use values from Azure's IPsec/IKE policy lists; with AWS a safe policy is ike_encryption AES256, ike_integrity SHA256, "+
				"dh_group DHGroup14, ipsec_encryption AES256, ipsec_integrity SHA256, pfs_group PFS2048, sa_lifetime_seconds 3600."))
	}
	if t == nil {
		return out
	}

	// Overlap with the AWS tunnel. AWS's default for an unstated list is
	// every value it supports.
	var miss []string
	p1enc, p1int, p1dh := awsAllowed(t.Phase1, awsPhase1DH)
	p2enc, p2int, p2dh := awsAllowed(t.Phase2, awsPhase2DH)
	if okIKEEnc && !p1enc[ikeEnc] {
		miss = append(miss, fmt.Sprintf("ike_encryption %s (AWS phase 1: %s)", ikeEnc, awsList(t.Phase1, vpn.FieldEncryption)))
	}
	if okIKEInt && !p1int[ikeInt] {
		miss = append(miss, fmt.Sprintf("ike_integrity %s (AWS phase 1: %s)", ikeInt, awsList(t.Phase1, vpn.FieldIntegrity)))
	}
	if okDH && !slices.Contains(p1dh, dh) {
		miss = append(miss, fmt.Sprintf("dh_group %s (AWS phase 1 DH groups: %s)", pol.DHGroup, awsList(t.Phase1, "dh")))
	}
	if okIPEnc && !p2enc[ipEnc] {
		miss = append(miss, fmt.Sprintf("ipsec_encryption %s (AWS phase 2: %s)", ipEnc, awsList(t.Phase2, vpn.FieldEncryption)))
	}
	if okIPInt && !strings.HasPrefix(ipInt, "GCMAES") && !p2int[ipInt] {
		miss = append(miss, fmt.Sprintf("ipsec_integrity %s (AWS phase 2: %s)", ipInt, awsList(t.Phase2, vpn.FieldIntegrity)))
	}
	if okPFS && !slices.Contains(p2dh, pfs) {
		what := "AWS phase 2 DH groups: " + awsList(t.Phase2, "dh")
		if pfs == 0 {
			what = "AWS always uses PFS in phase 2: the tunnel comes up, then fails at the first child-SA rekey"
		}
		miss = append(miss, fmt.Sprintf("pfs_group %s (%s)", pol.PFSGroup, what))
	}
	if len(miss) > 0 {
		out = append(out, newFinding(IDIKEParamsIncompatible,
			fmt.Sprintf("%s ipsec_policy has no match in %s: %s", c.connName(k), c.tunnelName(i), strings.Join(miss, "; ")),
			"Make every Azure policy value one the AWS tunnel allows (AES256-GCM-16 = GCMAES256, SHA2-256 = SHA256, "+
				"DH 14 = DHGroup14/PFS2048, 19 = ECP256, 20 = ECP384, 24 = DHGroup24/PFS24), or widen the AWS tunnel's lists."))
	}

	// SA lifetimes are local to each side and need not match (Microsoft's
	// IPsec/IKE requirements): the side that expires first rekeys, so
	// Azure's 27000 s against AWS's 3600 s is no finding.
	return out
}

// awsAllowed returns a phase's effective lists as normalised tokens.
func awsAllowed(ph *vpn.PhaseParams, defaultDH []int) (enc, integ map[string]bool, dh []int) {
	enc, integ = map[string]bool{}, map[string]bool{}
	var encs, ints []string
	if ph != nil {
		encs, ints, dh = ph.Encryption, ph.Integrity, ph.DHGroups
	}
	if len(encs) == 0 {
		for _, v := range awsEncryption {
			enc[v] = true
		}
	}
	for _, s := range encs {
		if _, v, ok := foldMap(awsEncryption, s); ok {
			enc[v] = true
		}
	}
	if len(ints) == 0 {
		for _, v := range awsIntegrity {
			integ[v] = true
		}
	}
	for _, s := range ints {
		if _, v, ok := foldMap(awsIntegrity, s); ok {
			integ[v] = true
		}
	}
	if len(dh) == 0 {
		dh = defaultDH
	}
	return enc, integ, dh
}

func awsList(ph *vpn.PhaseParams, what string) string {
	if ph != nil {
		switch what {
		case vpn.FieldEncryption:
			if len(ph.Encryption) > 0 {
				return strings.Join(ph.Encryption, ", ")
			}
		case vpn.FieldIntegrity:
			if len(ph.Integrity) > 0 {
				return strings.Join(ph.Integrity, ", ")
			}
		case "dh":
			if len(ph.DHGroups) > 0 {
				s := make([]string, len(ph.DHGroups))
				for i, g := range ph.DHGroups {
					s[i] = fmt.Sprint(g)
				}
				return strings.Join(s, ", ")
			}
		}
	}
	return "AWS default, every supported value"
}

func containsFold(xs []string, s string) bool {
	_, ok := fold(xs, s)
	return ok
}

// --- dpd-timeout-range -----------------------------------------------------

func pDPDTimeoutRange(c *pcheck) []vpn.Finding {
	var out []vpn.Finding
	for i, t := range c.p.AWS.Tunnels {
		if d := t.DPDTimeoutSeconds; d != nil && *d < 30 {
			out = append(out, newFinding(IDDPDTimeoutRange,
				fmt.Sprintf("%s is below AWS's minimum of 30 s", c.tfield(i, vpn.FieldDPDTimeoutSeconds, *d)),
				"Set the AWS tunnel's DPD timeout to 30 s or more (40 s is AWS's current default), close to Azure's (45 s default)."))
		}
	}
	for k, pc := range c.p.Azure.Connections {
		if d := pc.DPDTimeoutSeconds; d != nil && (*d < 9 || *d > 3600) {
			out = append(out, newFinding(IDDPDTimeoutRange,
				fmt.Sprintf("%s is outside Azure's 9-3600 s", c.cfield(k, vpn.FieldDPDTimeoutSeconds, *d)),
				"Set the Azure connection's DPD timeout within 9-3600 s; 30-45 s is recommended (45 s is the default)."))
		}
	}
	return out
}

// --- asn-invalid -----------------------------------------------------------

const maxASN = 4294967295

// azureReservedASN are ASNs Azure keeps for itself; 65515 is also Azure's
// default gateway ASN, so it is reserved only for the peer side.
func azureReservedASN(a int64) bool {
	return a == 8074 || a == 8075 || a == 12076 || a == 65515 || (a >= 65517 && a <= 65520)
}

func ianaReservedASN(a int64) bool {
	return a == 0 || a == 23456 || (a >= 64496 && a <= 64511) || (a >= 65535 && a <= 65551) || a == maxASN
}

// awsRegionalASN are customer gateway ASNs AWS refuses in one Region.
var awsRegionalASN = map[int64]string{9059: "eu-west-1", 10124: "ap-northeast-1", 17943: "ap-southeast-1"}

// awsLegacyAmazonASN are the Amazon-side ASNs AWS gave virtual private
// gateways created before 2018-06-30, by Region: valid, if unusual today.
var awsLegacyAmazonASN = map[int64]string{10124: "ap-northeast-1 (Tokyo)", 17493: "ap-southeast-1 (Singapore)", 9059: "eu-west-1 (Ireland)", 7224: "every other Region"}

// customerASNProblem says why AWS refuses an ASN on a customer gateway —
// which, with Azure, is the Azure gateway's ASN — and whether only in one
// Region ("" when AWS accepts it).
func customerASNProblem(a int64) (why string, regional bool) {
	switch {
	case a == 7224:
		return "is reserved by AWS for customer gateways in every Region", false
	case awsRegionalASN[a] != "":
		return "is reserved by AWS for customer gateways in " + awsRegionalASN[a], true
	}
	return "", false
}

const asnFix = "Use a private ASN that both clouds accept and that differs per side: Amazon side 64512-65534 or " +
	"4200000000-4294967294 (not 65515 or 65517-65520, which Azure reserves); Azure side e.g. 65000 (not 8074, 8075, 12076, " +
	"65517-65520, 23456, 64496-64511 or 65535-65551). The Amazon-side ASN is fixed when the gateway is created."

// gatewayASNProblem says why an ASN cannot be an Azure gateway's, or "".
func gatewayASNProblem(a int64) string {
	switch {
	case a < 1 || a > maxASN:
		return "is not an ASN (1-4294967295)"
	case a != 65515 && azureReservedASN(a):
		return "is reserved by Azure"
	case ianaReservedASN(a):
		return "is reserved by IANA"
	}
	return ""
}

func pASNInvalid(c *pcheck) []vpn.Finding {
	out := c.doorASNProblems()
	add := func(msg string) { out = append(out, newFinding(IDASNInvalid, msg, asnFix)) }
	amazon, customer := c.p.AWS.ASN, c.p.AWS.CustomerASN
	var gwASN *int64
	if c.p.Azure.Gateway != nil {
		gwASN = c.p.Azure.Gateway.ASN
	}

	if a := amazon; a != nil {
		switch {
		case awsLegacyAmazonASN[*a] != "":
			out = append(out, citing(withSeverity(newFinding(IDASNInvalid,
				fmt.Sprintf("%s is the Amazon-side ASN AWS gave virtual private gateways created before 2018-06-30 in %s: valid", c.amazonASN(*a), awsLegacyAmazonASN[*a]),
				"Nothing to fix: the Amazon-side ASN is fixed per virtual private gateway; make every local network gateway's asn this value."),
				vpn.SeverityInfo), refAWSHowItWorks))
		case !(*a >= 64512 && *a <= 65534 || *a >= 4200000000 && *a <= 4294967294):
			add(c.amazonASN(*a) + " is outside the Amazon-side ranges 64512-65534 and 4200000000-4294967294")
		case azureReservedASN(*a):
			add(c.amazonASN(*a) + " is reserved by Azure, which will not peer with it")
		}
	}
	if a := customer; a != nil {
		switch {
		case *a < 1 || *a > maxASN:
			add(c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *a) + " is not an ASN (1-4294967295)")
		case *a == 7224:
			add(c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *a) + " is reserved by AWS in every Region")
		case awsRegionalASN[*a] != "":
			out = append(out, withSeverity(newFinding(IDASNInvalid,
				fmt.Sprintf("%s is reserved by AWS in %s", c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *a), awsRegionalASN[*a]),
				"If the VPN is in "+awsRegionalASN[*a]+", pick another ASN (and set it on the Azure gateway too)."), vpn.SeverityWarning))
		case c.bgp && gwASN == nil && gatewayASNProblem(*a) != "":
			// The customer gateway ASN is the Azure gateway's ASN.
			add(fmt.Sprintf("%s %s, and it is the Azure gateway's ASN", c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *a), gatewayASNProblem(*a)))
		}
	}
	if a := gwASN; a != nil {
		if why := gatewayASNProblem(*a); why != "" {
			add(c.at(gpath(vpn.FieldASN), *a) + " " + why)
		} else if why, regional := customerASNProblem(*a); why != "" && (customer == nil || *customer != *a) {
			// The Azure gateway is AWS's customer gateway: AWS's reserved
			// customer ASNs apply to it.
			f := citing(newFinding(IDASNInvalid,
				fmt.Sprintf("%s %s, and the Azure gateway's ASN is the customer gateway ASN AWS sees", c.at(gpath(vpn.FieldASN), *a), why),
				"Give the Azure gateway a private ASN AWS accepts for a customer gateway (e.g. 65000); the gateway's ASN can be changed in place."), refAWSCGWOptions)
			if regional {
				f = withSeverity(f, vpn.SeverityWarning)
			}
			out = append(out, f)
		}
	}
	for i, l := range c.p.Azure.LocalNetworkGateways {
		if l.ASN == nil {
			continue
		}
		a := *l.ASN
		switch {
		case a < 1 || a > maxASN:
			add(fmt.Sprintf("%s is not an ASN (1-4294967295)", c.lfield(i, vpn.FieldASN, a)))
		case azureReservedASN(a):
			add(fmt.Sprintf("%s is reserved by Azure and cannot be a peer's ASN", c.lfield(i, vpn.FieldASN, a)))
		case ianaReservedASN(a):
			add(fmt.Sprintf("%s is reserved by IANA", c.lfield(i, vpn.FieldASN, a)))
		}
	}

	if !c.bgp {
		return out // ASNs only meet in a BGP session
	}
	if amazon != nil && gwASN != nil && *amazon == *gwASN {
		msg := fmt.Sprintf("%s equals %s: BGP needs a different ASN on each side", c.amazonASN(*amazon), c.at(gpath(vpn.FieldASN), *gwASN))
		if c.doorASNLabel() != "" {
			// SORACOM set the Door side's ASN; Azure's can change in place.
			out = append(out, newFinding(IDASNInvalid, msg, "Give the Azure gateway another private ASN (e.g. 65000; "+
				"`az network vnet-gateway update --asn`), since the Door connection's ASN is fixed when SORACOM creates it. "+asnFix))
		} else {
			add(msg)
		}
	}
	if amazon != nil && customer != nil && *amazon == *customer {
		add(fmt.Sprintf("%s equals %s: AWS refuses a customer gateway ASN equal to its own (AsnConflict)", c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *customer), c.amazonASN(*amazon)))
	}
	if customer != nil && gwASN != nil && *customer != *gwASN {
		add(fmt.Sprintf("%s differs from %s: AWS expects the Azure gateway to open BGP with the customer gateway's ASN",
			c.at(vpn.Path(vpn.FieldAWS, vpn.FieldCustomerASN), *customer), c.at(gpath(vpn.FieldASN), *gwASN)))
	}
	for i, l := range c.p.Azure.LocalNetworkGateways {
		if l.ASN == nil {
			continue
		}
		switch {
		case gwASN != nil && *l.ASN == *gwASN && (amazon == nil || *amazon != *gwASN):
			add(fmt.Sprintf("%s equals %s: BGP needs a different ASN on each side", c.lfield(i, vpn.FieldASN, *l.ASN), c.at(gpath(vpn.FieldASN), *gwASN)))
		case amazon != nil && *l.ASN != *amazon:
			// Azure expects the peer's OPEN to carry this ASN; AWS sends the
			// Amazon-side one, so the session can never establish.
			out = append(out, citing(newFinding(IDASNInvalid,
				fmt.Sprintf("%s differs from %s, the ASN AWS opens BGP with: the session can never establish", c.lfield(i, vpn.FieldASN, *l.ASN), c.amazonASN(*amazon)),
				fmt.Sprintf("Set the local network gateway's BGP ASN to the Amazon-side ASN %d (Microsoft's AWS BGP tutorial: 64512).", *amazon)), refMSAWSBGP))
		}
	}
	return out
}
