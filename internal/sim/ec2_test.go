package sim

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

func TestEC2DescribeVpnConnectionsDecodesWithSDK(t *testing.T) {
	_, srv, sc := startDemo(t)
	s := sc["healthy-static"]
	out, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{
		VpnConnectionIds: s.Connection.AWS.VPNConnectionIDs,
	})
	if err != nil {
		t.Fatalf("DescribeVpnConnections: %v", err)
	}
	if len(out.VpnConnections) != 1 {
		t.Fatalf("got %d connections, want 1", len(out.VpnConnections))
	}
	v := out.VpnConnections[0]
	if got := *v.VpnConnectionId; got != s.Connection.AWS.VPNConnectionIDs[0] {
		t.Errorf("id %q", got)
	}
	if v.State != types.VpnStateAvailable || v.Type != types.GatewayTypeIpsec1 || *v.Category != "VPN" {
		t.Errorf("state/type/category = %q/%q/%q", v.State, v.Type, *v.Category)
	}
	if v.Options == nil || !*v.Options.StaticRoutesOnly || v.Options.TunnelInsideIpVersion != types.TunnelInsideIpVersionIpv4 {
		t.Fatalf("options = %+v", v.Options)
	}
	if len(v.Routes) != 1 || *v.Routes[0].DestinationCidrBlock != "10.1.0.0/16" || v.Routes[0].Source != types.VpnStaticRouteSourceStatic || v.Routes[0].State != types.VpnStateAvailable {
		t.Errorf("routes = %+v", v.Routes)
	}
	if len(v.VgwTelemetry) != 2 {
		t.Fatalf("telemetry has %d items", len(v.VgwTelemetry))
	}
	for i, tel := range v.VgwTelemetry {
		if tel.Status != types.TelemetryStatusUp || tel.LastStatusChange == nil || tel.LastStatusChange.IsZero() || tel.StatusMessage == nil {
			t.Errorf("telemetry %d = %+v", i, tel)
		}
	}
	if *v.VgwTelemetry[0].OutsideIpAddress != "198.51.100.11" || *v.VgwTelemetry[1].OutsideIpAddress != "203.0.113.11" {
		t.Errorf("outside IPs %s %s", *v.VgwTelemetry[0].OutsideIpAddress, *v.VgwTelemetry[1].OutsideIpAddress)
	}

	opts := v.Options.TunnelOptions
	if len(opts) != 2 {
		t.Fatalf("tunnel options has %d items", len(opts))
	}
	t1, t2 := opts[0], opts[1]
	if *t1.TunnelInsideCidr != "169.254.21.0/30" || *t1.Phase1LifetimeSeconds != 28800 || *t1.Phase2LifetimeSeconds != 3600 ||
		*t1.DpdTimeoutSeconds != 30 || *t1.DpdTimeoutAction != "restart" || *t1.StartupAction != "start" {
		t.Errorf("tunnel 1 scalars = %+v", t1)
	}
	if len(t1.IkeVersions) != 1 || *t1.IkeVersions[0].Value != "ikev2" ||
		len(t1.Phase1EncryptionAlgorithms) != 1 || *t1.Phase1EncryptionAlgorithms[0].Value != "AES256" ||
		len(t1.Phase2IntegrityAlgorithms) != 1 || *t1.Phase2IntegrityAlgorithms[0].Value != "SHA2-256" ||
		len(t1.Phase1DHGroupNumbers) != 1 || *t1.Phase1DHGroupNumbers[0].Value != 14 ||
		len(t1.Phase2DHGroupNumbers) != 1 || *t1.Phase2DHGroupNumbers[0].Value != 14 {
		t.Errorf("tunnel 1 lists = %+v", t1)
	}
	// AWS omits options left at their defaults; so must the sim.
	if t2.Phase1LifetimeSeconds != nil || t2.IkeVersions != nil || t2.Phase1EncryptionAlgorithms != nil || t2.DpdTimeoutAction != nil || t2.StartupAction != nil {
		t.Errorf("tunnel 2 should carry only outside IP, inside CIDR and PSK: %+v", t2)
	}
	// The sim sends the keys in clear, exactly where AWS does.
	if *t1.PreSharedKey != s.Secrets[0] || *t2.PreSharedKey != s.Secrets[1] {
		t.Errorf("PSKs = %q %q", *t1.PreSharedKey, *t2.PreSharedKey)
	}
	cfg := *v.CustomerGatewayConfiguration
	if !strings.Contains(cfg, "<pre_shared_key>"+s.Secrets[0]+"</pre_shared_key>") || !strings.HasPrefix(cfg, "<?xml") {
		t.Errorf("customer gateway configuration not decoded to raw XML with keys: %.200s", cfg)
	}
}

