package azure

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/doorbot/doorbot/vpn/why"
)

// RBAC actions of the evidence reads, named once for errors and docs.
const (
	ActionLearnedRoutes = "Microsoft.Network/virtualNetworkGateways/getLearnedRoutes/action"
	ActionDiagnostics   = "Microsoft.Insights/logs/AzureDiagnostics/read"
)

// diagnosticsQuery reads the gateway's VPN diagnostic categories. They all
// land in the legacy AzureDiagnostics table; the columns are the ones
// Microsoft's own sample and alert queries use.
const diagnosticsQuery = `AzureDiagnostics
| where Category in ("IKEDiagnosticLog", "TunnelDiagnosticLog", "RouteDiagnosticLog", "GatewayDiagnosticLog")
| project TimeGenerated, Category, OperationName, instance_s, remoteIP_s, status_s, stateChangeReason_s, Message
| order by TimeGenerated desc
| take 500`

// GatewayID is a virtual network gateway's resource ID, which Log
// Analytics takes in place of a workspace ID.
func GatewayID(sub, rg, gateway string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworkGateways/%s", sub, rg, gateway)
}

// LearnedRoutes reads the routes the gateway learned (getLearnedRoutes, a
// POST long-running read). It needs ActionLearnedRoutes, which Reader lacks.
func (c *Client) LearnedRoutes(ctx context.Context, sub, rg, gateway string) ([]why.Route, error) {
	resp, err := gatewayRead(ctx, c, sub, rg, gateway, "get learned routes", ActionLearnedRoutes,
		func(ctx context.Context, gw *armnetwork.VirtualNetworkGatewaysClient) (*runtime.Poller[armnetwork.VirtualNetworkGatewaysClientGetLearnedRoutesResponse], error) {
			return gw.BeginGetLearnedRoutes(ctx, rg, gateway, nil)
		})
	if err != nil {
		return nil, err
	}
	var out []why.Route
	for _, r := range resp.Value {
		if r == nil {
			continue
		}
		out = append(out, why.Route{
			Network: deref(r.Network), NextHop: deref(r.NextHop), SourcePeer: deref(r.SourcePeer),
			Origin: deref(r.Origin), ASPath: deref(r.AsPath),
		})
	}
	return out, nil
}

// ErrNoDiagnostics says Log Analytics holds no AzureDiagnostics table for
// the gateway: its diagnostic settings do not send to a workspace.
var ErrNoDiagnostics = errors.New("no diagnostic records: the gateway sends no diagnostic logs to a Log Analytics workspace")

// DiagnosticRecords queries the gateway's diagnostic records between since
// and until from Log Analytics by resource ID (no workspace ID needed). It
// needs ActionDiagnostics on the gateway (or Log Analytics Reader). A
// partial result (HTTP 200 with an error) returns what it holds.
func (c *Client) DiagnosticRecords(ctx context.Context, sub, rg, gateway string, since, until time.Time) ([]why.Record, error) {
	fail := func(err error) ([]why.Record, error) {
		return nil, c.wrap(ctx, "query diagnostic logs of", "virtual network gateway", gateway, rg, ActionDiagnostics, err)
	}
	cl, err := c.logsClient()
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	wait := int(c.opts.CallTimeout / time.Second)
	if wait < 1 {
		wait = 1
	}
	resp, err := cl.QueryResource(ctx, GatewayID(sub, rg, gateway), azlogs.QueryBody{
		Query:    ptr(diagnosticsQuery),
		Timespan: ptr(azlogs.NewTimeInterval(since.UTC(), until.UTC())),
	}, &azlogs.QueryResourceOptions{Options: &azlogs.QueryOptions{Wait: &wait}})
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && (re.StatusCode == 404 || (re.StatusCode == 400 && strings.Contains(err.Error(), "Failed to resolve table"))) {
			return fail(fmt.Errorf("%w (%s)", ErrNoDiagnostics, orCode(re.ErrorCode, fmt.Sprint(re.StatusCode))))
		}
		return fail(err)
	}
	return records(resp.QueryResults), nil
}

// records turns result tables into records, by column name so that the
// column order of the service does not matter.
func records(res azlogs.QueryResults) []why.Record {
	var out []why.Record
	for _, t := range res.Tables {
		col := map[string]int{}
		for i, c := range t.Columns {
			if c.Name != nil {
				col[*c.Name] = i
			}
		}
		cell := func(row azlogs.Row, name string) string {
			i, ok := col[name]
			if !ok || i >= len(row) || row[i] == nil {
				return ""
			}
			if s, ok := row[i].(string); ok {
				return s
			}
			return fmt.Sprint(row[i])
		}
		for _, row := range t.Rows {
			at, err := time.Parse(time.RFC3339Nano, cell(row, "TimeGenerated"))
			if err != nil {
				continue
			}
			category := cell(row, "Category")
			if category == "" {
				continue
			}
			text := cell(row, "Message")
			if reason := cell(row, "stateChangeReason_s"); reason != "" {
				text = strings.TrimSpace(text + " reason: " + reason)
			}
			if status := cell(row, "status_s"); status != "" && text == "" {
				text = status
			}
			out = append(out, why.Record{
				Source:    "azure:" + category,
				Time:      at.UTC(),
				Tunnel:    cell(row, "remoteIP_s"),
				Operation: cell(row, "OperationName"),
				Instance:  cell(row, "instance_s"),
				Text:      text,
			})
		}
	}
	return out
}

func (c *Client) logsClient() (*azlogs.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logs != nil {
		return c.logs, nil
	}
	opts := c.opts.Logs
	if reflect.ValueOf(opts.Cloud).IsZero() {
		opts.Cloud = cloud.AzurePublic
	}
	opts.Retry = c.opts.ClientOptions.Retry
	cl, err := azlogs.NewClient(c.cred, &opts)
	if err != nil {
		return nil, err
	}
	c.logs = cl
	return cl, nil
}

// LogsClientOptionsFor builds Log Analytics client options for a named
// cloud (api.loganalytics.io, .azure.cn, .us) or a custom endpoint
// (azure.logs_endpoint: sovereign clouds, proxies, tests). Only https.
func LogsClientOptionsFor(cloudName, endpoint string, transport policy.Transporter) (azlogs.ClientOptions, error) {
	var opts azlogs.ClientOptions
	base, err := cloudConfig(cloudName, "")
	if err != nil {
		return opts, err
	}
	svc := base.Services[azlogs.ServiceName]
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return opts, fmt.Errorf("azure: logs_endpoint %q must be an https URL", endpoint)
		}
		svc.Endpoint = strings.TrimRight(endpoint, "/")
		if svc.Audience == "" {
			svc.Audience = cloud.AzurePublic.Services[azlogs.ServiceName].Audience
		}
	}
	opts.Cloud = cloud.Configuration{
		ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost,
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{azlogs.ServiceName: svc},
	}
	if transport != nil {
		opts.Transport = transport
	}
	return opts, nil
}

func ptr[T any](v T) *T { return &v }
