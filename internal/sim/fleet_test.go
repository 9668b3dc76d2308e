package sim

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

func TestFleetOfSpreadsSitesOverHubs(t *testing.T) {
	w := NewWorld()
	conns := FleetOf(w, FleetSpec{Connections: 12, Regions: []string{"ap-northeast-1", "eu-west-1"}, Gateways: 4, Subscriptions: 2, BGPGateways: 1})
	if len(conns) != 12 {
		t.Fatalf("got %d connections", len(conns))
	}
	hubs, subs, regions := map[string]int{}, map[string]bool{}, map[string]bool{}
	for _, c := range conns {
		hubs[c.Azure.Gateway]++
		subs[c.Azure.SubscriptionID] = true
		regions[c.AWS.Region] = true
		if _, _, ok := w.connection(c.Azure.SubscriptionID, c.Azure.ResourceGroup, c.Azure.Connections[0]); !ok {
			t.Errorf("%s: Azure connection missing from the world", c.Name)
		}
	}
	if len(hubs) != 4 || hubs["vgw-fleet-01"] != 3 || len(subs) != 2 || len(regions) != 2 {
		t.Errorf("hubs %v, subscriptions %v, regions %v", hubs, subs, regions)
	}
	if g, _ := w.gateway(conns[0].Azure.SubscriptionID, conns[0].Azure.ResourceGroup, conns[0].Azure.Gateway); !g.EnableBGP {
		t.Error("first gateway should run BGP")
	}
	if g, _ := w.gateway(conns[1].Azure.SubscriptionID, conns[1].Azure.ResourceGroup, conns[1].Azure.Gateway); g.EnableBGP {
		t.Error("second gateway should be static")
	}
}

// EC2 refuses a Describe call carrying more than 200 filter values; the
// whole call fails, which is why the observer batches.
func TestEC2FilterValueLimit(t *testing.T) {
	w := NewWorld()
	conns := Fleet(w, 201)
	srv := start(t, w)
	ids := make([]string, 0, len(conns))
	for _, c := range conns {
		ids = append(ids, c.AWS.VPNConnectionIDs...)
	}
	describe := func(ids []string) (*ec2.DescribeVpnConnectionsOutput, error) {
		return ec2Client(srv, "ap-northeast-1").DescribeVpnConnections(ctx(t), &ec2.DescribeVpnConnectionsInput{
			Filters: []types.Filter{{Name: aws.String("vpn-connection-id"), Values: ids}},
		})
	}
	out, err := describe(ids[:MaxFilterValues])
	if err != nil || len(out.VpnConnections) != MaxFilterValues {
		t.Fatalf("200 values: %v, %d connections", err, len(out.VpnConnections))
	}
	_, err = describe(ids)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "FilterLimitExceeded" {
		t.Fatalf("201 values: err = %v, want FilterLimitExceeded", err)
	}
}

// The ARM budget is a token bucket per subscription: the request after the
// bucket runs dry gets 429 with Retry-After, another subscription is not
// affected, and every answer says how many reads are left.
func TestARMBudgetThrottlesPerSubscription(t *testing.T) {
	w := NewWorld()
	FleetOf(w, FleetSpec{Connections: 2, Gateways: 2, Subscriptions: 2})
	w.SetARMBudget(ARMBudget{Capacity: 3, PerSecond: 0.5})
	srv := start(t, w)
	path := func(sub, gw string) string {
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-fleet-%s/providers/Microsoft.Network/virtualNetworkGateways/vgw-fleet-%s?api-version=2025-05-01", sub, gw, gw)
	}
	for i := range 3 {
		status, h, body := armDo(t, srv, http.MethodGet, path(FleetSubscriptionN(0), "01"))
		if status != http.StatusOK {
			t.Fatalf("read %d: %d %s", i+1, status, body)
		}
		if got := h.Get("x-ms-ratelimit-remaining-subscription-reads"); got != strconv.Itoa(2-i) {
			t.Errorf("read %d: remaining reads %q, want %d", i+1, got, 2-i)
		}
	}
	status, h, body := armDo(t, srv, http.MethodGet, path(FleetSubscriptionN(0), "01"))
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "2" || h.Get("x-ms-error-code") != "SubscriptionRequestsThrottled" {
		t.Fatalf("4th read: %d Retry-After %q code %q %s", status, h.Get("Retry-After"), h.Get("x-ms-error-code"), body)
	}
	if status, _, body := armDo(t, srv, http.MethodGet, path(FleetSubscriptionN(1), "02")); status != http.StatusOK {
		t.Fatalf("other subscription: %d %s", status, body)
	}
	if got := srv.Stats().ARMThrottled; got != 1 {
		t.Errorf("ARMThrottled = %d, want 1", got)
	}
}

// The SDK sees the throttling as ARM's own 429 error.
func TestARMBudgetSeenBySDK(t *testing.T) {
	w, srv, sc := startDemo(t)
	az := sc["healthy-static"].Connection.Azure
	w.SetARMBudget(ARMBudget{Capacity: 1, PerSecond: 0.01})
	gws := armFactory(t, srv).NewVirtualNetworkGatewaysClient()
	if _, err := gws.Get(ctx(t), az.ResourceGroup, az.Gateway, nil); err != nil {
		t.Fatalf("first read: %v", err)
	}
	_, err := gws.Get(ctx(t), az.ResourceGroup, az.Gateway, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusTooManyRequests || re.ErrorCode != "SubscriptionRequestsThrottled" || re.RawResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("second read: %v", err)
	}
}

// Stats count the connections clients open, so benchmarks can show how
// many TLS handshakes a status costs.
func TestStatsCountConnections(t *testing.T) {
	_, srv, sc := startDemo(t)
	az := sc["healthy-static"].Connection.Azure
	for range 3 {
		if status, _, body := armDo(t, srv, http.MethodGet, rgPath(az.ResourceGroup)+"virtualNetworkGateways/"+az.Gateway+"?api-version=2025-05-01"); status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
	}
	if got := srv.Stats().ARMConns; got != 1 {
		t.Errorf("ARMConns = %d after three sequential reads on one client, want 1", got)
	}
	srv.Reset()
	if got := srv.Stats(); got != (Stats{}) {
		t.Errorf("after Reset: %+v", got)
	}
}
