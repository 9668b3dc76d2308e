package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

func logsClient(srv *Server) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(aws.Config{
		Region:      "ap-northeast-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  srv.EC2HTTPClient(),
	}, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(srv.LogsURL)
		o.RetryMaxAttempts = 1
	})
}

func laClient(t *testing.T, srv *Server) *azlogs.Client {
	t.Helper()
	c, err := azlogs.NewClient(staticToken{}, &azlogs.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			azlogs.ServiceName: {Endpoint: srv.LogAnalyticsURL, Audience: "https://api.loganalytics.io"},
		}},
		Transport: srv.HTTPClient(),
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCloudWatchLogsFilterLogEvents(t *testing.T) {
	_, srv, sc := startDemo(t)
	s := sc["psk-mismatch"]
	vpnID := s.Connection.AWS.VPNConnectionIDs[0]
	group := "arn:aws:logs:ap-northeast-1:123456789012:log-group:/aws/vendedlogs/vpn/" + vpnID
	now := time.Now()
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupIdentifier:  aws.String(group),
		LogStreamNamePrefix: aws.String(vpnID),
		StartTime:           aws.Int64(now.Add(-time.Hour).UnixMilli()),
		EndTime:             aws.Int64(now.UnixMilli()),
		Limit:               aws.Int32(4), // forces pages: the SDK paginator follows nextToken
	}
	var events []cwltypes.FilteredLogEvent
	p := cloudwatchlogs.NewFilterLogEventsPaginator(logsClient(srv), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Events...)
	}
	if len(events) != 6 {
		t.Fatalf("got %d events, want the 6 of tunnel 2", len(events))
	}
	for i, e := range events {
		if !strings.Contains(*e.Message, "pre-shared key mismatch") || !strings.Contains(*e.LogStreamName, "203.0.113.81") {
			t.Errorf("event %d = %s on %s", i, *e.Message, *e.LogStreamName)
		}
		if i > 0 && *e.Timestamp < *events[i-1].Timestamp {
			t.Errorf("events not in time order")
		}
	}
	var sawTarget bool
	for _, r := range srv.Requests() {
		if r.Cloud == CloudAWSLogs && r.Action == "FilterLogEvents" && r.Region == "ap-northeast-1" && r.Authorized && !r.Mutation {
			sawTarget = true
		}
	}
	if !sawTarget {
		t.Errorf("FilterLogEvents not recorded as a signed read: %+v", srv.Requests())
	}

	// A group that does not exist answers as CloudWatch Logs does.
	in.LogGroupIdentifier = aws.String(group + "-gone")
	_, err := logsClient(srv).FilterLogEvents(ctx(t), in)
	var nf *cwltypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing group: %v, want ResourceNotFoundException", err)
	}

	// A write is recorded as a mutation and refused.
	_, err = logsClient(srv).PutRetentionPolicy(ctx(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("PutRetentionPolicy: %v", err)
	}
	if m := srv.Mutations(); len(m) != 1 || m[0].Action != "PutRetentionPolicy" {
		t.Errorf("mutations = %+v", m)
	}
}

func TestCloudWatchLogsFaults(t *testing.T) {
	w, _ := DemoWorld()
	w.AddFault(CloudAWSLogs, Fault{Status: 403})
	srv := start(t, w)
	_, err := logsClient(srv).FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" || !strings.Contains(api.ErrorMessage(), "logs:FilterLogEvents") {
		t.Errorf("403 fault: %v", err)
	}
}

