// Package aws reads AWS Site-to-Site VPN connections through the EC2 API and
// turns them into vpn observations. It only ever calls Describe operations,
// and it drops pre-shared keys at this boundary: nothing it returns can carry
// one.
package aws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/doorbot/doorbot/vpn"
)

// Options tune the adapter.
type Options struct {
	// CallTimeout bounds one EC2 call including its retries; the retryer's
	// backoff is sized so that retries fit inside it.
	CallTimeout time.Duration
	// MaxAttempts per call (first try included); 0 means 3.
	MaxAttempts int
	// ClientOptions are applied to every regional client after doorbot's own
	// (tests and the demo point BaseEndpoint at a local server here).
	ClientOptions []func(*ec2.Options)
	// LogsClientOptions are applied to every CloudWatch Logs client (tunnel
	// logs, read by `why`) after doorbot's own.
	LogsClientOptions []func(*cloudwatchlogs.Options)
}

// Client reads VPN connections, one EC2 client per region.
type Client struct {
	cfg  awssdk.Config
	opts Options

	mu      sync.Mutex
	regions map[string]*ec2.Client
	logs    map[string]*cloudwatchlogs.Client
}

// New builds an adapter on an aws.Config from the standard credential chain
// (config.LoadDefaultConfig), so AWS_ENDPOINT_URL_EC2 and profiles apply.
func New(cfg awssdk.Config, opts Options) *Client {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 8 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 3
	}
	return &Client{cfg: cfg, opts: opts, regions: map[string]*ec2.Client{}, logs: map[string]*cloudwatchlogs.Client{}}
}

func (c *Client) client(region string) *ec2.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.regions[region]; ok {
		return cl
	}
	fns := append([]func(*ec2.Options){func(o *ec2.Options) {
		o.Region = region
		o.Retryer = c.retryer()
		o.ClientLogMode = 0 // never log request or response bodies: they carry keys
	}}, c.opts.ClientOptions...)
	cl := ec2.NewFromConfig(c.cfg, fns...)
	c.regions[region] = cl
	return cl
}

// MaxIDsPerCall is the most VPN connection IDs DescribeVPNConnections takes:
// EC2 refuses a call with more than 200 filter values (FilterLimitExceeded).
const MaxIDsPerCall = 200

// retryer is the retry policy of every client. The default retryer backs
// off up to 20 s on throttling, longer than a status may take; cap the
// backoff so that every attempt fits the call deadline, and drop the retry
// quota so a throttling storm reports "throttled" rather than an opaque
// quota error.
func (c *Client) retryer() awssdk.Retryer {
	maxBackoff := c.opts.CallTimeout / time.Duration(2*c.opts.MaxAttempts)
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = c.opts.MaxAttempts
		so.MaxBackoff = maxBackoff
		so.RateLimiter = ratelimit.None
	})
}

