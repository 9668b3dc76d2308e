package runbook

import (
	"fmt"
	"strings"

	"github.com/doorbot/doorbot/vpn"
	"github.com/doorbot/doorbot/vpn/rules"
)

// Verification is the result of `runbook verify`.
type Verification struct {
	Connection string      `json:"connection"`
	Items      []CheckItem `json:"items"`
	Passed     bool        `json:"passed"`
}

// CheckItem is one post-change check.
//
// Skipped marks a check whose input doorbot cannot observe (the Azure VNet
// prefixes, the AWS-side prefixes, SORACOM's static prefixes). It is listed,
// never silently dropped, with Detail saying what to provide or check by
// hand; it counts as OK so that `runbook verify` without a proposal can pass
// on a healthy connection, since the CLI has no way to supply those inputs.
type CheckItem struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail"`
	Skipped bool   `json:"skipped,omitempty"`
}

// Verify runs the post-change checks on freshly read live state.
func Verify(in Input) Verification {
	f := newFacts(in)
	obs := f.obs
	v := Verification{Connection: f.conn.Name, Items: []CheckItem{}}
	add := func(name string, ok bool, detail string) {
		v.Items = append(v.Items, CheckItem{Name: name, OK: ok, Detail: detail})
	}
	skip := func(name, detail string) {
		v.Items = append(v.Items, CheckItem{Name: name, OK: true, Skipped: true, Detail: detail})
	}
	awsErr, azErr := f.sideError(vpn.CloudAWS), f.sideError(vpn.CloudAzure)

	// A read error fails its own item even when the side was partly read:
	// a check that passed on half the state must not look like a pass.
	if awsErr != "" || (!f.door && obs.AWS == nil) {
		add("AWS side read", false, orText(awsErr, "AWS was not read"))
	}
	if azErr != "" || obs.Azure == nil {
		add("Azure side read", false, orText(azErr, "Azure was not read"))
	}
	if e := f.sideError(vpn.CloudSoracom); e != "" {
		add("SORACOM read", false, e)
	}

	rows := vpn.Pair(obs)
	real := 0
	for _, r := range rows {
		if r.AWSStatus != vpn.StatusMissing && r.AzureStatus != vpn.StatusMissing {
			real++
		}
		if obs.AWS != nil {
			add(fmt.Sprintf("tunnel %d (%s) UP on AWS", r.Index, orDash(r.AWSOutsideIP)), r.AWSUp(),
				strings.TrimSpace(fmt.Sprintf("AWS %s %s", r.AWSStatus, r.AWSMessage))+withErr(awsErr))
		}
		if obs.Azure != nil {
			name, detail := fmt.Sprintf("tunnel %d Connected on Azure (%s)", r.Index, orDash(r.AzureConnection)), "Azure "+r.AzureStatus
			if r.BGP != nil {
				name += " with its BGP session established"
				detail += fmt.Sprintf(", BGP peer %s (ASN %d) %s", r.BGP.Peer, r.BGP.ASN, r.BGP.State)
			}
			add(name, r.AzureUp(), detail+withErr(azErr))
		}
	}
	if obs.AWS != nil || obs.Azure != nil {
		add("two tunnels terminated on both sides", real >= 2,
			fmt.Sprintf("%d tunnel(s) paired by outside IP; fewer than two means AWS maintenance on one tunnel is an outage", real))
	}

	var findings []vpn.Finding
	if obs.AWS != nil || obs.Azure != nil {
		findings = rules.Live(obs, rows)
	}
	// An approved change states the routing it intends; without one, verify
	// that routing is consistent, not that it is static: a healthy BGP
	// active-active design (Microsoft's AWS BGP tutorial, SORACOM's
	// high-availability pattern) must pass.
	want := vpn.Routing("")
	if p := in.Proposal; p != nil {
		want = p.Routing
	}
	switch {
	case want != "":
		if obs.AWS != nil {
			got := obs.AWS.Routing()
			add("AWS routing is "+string(want), got == want, "AWS reports "+string(got)+withErr(awsErr))
		}
		if obs.Azure != nil {
			got := obs.Azure.Routing()
			add("Azure routing is "+string(want), got == want, "Azure connections are "+string(got)+withErr(azErr))
		}
	case obs.AWS != nil || obs.Azure != nil:
		var bad []string
		for _, fd := range findings {
			if fd.Rule == rules.IDRoutingMismatch && fd.Severity == vpn.SeverityError {
				bad = append(bad, fd.Message)
			}
		}
		add("routing consistent (each AWS VPN connection and the Azure connections terminating it agree)", len(bad) == 0,
			orText(strings.Join(bad, "; "), fmt.Sprintf("AWS %s, Azure %s", obs.AWS.Routing(), obs.Azure.Routing())))
	}

	if want == vpn.RoutingStatic || (want == "" && obs.Azure.Routing() == vpn.RoutingStatic) {
		f.verifyPrefixes(add, skip, awsErr)
	}

	if obs.AWS != nil || obs.Azure != nil {
		var errs []string
		for _, fd := range findings {
			if fd.Severity == vpn.SeverityError {
				errs = append(errs, fd.Rule+": "+fd.Message)
			}
		}
		add("no error findings", len(errs) == 0, orText(strings.Join(errs, "; "), "none"))
	}

	v.Passed = len(v.Items) > 0
	for _, it := range v.Items {
		v.Passed = v.Passed && it.OK
	}
	return v
}