func TestEC2WireFormat(t *testing.T) {
	_, srv, sc := startDemo(t)
	id := sc["healthy-static"].Connection.AWS.VPNConnectionIDs[0]
	status, body := signedForm(t, srv, "ap-northeast-1", url.Values{
		"Action": {"DescribeVpnConnections"}, "Version": {"2016-11-15"}, "VpnConnectionId.1": {id},
	})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, want := range []string{
		`<DescribeVpnConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`,
		`<vpnConnectionSet><item><vpnConnectionId>` + id + `</vpnConnectionId>`,
		`<customerGatewayConfiguration>&lt;?xml version=`, // escaped, like AWS
		`&lt;pre_shared_key&gt;`,
		`<lastStatusChange>`, `.000Z</lastStatusChange>`,
		`<phase1DHGroupNumberSet><item><value>14</value></item></phase1DHGroupNumberSet>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	if strings.Contains(body, "<pre_shared_key>") {
		t.Error("customerGatewayConfiguration was not escaped")
	}
}

func TestEC2RegionScopingAndNotFound(t *testing.T) {
	w, srv, sc := startDemo(t)
	w.SetFault(CloudAWS, Fault{}) // lift the throttled scenario's fault
	tokyo := sc["healthy-static"].Connection.AWS.VPNConnectionIDs[0]
	sydney := sc["aws-throttled"].Connection.AWS.VPNConnectionIDs[0]

	out, err := ec2Client(srv, "ap-southeast-2").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VpnConnections) != 1 || *out.VpnConnections[0].VpnConnectionId != sydney {
		t.Errorf("ap-southeast-2 sees %d connections, want only %s", len(out.VpnConnections), sydney)
	}
	out, err = ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VpnConnections) != 9 {
		t.Errorf("ap-northeast-1 sees %d connections, want 9", len(out.VpnConnections))
	}

	_, err = ec2Client(srv, "ap-southeast-2").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{VpnConnectionIds: []string{tokyo}})
	assertEC2Error(t, err, http.StatusBadRequest, "InvalidVpnConnectionID.NotFound", "The vpnConnection ID '"+tokyo+"' does not exist")
}

func TestEC2Filters(t *testing.T) {
	_, srv, sc := startDemo(t)
	c := ec2Client(srv, "ap-northeast-1")
	id := sc["bgp-single-ip"].Connection.AWS.VPNConnectionIDs[0]

	out, err := c.DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{Filters: []types.Filter{
		{Name: strPtr("vpn-connection-id"), Values: []string{id, "vpn-00000000000000000"}},
		{Name: strPtr("state"), Values: []string{"available"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VpnConnections) != 1 || *out.VpnConnections[0].VpnConnectionId != id || *out.VpnConnections[0].Options.StaticRoutesOnly {
		t.Errorf("filter by id gave %+v", out.VpnConnections)
	}

	out, err = c.DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{Filters: []types.Filter{
		{Name: strPtr("vpn-connection-id"), Values: []string{"vpn-00000000000000000"}},
	}})
	if err != nil || len(out.VpnConnections) != 0 {
		t.Errorf("unknown id by filter: %v, %d connections", err, len(out.VpnConnections))
	}

	out, err = c.DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{Filters: []types.Filter{
		{Name: strPtr("state"), Values: []string{"deleted"}},
	}})
	if err != nil || len(out.VpnConnections) != 0 {
		t.Errorf("state=deleted: %v, %d connections", err, len(out.VpnConnections))
	}

	_, err = c.DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{Filters: []types.Filter{
		{Name: strPtr("vpn-conection-id"), Values: []string{id}},
	}})
	assertEC2Error(t, err, http.StatusBadRequest, "InvalidParameterValue", "The filter 'vpn-conection-id' is invalid")
}

func TestEC2DescribeCustomerGateways(t *testing.T) {
	_, srv, _ := startDemo(t)
	out, err := ec2Client(srv, "ap-northeast-1").DescribeCustomerGateways(ctx(t), &ec2.DescribeCustomerGatewaysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CustomerGateways) != 9 {
		t.Fatalf("got %d customer gateways", len(out.CustomerGateways))
	}
	g := out.CustomerGateways[0]
	if *g.BgpAsn != "65000" || *g.IpAddress != "192.0.2.11" || *g.Type != "ipsec.1" || *g.State != "available" {
		t.Errorf("customer gateway = %+v", g)
	}
}

func TestEC2FaultsAreScopedAndRealistic(t *testing.T) {
	w, srv, sc := startDemo(t)
	_, err := ec2Client(srv, "ap-southeast-2").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{
		VpnConnectionIds: sc["aws-throttled"].Connection.AWS.VPNConnectionIDs,
	})
	assertEC2Error(t, err, http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")

	if _, err := ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{}); err != nil {
		t.Errorf("a fault scoped to ap-southeast-2 hit ap-northeast-1: %v", err)
	}

	w.SetFault(CloudAWS, Fault{Code: "UnauthorizedOperation"})
	_, err = ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{})
	assertEC2Error(t, err, http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")

	w.SetFault(CloudAWS, Fault{Status: http.StatusUnauthorized})
	_, err = ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{})
	assertEC2Error(t, err, http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
}

func TestEC2UnsignedAndUnknownActions(t *testing.T) {
	_, srv, _ := startDemo(t)
	status, body := signedForm(t, srv, "", url.Values{"Action": {"DescribeVpnConnections"}, "Version": {"2016-11-15"}})
	if status != http.StatusUnauthorized || !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>AuthFailure</Code>`) ||
		!strings.Contains(body, "</Error></Errors><RequestID>") {
		t.Errorf("unsigned: %d %s", status, body)
	}

	resp, err := http.PostForm(srv.EC2URL, url.Values{"Action": {"DeleteVpnConnection"}, "VpnConnectionId": {"vpn-0f3c9a1b2d4e5f601"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	status, body = signedForm(t, srv, "ap-northeast-1", url.Values{"Action": {"ModifyVpnTunnelOptions"}, "Version": {"2016-11-15"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidAction</Code><Message>The action ModifyVpnTunnelOptions is not valid for this web service.</Message>") {
		t.Errorf("unknown action: %d %s", status, body)
	}
	signedForm(t, srv, "ap-northeast-1", url.Values{"Action": {"GetVpnTunnelReplacementStatus"}})

	var actions []string
	for _, m := range srv.Mutations() {
		actions = append(actions, m.Action)
	}
	if strings.Join(actions, ",") != "DeleteVpnConnection,ModifyVpnTunnelOptions" {
		t.Errorf("mutations = %v", actions)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || reqs[0].Authorized || !reqs[2].Authorized || reqs[2].Region != "ap-northeast-1" || reqs[2].Cloud != CloudAWS {
		t.Errorf("requests = %+v", reqs)
	}
	srv.Reset()
	if len(srv.Requests()) != 0 {
		t.Error("Reset kept requests")
	}
}

func TestSigV4Region(t *testing.T) {
	for in, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=ab": "eu-west-1",
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/ec2/aws4_request":                                   "us-east-1",
		"AWS4-HMAC-SHA256 Credential=AKID/20261125//ec2/aws4_request":                                            "",
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/x/ec2":                                                        "",
		"Bearer abc": "",
		"":           "",
	} {
		got, ok := sigV4Region(in)
		if got != want || ok != (want != "") {
			t.Errorf("sigV4Region(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"vpn-*", "vpn-123", true}, {"*", "", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"*-01", "vpn-01", true}, {"vpn-1", "vpn-12", false}, {"a*b*c", "aXXbYYc", true}, {"a*b*c", "aXXbYY", false},
	} {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func assertEC2Error(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if api.ErrorCode() != code || api.ErrorMessage() != msg {
		t.Errorf("error = %s %q, want %s %q", api.ErrorCode(), api.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status || re.ServiceRequestID() == "" {
		t.Errorf("HTTP status/request ID = %v, want %d", err, status)
	}
}

func strPtr(s string) *string { return &s }