// DescribeVPNConnections reads the given VPN connections of one region in a
// single DescribeVpnConnections call; callers batch by MaxIDsPerCall. IDs are passed as a filter rather than
// as VpnConnectionId so that one unknown ID does not fail the whole batch;
// IDs that EC2 does not return are simply absent from the result.
func (c *Client) DescribeVPNConnections(ctx context.Context, region string, ids []string) (map[string]vpn.AWSVPNConnection, error) {
	if len(ids) == 0 {
		return map[string]vpn.AWSVPNConnection{}, nil
	}
	if len(ids) > MaxIDsPerCall {
		return nil, fmt.Errorf("aws: DescribeVpnConnections in %s: %d IDs in one call, EC2 takes at most %d", region, len(ids), MaxIDsPerCall)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	out, err := c.client(region).DescribeVpnConnections(ctx, &ec2.DescribeVpnConnectionsInput{
		Filters: []types.Filter{{Name: awssdk.String("vpn-connection-id"), Values: ids}},
	})
	if err != nil {
		return nil, &Error{Region: region, Op: "DescribeVpnConnections", Err: err, timeout: c.opts.CallTimeout, ctxErr: ctx.Err()}
	}
	res := make(map[string]vpn.AWSVPNConnection, len(out.VpnConnections))
	for _, v := range out.VpnConnections {
		conv := convert(v)
		if slices.Contains(ids, conv.ID) {
			res[conv.ID] = conv
		}
	}
	return res, nil
}

// convert copies what doorbot uses. PreSharedKey and
// CustomerGatewayConfiguration are deliberately never read.
func convert(v types.VpnConnection) vpn.AWSVPNConnection {
	out := vpn.AWSVPNConnection{
		ID:                awssdk.ToString(v.VpnConnectionId),
		State:             string(v.State),
		CustomerGatewayID: awssdk.ToString(v.CustomerGatewayId),
	}
	var opts []types.TunnelOption
	if v.Options != nil {
		out.StaticRoutesOnly = awssdk.ToBool(v.Options.StaticRoutesOnly)
		opts = v.Options.TunnelOptions
	}
	for _, r := range v.Routes {
		if r.DestinationCidrBlock != nil && !strings.EqualFold(string(r.State), "deleted") {
			out.StaticRoutes = append(out.StaticRoutes, *r.DestinationCidrBlock)
		}
	}
	// Telemetry and options both carry the outside IP; AWS documents no
	// ordering, so join on the IP and keep telemetry order for the tunnels.
	seen := map[string]bool{}
	for _, t := range v.VgwTelemetry {
		ip := awssdk.ToString(t.OutsideIpAddress)
		tun := vpn.AWSTunnel{
			OutsideIP:      ip,
			Status:         strings.ToUpper(string(t.Status)),
			StatusMessage:  awssdk.ToString(t.StatusMessage),
			AcceptedRoutes: int(awssdk.ToInt32(t.AcceptedRouteCount)),
		}
		if t.LastStatusChange != nil {
			tun.LastStatusChange = *t.LastStatusChange
		}
		for _, o := range opts {
			if awssdk.ToString(o.OutsideIpAddress) == ip {
				tun.Options = tunnelOptions(o)
			}
		}
		seen[ip] = true
		out.Tunnels = append(out.Tunnels, tun)
	}
	// A tunnel with options but no telemetry yet (a connection still
	// pending) is listed with unknown status rather than dropped.
	for _, o := range opts {
		ip := awssdk.ToString(o.OutsideIpAddress)
		if ip == "" || seen[ip] {
			continue
		}
		out.Tunnels = append(out.Tunnels, vpn.AWSTunnel{OutsideIP: ip, Options: tunnelOptions(o)})
	}
	return out
}

func tunnelOptions(o types.TunnelOption) vpn.TunnelOptions {
	t := vpn.TunnelOptions{
		InsideCIDR:        awssdk.ToString(o.TunnelInsideCidr),
		Phase1Lifetime:    int(awssdk.ToInt32(o.Phase1LifetimeSeconds)),
		Phase2Lifetime:    int(awssdk.ToInt32(o.Phase2LifetimeSeconds)),
		DPDTimeoutSeconds: int(awssdk.ToInt32(o.DpdTimeoutSeconds)),
		DPDTimeoutAction:  strings.ToLower(awssdk.ToString(o.DpdTimeoutAction)),
		StartupAction:     strings.ToLower(awssdk.ToString(o.StartupAction)),
	}
	if o.LogOptions != nil && o.LogOptions.CloudWatchLogOptions != nil {
		l := o.LogOptions.CloudWatchLogOptions
		t.Logs = vpn.TunnelLogs{
			Enabled:     awssdk.ToBool(l.LogEnabled),
			GroupARN:    awssdk.ToString(l.LogGroupArn),
			Format:      strings.ToLower(awssdk.ToString(l.LogOutputFormat)),
			BGPEnabled:  awssdk.ToBool(l.BgpLogEnabled),
			BGPGroupARN: awssdk.ToString(l.BgpLogGroupArn),
			BGPFormat:   strings.ToLower(awssdk.ToString(l.BgpLogOutputFormat)),
		}
	}
	for _, x := range o.IkeVersions {
		t.IKEVersions = appendStr(t.IKEVersions, strings.ToLower(awssdk.ToString(x.Value)))
	}
	for _, x := range o.Phase1EncryptionAlgorithms {
		t.Phase1Encryption = appendStr(t.Phase1Encryption, strings.ToUpper(awssdk.ToString(x.Value)))
	}
	for _, x := range o.Phase2EncryptionAlgorithms {
		t.Phase2Encryption = appendStr(t.Phase2Encryption, strings.ToUpper(awssdk.ToString(x.Value)))
	}
	for _, x := range o.Phase1IntegrityAlgorithms {
		t.Phase1Integrity = appendStr(t.Phase1Integrity, strings.ToUpper(awssdk.ToString(x.Value)))
	}
	for _, x := range o.Phase2IntegrityAlgorithms {
		t.Phase2Integrity = appendStr(t.Phase2Integrity, strings.ToUpper(awssdk.ToString(x.Value)))
	}
	for _, x := range o.Phase1DHGroupNumbers {
		if x.Value != nil {
			t.Phase1DHGroups = append(t.Phase1DHGroups, int(*x.Value))
		}
	}
	for _, x := range o.Phase2DHGroupNumbers {
		if x.Value != nil {
			t.Phase2DHGroups = append(t.Phase2DHGroups, int(*x.Value))
		}
	}
	return t
}

func appendStr(s []string, v string) []string {
	if v == "" {
		return s
	}
	return append(s, v)
}

// Error is a failed EC2 read with what the user should check.
type Error struct {
	Region string
	Op     string
	// Service is the IAM prefix of the call: "ec2" (default) or "logs".
	Service string
	Err     error
	timeout time.Duration
	ctxErr  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("aws: %s in %s: %v", e.Op, e.Region, e.Err)
}

// iam is the IAM action prefix and api the service name people read.
func (e *Error) names() (iam, api, env string) {
	if e.Service == "logs" {
		return "logs", "CloudWatch Logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"
	}
	return "ec2", "EC2", "AWS_ENDPOINT_URL_EC2"
}

func (e *Error) Unwrap() error { return e.Err }

// Class names the kind of failure for metrics: throttled, denied, auth,
// not_found, timeout or error.
func (e *Error) Class() string {
	var apiErr smithy.APIError
	if errors.As(e.Err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case code == "RequestLimitExceeded" || strings.HasPrefix(code, "Throttling"):
			return "throttled"
		case code == "UnauthorizedOperation" || strings.HasPrefix(code, "AccessDenied"):
			return "denied"
		case code == "AuthFailure" || code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || strings.HasPrefix(code, "ExpiredToken") || code == "RequestExpired":
			return "auth"
		case strings.HasSuffix(code, ".NotFound") || code == "ResourceNotFoundException":
			return "not_found"
		}
		return "error"
	}
	if errors.Is(e.ctxErr, context.DeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

// Hint says in one line what failed and what to check. It is built from
// error codes, never from response bodies, so it cannot carry a key.
func (e *Error) Hint() string {
	iam, api, env := e.names()
	var apiErr smithy.APIError
	if errors.As(e.Err, &apiErr) {
		code := apiErr.ErrorCode()
		switch {
		case code == "RequestLimitExceeded" || code == "Throttling" || code == "ThrottlingException":
			return fmt.Sprintf("%s is throttling %s in %s (%s); retry in a minute, and check other tools calling %s in this account", api, e.Op, e.Region, code, api)
		case code == "UnauthorizedOperation" || code == "AccessDenied" || code == "AccessDeniedException":
			return fmt.Sprintf("permission denied for %s:%s in %s (%s); allow %s:%s in the IAM policy of doorbot's role", iam, e.Op, e.Region, code, iam, e.Op)
		case code == "AuthFailure" || code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || strings.HasPrefix(code, "ExpiredToken") || code == "RequestExpired":
			return fmt.Sprintf("AWS rejected the credentials for %s in %s (%s); check that the access key or role session is valid and not expired", e.Op, e.Region, code)
		case code == "OptInRequired" || code == "InvalidRegion":
			return fmt.Sprintf("region %s is not usable for this account (%s); check aws.region", e.Region, code)
		default:
			return fmt.Sprintf("%s %s in %s failed: %s", api, e.Op, e.Region, code)
		}
	}
	msg := e.Err.Error()
	switch {
	case errors.Is(e.ctxErr, context.DeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("%s %s in %s timed out after %s; check network access to the %s endpoint (proxy, firewall, %s)", api, e.Op, e.Region, e.timeout, api, env)
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("%s %s in %s was cancelled: the status deadline passed", api, e.Op, e.Region)
	case strings.Contains(msg, "get identity") || strings.Contains(msg, "failed to refresh cached credentials") || strings.Contains(msg, "no EC2 IMDS role"):
		return "no usable AWS credentials: set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run doorbot with an IAM role"
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(e.Err, &re) {
		return fmt.Sprintf("%s %s in %s failed with HTTP %s", api, e.Op, e.Region, strconv.Itoa(re.HTTPStatusCode()))
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(e.Err, &certErr) {
		return fmt.Sprintf("the %s endpoint's TLS certificate is not trusted (%s); check %s and the system CA bundle", api, e.Region, env)
	}
	var netErr net.Error
	if errors.As(e.Err, &netErr) {
		return fmt.Sprintf("%s %s in %s failed: cannot reach the endpoint; check network access and %s", api, e.Op, e.Region, env)
	}
	// The SDK's text may quote the response body, which carries keys:
	// name the failure's type only.
	return fmt.Sprintf("%s %s in %s failed: unexpected response (%T)", api, e.Op, e.Region, errors.Unwrap(e.Err))
}