// verifyPrefixes checks static routes both ways, when the inputs are known.
func (f *facts) verifyPrefixes(add func(string, bool, string), skip func(string, string), awsErr string) {
	vnet := f.vnetPrefixes()
	switch {
	case f.door:
		skip("SORACOM static prefixes cover the Azure VNet", "SORACOM does not expose them: confirm in the SORACOM console that the Door connection's static prefixes include the VNet prefixes.")
	case f.obs.AWS == nil:
		add("AWS static routes cover the Azure VNet prefixes", false, orText(awsErr, "AWS was not read"))
	case len(vnet) == 0:
		skip("AWS static routes cover the Azure VNet prefixes", "not checked: doorbot does not read the VNet; state azure.vnet_prefixes in a proposal. AWS routes today: "+orNone(f.awsStaticRoutes()))
	default:
		miss := covered(vnet, f.awsStaticRoutes())
		add("AWS static routes cover the Azure VNet prefixes", len(miss) == 0,
			"VNet "+strings.Join(vnet, ", ")+"; AWS routes "+orNone(f.awsStaticRoutes())+"; missing "+orNone(miss))
	}

	onprem := f.proposedOnprem()
	for _, c := range f.foundAzure() {
		l := c.LocalNetworkGateway
		if l == nil || c.EnableBGP {
			continue
		}
		name := "local network gateway " + orDash(l.Name) + " prefixes include the " + f.otherSide() + " prefixes"
		if len(onprem) == 0 {
			skip(name, "not checked: state "+f.onpremPath()+" in a proposal. Prefixes today: "+orNone(l.AddressPrefixes))
			continue
		}
		miss := covered(onprem, l.AddressPrefixes)
		add(name, len(miss) == 0, "has "+orNone(l.AddressPrefixes)+"; missing "+orNone(miss))
	}
}

func (f *facts) otherSide() string {
	if f.door {
		return "SORACOM VPG"
	}
	return "AWS-side"
}

func (f *facts) onpremPath() string {
	if f.door {
		return "soracom.vpg_subnet"
	}
	return "aws.local_prefixes"
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func withErr(e string) string {
	if e == "" {
		return ""
	}
	return " (read error: " + e + ")"
}

// Failed names the checks that did not pass, for a one-line record.
func (v Verification) Failed() string {
	var failed []string
	for _, it := range v.Items {
		if !it.OK {
			failed = append(failed, it.Name)
		}
	}
	return strings.Join(failed, "; ")
}