func TestGetVpnTunnelReplacementStatus(t *testing.T) {
	_, srv, sc := startDemo(t)
	c := sc["maintenance"].Connection
	id := c.AWS.VPNConnectionIDs[0]
	cl := ec2Client(srv, c.AWS.Region)
	out, err := cl.GetVpnTunnelReplacementStatus(ctx(t), &ec2.GetVpnTunnelReplacementStatusInput{
		VpnConnectionId: aws.String(id), VpnTunnelOutsideIpAddress: aws.String("203.0.113.111"),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := out.MaintenanceDetails
	if *out.VpnConnectionId != id || d == nil || aws.ToString(d.PendingMaintenance) != "Tunnel endpoint replacement" ||
		d.MaintenanceAutoAppliedAfter == nil || time.Until(*d.MaintenanceAutoAppliedAfter) < 71*time.Hour {
		t.Errorf("tunnel 2 = %+v %+v", out, d)
	}
	out, err = cl.GetVpnTunnelReplacementStatus(ctx(t), &ec2.GetVpnTunnelReplacementStatusInput{
		VpnConnectionId: aws.String(id), VpnTunnelOutsideIpAddress: aws.String("198.51.100.111"),
	})
	if err != nil || out.MaintenanceDetails.LastMaintenanceApplied == nil || time.Since(*out.MaintenanceDetails.LastMaintenanceApplied) > 6*time.Minute {
		t.Errorf("tunnel 1 = %+v, %v", out, err)
	}
	_, err = cl.GetVpnTunnelReplacementStatus(ctx(t), &ec2.GetVpnTunnelReplacementStatusInput{
		VpnConnectionId: aws.String(id), VpnTunnelOutsideIpAddress: aws.String("192.0.2.1"),
	})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("foreign IP: %v", err)
	}
}

func TestLogAnalyticsQueryResource(t *testing.T) {
	_, srv, _ := startDemo(t)
	gw := "/subscriptions/" + SubscriptionID + "/resourceGroups/rg-psk-mismatch/providers/Microsoft.Network/virtualNetworkGateways/vgw-aws"
	query := "AzureDiagnostics | where Category in (\"IKEDiagnosticLog\")"
	now := time.Now().UTC()
	res, err := laClient(t, srv).QueryResource(ctx(t), gw, azlogs.QueryBody{
		Query:    &query,
		Timespan: ptrTo(azlogs.NewTimeInterval(now.Add(-time.Hour), now)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || len(res.Tables[0].Rows) != 2 || *res.Tables[0].Columns[0].Name != "TimeGenerated" {
		t.Fatalf("tables = %+v", res.Tables)
	}
	newest := res.Tables[0].Rows[0]
	if newest[1] != "IKEDiagnosticLog" || !strings.Contains(newest[7].(string), "Remote 203.0.113.81:500") {
		t.Errorf("newest row = %v", newest)
	}

	// A gateway without diagnostic settings: the table does not resolve.
	_, err = laClient(t, srv).QueryResource(ctx(t), strings.Replace(gw, "rg-psk-mismatch", "rg-no-logs", 1), azlogs.QueryBody{Query: &query}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || !strings.Contains(err.Error(), "Failed to resolve table") {
		t.Errorf("no diagnostics: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Cloud == CloudAzureLogs && (r.Action != "QueryResource" || !r.Authorized || r.Mutation) {
			t.Errorf("request %+v", r)
		}
	}
}

func TestGetLearnedRoutesIsALongRunningRead(t *testing.T) {
	_, srv, _ := startDemo(t)
	gw := armFactory(t, srv).NewVirtualNetworkGatewaysClient()
	poller, err := gw.BeginGetLearnedRoutes(ctx(t), "rg-bgp-single-ip", "vgw-aws", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := poller.PollUntilDone(ctx(t), &runtime.PollUntilDoneOptions{Frequency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Value) != 2 || *res.Value[1].SourcePeer != "169.254.21.1" || *res.Value[1].Origin != "EBgp" {
		t.Errorf("routes = %+v", res.Value)
	}
	var sawPost, sawPoll bool
	for _, r := range srv.Requests() {
		sawPost = sawPost || (r.Action == "GetLearnedRoutes" && r.Method == "POST" && !r.Mutation)
		sawPoll = sawPoll || r.Action == "GetOperationResult"
	}
	if !sawPost || !sawPoll || len(srv.Mutations()) != 0 {
		t.Errorf("want a POST read then a poll, no mutation: %+v", srv.Requests())
	}
}

func ptrTo[T any](v T) *T { return &v }
