package aws

import (
	"context"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/doorbot/doorbot/vpn/why"
)

// Bounds on one FilterLogEvents read: an hour of a flapping tunnel is a
// few hundred events; a page may be empty while a nextToken remains.
const (
	maxLogPages  = 20
	maxLogEvents = 2000
	keepEvents   = 500
)

// Maintenance reads GetVpnTunnelReplacementStatus for one tunnel: pending
// endpoint maintenance, when AWS applies it on its own, and when it last
// did. It needs ec2:GetVpnTunnelReplacementStatus.
func (c *Client) Maintenance(ctx context.Context, region, vpnID, outsideIP string) (why.Maintenance, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	out, err := c.client(region).GetVpnTunnelReplacementStatus(ctx, &ec2.GetVpnTunnelReplacementStatusInput{
		VpnConnectionId:           awssdk.String(vpnID),
		VpnTunnelOutsideIpAddress: awssdk.String(outsideIP),
	})
	if err != nil {
		return why.Maintenance{}, &Error{Region: region, Op: "GetVpnTunnelReplacementStatus", Err: err, timeout: c.opts.CallTimeout, ctxErr: ctx.Err()}
	}
	m := why.Maintenance{Tunnel: outsideIP}
	if d := out.MaintenanceDetails; d != nil {
		m.Pending = awssdk.ToString(d.PendingMaintenance)
		if d.MaintenanceAutoAppliedAfter != nil {
			m.AutoAppliedAfter = *d.MaintenanceAutoAppliedAfter
		}
		if d.LastMaintenanceApplied != nil {
			m.LastApplied = *d.LastMaintenanceApplied
		}
	}
	return m, nil
}

// LogEvent is one CloudWatch Logs event of a tunnel log group.
type LogEvent struct {
	Stream  string
	Time    time.Time
	Message string
}

// LogEvents reads a log group's events between since and until from the
// streams starting with streamPrefix (AWS names tunnel streams after the
// VPN connection ID and the tunnel's outside IP), newest kept when there
// are more than a few hundred. It needs logs:FilterLogEvents on the group.
func (c *Client) LogEvents(ctx context.Context, groupARN, streamPrefix string, since, until time.Time) ([]LogEvent, error) {
	region, group := LogGroup(groupARN)
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	fail := func(err error) ([]LogEvent, error) {
		return nil, &Error{Region: region, Op: "FilterLogEvents", Service: "logs", Err: err, timeout: c.opts.CallTimeout, ctxErr: ctx.Err()}
	}
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupIdentifier: awssdk.String(group),
		StartTime:          awssdk.Int64(since.UnixMilli()),
		EndTime:            awssdk.Int64(until.UnixMilli()),
	}
	if streamPrefix != "" {
		in.LogStreamNamePrefix = awssdk.String(streamPrefix)
	}
	var events []LogEvent
	for page := 0; page < maxLogPages && len(events) < maxLogEvents; page++ {
		out, err := c.logsClient(region).FilterLogEvents(ctx, in)
		if err != nil {
			return fail(err)
		}
		for _, e := range out.Events {
			events = append(events, LogEvent{
				Stream:  awssdk.ToString(e.LogStreamName),
				Time:    time.UnixMilli(awssdk.ToInt64(e.Timestamp)).UTC(),
				Message: awssdk.ToString(e.Message),
			})
		}
		if out.NextToken == nil || *out.NextToken == "" || (in.NextToken != nil && *in.NextToken == *out.NextToken) {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(events) > keepEvents {
		events = events[len(events)-keepEvents:]
	}
	return events, nil
}

// LogGroup splits a log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*])
// into its region and the identifier FilterLogEvents takes (the ARN without
// the trailing ":*"). Anything else is taken as a bare group name in the
// default region.
func LogGroup(arn string) (region, identifier string) {
	identifier = strings.TrimSuffix(arn, ":*")
	parts := strings.SplitN(identifier, ":", 7)
	if len(parts) == 7 && parts[0] == "arn" && parts[2] == "logs" && parts[5] == "log-group" {
		return parts[3], identifier
	}
	return "", identifier
}

func (c *Client) logsClient(region string) *cloudwatchlogs.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if region == "" {
		region = c.cfg.Region
	}
	if cl, ok := c.logs[region]; ok {
		return cl
	}
	fns := append([]func(*cloudwatchlogs.Options){func(o *cloudwatchlogs.Options) {
		o.Region = region
		o.Retryer = c.retryer()
		o.ClientLogMode = 0 // never log request or response bodies
	}}, c.opts.LogsClientOptions...)
	// cloudwatchlogs.NewFromConfig applies AWS_ENDPOINT_URL_CLOUDWATCH_LOGS
	// from cfg's config sources, as the EC2 client applies AWS_ENDPOINT_URL_EC2.
	cl := cloudwatchlogs.NewFromConfig(c.cfg, fns...)
	c.logs[region] = cl
	return cl
}
