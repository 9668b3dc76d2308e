package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Every simulated endpoint must record a request that would change cloud
// state as a mutation and refuse it, or the "doorbot never writes" checks
// built on Server.Mutations could not fail. Reads must not be flagged. No
// answer may echo the credentials the request carried.
func TestEveryEndpointRecordsMutations(t *testing.T) {
	w := NewWorld()
	w.AddGateway(ARMGateway{Subscription: SubscriptionID, ResourceGroup: "rg-net", Name: "vgw", PublicIPs: []string{"192.0.2.1"}})
	w.AddVPG(SoracomVPG{ID: "vpg-1"})
	srv := start(t, w)

	// A SORACOM session, so that writes are refused for what they are
	// and not for missing credentials.
	status, body := do(t, http.DefaultClient, mustReq(t, http.MethodPost, srv.SoracomURL+"/v1/auth",
		`{"authKeyId":"`+SoracomAuthKeyID+`","authKey":"`+SoracomAuthKey+`"}`, nil))
	var sess struct{ APIKey, Token string }
	if status != http.StatusOK || json.Unmarshal([]byte(body), &sess) != nil || sess.Token == "" {
		t.Fatalf("auth: %d %s", status, body)
	}
	soracomHdr := map[string]string{"X-Soracom-API-Key": sess.APIKey, "X-Soracom-Token": sess.Token}
	const bearer = "Bearer sim-secret-bearer"
	armHdr := map[string]string{"Authorization": bearer}
	sig := "AWS4-HMAC-SHA256 Credential=AKID/20261125/ap-northeast-1/ec2/aws4_request, SignedHeaders=host, Signature=00"
	cwlHdr := func(op string) map[string]string {
		return map[string]string{"Authorization": sig, "X-Amz-Target": cwlTargetPrefix + op, "Content-Type": "application/x-amz-json-1.1"}
	}
	ec2Hdr := map[string]string{"Authorization": sig, "Content-Type": "application/x-www-form-urlencoded"}
	gw := "/subscriptions/" + SubscriptionID + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vgw"
	laQuery := srv.LogAnalyticsURL + "/v1" + gw + "/query"

	cases := []struct {
		name, method, url, body string
		hdr                     map[string]string
		client                  *http.Client
		mutation                bool
	}{
		{"ec2 delete", http.MethodPost, srv.EC2URL + "/", "Action=DeleteVpnConnection&VpnConnectionId=vpn-1", ec2Hdr, http.DefaultClient, true},
		{"ec2 describe", http.MethodPost, srv.EC2URL + "/", "Action=DescribeVpnConnections", ec2Hdr, http.DefaultClient, false},
		{"logs delete group", http.MethodPost, srv.LogsURL + "/", `{"logGroupName":"g"}`, cwlHdr("DeleteLogGroup"), http.DefaultClient, true},
		{"logs filter", http.MethodPost, srv.LogsURL + "/", `{"logGroupName":"g"}`, cwlHdr("FilterLogEvents"), http.DefaultClient, false},
		{"arm reset", http.MethodPost, srv.ARMURL + gw + "/reset?api-version=2025-05-01", "", armHdr, srv.HTTPClient(), true},
		{"arm delete", http.MethodDelete, srv.ARMURL + gw + "?api-version=2025-05-01", "", armHdr, srv.HTTPClient(), true},
		{"arm get", http.MethodGet, srv.ARMURL + gw + "?api-version=2025-05-01", "", armHdr, srv.HTTPClient(), false},
		{"log analytics delete", http.MethodDelete, laQuery, "", armHdr, srv.HTTPClient(), true},
		{"log analytics query", http.MethodPost, laQuery, `{"query":"AzureDiagnostics"}`, armHdr, srv.HTTPClient(), false},
		{"soracom put", http.MethodPut, srv.SoracomURL + "/v1/virtual_private_gateways/vpg-1/vpn_connections/x", "{}", soracomHdr, http.DefaultClient, true},
		{"soracom delete", http.MethodDelete, srv.SoracomURL + "/v1/virtual_private_gateways/vpg-1", "", soracomHdr, http.DefaultClient, true},
		{"soracom terminate", http.MethodPost, srv.SoracomURL + "/v1/virtual_private_gateways/vpg-1/terminate", "", soracomHdr, http.DefaultClient, true},
		{"soracom get", http.MethodGet, srv.SoracomURL + "/v1/virtual_private_gateways/vpg-1", "", soracomHdr, http.DefaultClient, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv.Reset()
			status, body := do(t, c.client, mustReq(t, c.method, c.url, c.body, c.hdr))
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Mutation != c.mutation {
				t.Fatalf("recorded %+v, want one request with Mutation=%v", reqs, c.mutation)
			}
			if c.mutation && status < 400 {
				t.Errorf("a mutation was answered %d, want it refused: %s", status, body)
			}
			for _, secret := range []string{sess.APIKey, sess.Token, bearer} {
				if strings.Contains(body, secret) {
					t.Errorf("the answer echoes a credential: %s", body)
				}
			}
		})
	}
}

// A failed SORACOM login must not echo the key it was sent.
func TestSoracomAuthFailureEchoesNoKey(t *testing.T) {
	srv := start(t, NewWorld())
	const wrong = SoracomSecretPrefix + "not-the-key"
	status, body := do(t, http.DefaultClient, mustReq(t, http.MethodPost, srv.SoracomURL+"/v1/auth",
		`{"authKeyId":"`+SoracomAuthKeyID+`","authKey":"`+wrong+`"}`, nil))
	if status != http.StatusUnauthorized || strings.Contains(body, SoracomSecretPrefix) {
		t.Errorf("auth with a wrong key: %d %s", status, body)
	}
	if r := srv.Requests(); len(r) != 1 || strings.Contains(r[0].Path+r[0].Query.Encode(), SoracomSecretPrefix) {
		t.Errorf("recorded %+v", r)
	}
}

func mustReq(t *testing.T, method, url, body string, hdr map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}
