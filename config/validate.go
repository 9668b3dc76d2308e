package config

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/doorbot/doorbot/internal/strictyaml"
	"github.com/doorbot/doorbot/vpn"
)

var (
	reApprover = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	reChannel  = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	reRegion   = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	reUUID     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reVPNID    = regexp.MustCompile(`^vpn-[0-9a-f]{8,17}$`)
	reVPGID    = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	// Azure's resource group rule is .NET's \w (Unicode letters, digits,
	// connector punctuation) plus -._(); Go's \w is ASCII only.
	reResourceGroup = regexp.MustCompile(`^[-\p{L}\p{Mn}\p{Nd}\p{Pc}.()]{1,90}$`)
	// A keyword/value DSN ("host=db password=x") carrying a password.
	reDSNPassword = regexp.MustCompile(`(?i)(^|\s)password\s*=`)
)

// Validate checks a config built or changed in code (Parse already
// validates). Messages name connections' lines when Line is set.
func (c *Config) Validate() error {
	d := strictyaml.NewDecoder(c.Source)
	for i, cc := range c.Connections {
		if cc.Line > 0 {
			d.Mark(index("connections", i), cc.Line)
		}
	}
	never := func(string) bool { return false }
	v := &validator{Problems: &d.Problems, line: d.Line, has: never, failed: never}
	v.config(c)
	if ps := d.Lines(); ps != nil {
		return &Error{Problems: ps}
	}
	return nil
}

// index names a list item in a key path.
var index = strictyaml.Index

type validator struct {
	*strictyaml.Problems
	line   func(path string) int
	has    func(path string) bool // whether the key is written in the file
	failed func(path string) bool // path or a parent has a decode problem: don't pile on
	getenv func(string) string    // the environment ($DOORBOT_STORE_DSN); nil: os.Getenv
}

func (v *validator) errf(path, format string, args ...any) {
	if !v.failed(path) {
		v.Add(v.line(path), path, format, args...)
	}
}

func (v *validator) valf(path, value, format string, args ...any) {
	if !v.failed(path) {
		v.AddValue(v.line(path), path, value, format, args...)
	}
}

func (v *validator) oneOf(path, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.valf(path, value, "must be %s", strings.Join(allowed, " or "))
}

func (v *validator) config(c *Config) {
	v.slack(&c.Slack)

	if r := c.AWS.Region; r != "" && !reRegion.MatchString(r) {
		v.valf("aws.region", r, "must be an AWS region like ap-northeast-1")
	}

	if s := c.Azure.SubscriptionID; s != "" && !reUUID.MatchString(s) {
		v.valf("azure.subscription_id", s, "must be a subscription ID (a UUID)")
	}
	v.oneOf("azure.cloud", c.Azure.Cloud, CloudPublic, CloudChina, CloudUSGov)
	if e := c.Azure.ResourceManagerEndpoint; e != "" {
		v.url("azure.resource_manager_endpoint", e, true)
	}
	if r := c.Azure.ReadRate; r <= 0 || r > 25 {
		v.errf("azure.read_rate", "must be above 0 and at most 25 reads/s, ARM's refill per subscription (got %g)", r)
	}
	if e := c.Azure.LogsEndpoint; e != "" {
		v.url("azure.logs_endpoint", e, true)
	}

	t := c.Timeouts
	if t.CloudCall <= 0 {
		v.errf("timeouts.cloud_call", "must be greater than 0 (got %s)", t.CloudCall)
	}
	if t.Status <= 0 {
		v.errf("timeouts.status", "must be greater than 0 (got %s)", t.Status)
	}
	if t.CloudCall > 0 && t.Status > 0 && t.Status < t.CloudCall {
		// Point at whichever key the user wrote: raising cloud_call past
		// the default status is the usual way to get here.
		if v.has("timeouts.cloud_call") && !v.has("timeouts.status") {
			v.errf("timeouts.cloud_call", "%s is longer than timeouts.status (%s, the default); raise timeouts.status too", t.CloudCall, t.Status)
		} else {
			v.errf("timeouts.status", "%s is shorter than timeouts.cloud_call (%s); it must allow at least one call", t.Status, t.CloudCall)
		}
	}
	if c.CacheTTL < 0 {
		v.errf("cache_ttl", "must not be negative (0 disables the cache)")
	}
	if c.Slack.ApprovalTTL < time.Minute {
		v.errf("slack.approval_ttl", "must be at least 1m (got %s)", c.Slack.ApprovalTTL)
	}

	v.oneOf("soracom.coverage", c.Soracom.Coverage, CoverageJP, CoverageG)
	if e := c.Soracom.Endpoint; e != "" {
		v.soracomEndpoint("soracom.endpoint", e)
	}

	v.oneOf("store.driver", c.Store.Driver, DriverSQLite, DriverPostgres)
	v.dsn(c.Store)

	v.alerts(c.Alerts)
	v.connections(c)
}

// channel checks an optional channel ID: Slack's chat.update needs the ID,
// and a name would only work for the first post.
func (v *validator) channel(path, ch string) {
	switch {
	case ch == "" || reChannel.MatchString(ch):
	case strings.HasPrefix(ch, "#"):
		v.valf(path, ch, "must be a channel ID like C0123ABCD, not a channel name")
	default:
		v.valf(path, ch, "must be a channel ID like C0123ABCD")
	}
}

// alerts checks the alerts: keys. Durations go down to 1s so that tests
// and simulations can run fast; the README recommends values for real
// clouds.
func (v *validator) alerts(a Alerts) {
	v.channel("alerts.channel", a.Channel)
	if a.Interval < time.Second {
		v.errf("alerts.interval", "must be at least 1s (got %s)", a.Interval)
	}
	if a.Repeat != 0 && a.Repeat < time.Second {
		v.errf("alerts.repeat", "must be 0 (never) or at least 1s (got %s)", a.Repeat)
	}
	if a.Debounce < 1 || a.Debounce > 100 {
		v.errf("alerts.debounce", "must be between 1 and 100 observations (got %d)", a.Debounce)
	}
	if a.UnobservedAfter < 1 || a.UnobservedAfter > 1000 {
		v.errf("alerts.unobserved_after", "must be between 1 and 1000 failed reads (got %d)", a.UnobservedAfter)
	}
	f := a.Flap
	if f.Window < 3 || f.Window > 1000 {
		v.errf("alerts.flap.window", "must be between 3 and 1000 observations (got %d)", f.Window)
	}
	if f.High <= 0 || f.High > 100 {
		v.errf("alerts.flap.high", "must be a percentage above 0 and at most 100 (got %g)", f.High)
	}
	if f.Low < 0 || f.Low > 100 {
		v.errf("alerts.flap.low", "must be a percentage from 0 to 100 (got %g)", f.Low)
	} else if f.High > 0 && f.Low >= f.High {
		v.errf("alerts.flap.low", "%g must be below alerts.flap.high (%g): flapping stops below where it starts", f.Low, f.High)
	}
}

func (v *validator) slack(s *Slack) {
	v.oneOf("slack.mode", s.Mode, ModeSocket, ModeHTTP)
	v.oneOf("slack.reply", s.Reply, ReplyInChannel, ReplyEphemeral)
	v.listen("slack.listen", s.Listen)
	if s.MetricsListen != "" {
		v.listen("slack.metrics_listen", s.MetricsListen)
		if s.MetricsListen == s.Listen {
			v.valf("slack.metrics_listen", s.MetricsListen, "must differ from slack.listen (leave it out to serve both on one address)")
		}
	}
	if s.APIURL != "" {
		v.url("slack.api_url", s.APIURL, false)
	}
	v.channel("slack.approvals_channel", s.ApprovalsChannel)
	seen := map[string]int{}
	for i, a := range s.Approvers {
		p := index("slack.approvers", i)
		switch j, dup := seen[a]; {
		case !reApprover.MatchString(a):
			v.valf(p, a, "must be a user ID (U… or W…) or user-group ID (S…), not a name")
		case dup:
			v.valf(p, a, "listed twice (also slack.approvers[%d])", j)
		default:
			seen[a] = i
		}
	}
	switch {
	case s.RequiredApprovals < 1:
		v.errf("slack.required_approvals", "must be at least 1 (got %d)", s.RequiredApprovals)
	case len(s.Approvers) > 0 && s.RequiredApprovals > countDistinct(s.Approvers):
		v.errf("slack.required_approvals", "%d approvals required but only %d approvers listed", s.RequiredApprovals, countDistinct(s.Approvers))
	}
}

func countDistinct(xs []string) int {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return len(m)
}

func (v *validator) listen(path, l string) {
	host, port, err := net.SplitHostPort(l)
	if err != nil {
		v.valf(path, l, "must be host:port, e.g. :8080")
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
		v.valf(path, l, "port must be a number from 0 to 65535")
		return
	}
	if strings.ContainsAny(host, " \t/\\?#@[]") {
		v.valf(path, l, "not a valid host")
	}
}

// url checks an endpoint URL. A URL carrying user:password is refused
// without echoing it, since it holds a secret.
func (v *validator) url(path, raw string, httpsOnly bool) {
	want := "an http(s) URL like https://slack.com/api/"
	if httpsOnly {
		want = "an https:// URL"
	}
	u, err := url.Parse(raw)
	if strings.Contains(raw, "@") && (err != nil || u.User != nil) {
		v.errf(path, "must not contain credentials (user:password@); secrets come only from the environment")
		return
	}
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		v.valf(path, raw, "must be %s", want)
		return
	}
	if httpsOnly && u.Scheme != "https" {
		v.valf(path, raw, "https only (the Azure SDK sends bearer tokens only over TLS)")
	}
}

// soracomEndpoint accepts https, and http only on loopback (tests and the
// simulator): the API key and token travel in request headers.
func (v *validator) soracomEndpoint(path, raw string) {
	u, err := url.Parse(raw)
	if strings.Contains(raw, "@") && (err != nil || u.User != nil) {
		v.errf(path, "must not contain credentials (user:password@); secrets come only from the environment")
		return
	}
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		v.valf(path, raw, "must be an https:// URL like https://api.soracom.io")
		return
	}
	if u.Scheme == "http" {
		h := u.Hostname()
		if ip := net.ParseIP(h); !(h == "localhost" || ip != nil && ip.IsLoopback()) {
			v.valf(path, raw, "https only (the API key and token travel in headers); http is accepted on loopback only")
		}
	}
	if p := strings.TrimRight(u.Path, "/"); strings.HasSuffix(p, "/v1") {
		v.valf(path, raw, "leave out /v1: doorbot adds it")
	}
}

// dsn never echoes the DSN: a postgres DSN may hold a password.
func (v *validator) dsn(s Store) {
	switch {
	case s.DSN == "":
		v.errf("store.dsn", "must not be empty")
	case s.Driver != DriverPostgres:
		// A sqlite DSN is a file path: nothing secret, nothing to parse.
	case s.DSN == Default().Store.DSN && envDSN(v.getenv) == "":
		// $DOORBOT_STORE_DSN may stand in for it (DSNFrom).
		v.errf("store.dsn", "required for driver postgres (e.g. postgres://doorbot@db/doorbot)")
	case dsnHasPassword(s.DSN):
		v.errf("store.dsn", "contains a password; secrets come only from the environment (PGPASSWORD)")
	}
}

func dsnHasPassword(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// Unparseable: err on the safe side only if it could hold one.
			return strings.Contains(dsn, "@") || strings.Contains(strings.ToLower(dsn), "password")
		}
		if _, ok := u.User.Password(); ok {
			return true
		}
		return u.Query().Has("password")
	}
	return reDSNPassword.MatchString(dsn)
}

func (v *validator) connections(c *Config) {
	first := map[string]int{}
	for i, cc := range c.Connections {
		p := index("connections", i)
		if v.failed(p) {
			continue
		}
		np := p + ".name"
		switch j, dup := first[cc.Name]; {
		case cc.Name == "":
			v.errf(np, "required (what users type, "+vpn.ConnectionNamePattern+")")
		case !vpn.ValidConnectionName(cc.Name):
			v.valf(np, cc.Name, "must match "+vpn.ConnectionNamePattern)
		case dup:
			where := index("connections", j)
			if l := v.line(index("connections", j) + ".name"); l > 0 {
				where += " at line " + strconv.Itoa(l)
			}
			v.valf(np, cc.Name, "duplicate name, already used by %s", where)
		default:
			first[cc.Name] = i
		}

		kp := p + ".kind"
		switch cc.Kind {
		case "":
			v.errf(kp, "required (%s or %s)", KindAWSVPN, KindSoracomDoor)
		case KindAWSVPN:
			v.awsVPN(c, cc, p+".aws")
			if cc.Soracom.VPGID != "" {
				v.errf(p+".soracom.vpg_id", "only for kind %s: an AWS VPN has no SORACOM VPG; remove it", KindSoracomDoor)
			}
		case KindSoracomDoor:
			v.soracomDoor(cc, p+".aws")
			if id := cc.Soracom.VPGID; id != "" && !reVPGID.MatchString(id) {
				v.valf(p+".soracom.vpg_id", id, "must be a VPG ID as `soracom vpg list` shows it (letters, digits and -)")
			}
		default:
			v.valf(kp, cc.Kind, "must be %s or %s", KindAWSVPN, KindSoracomDoor)
		}
		if r := cc.AWS.Region; r != "" && !reRegion.MatchString(r) {
			v.valf(p+".aws.region", r, "must be an AWS region like ap-northeast-1")
		}
		v.azure(c, cc, p+".azure")
	}
}

func (v *validator) awsVPN(c *Config, cc Connection, ap string) {
	id, ids := cc.AWS.VPNConnectionID, cc.AWS.VPNConnectionIDs
	switch {
	case id != "" && ids != nil:
		v.errf(ap+".vpn_connection_ids", "set vpn_connection_id or vpn_connection_ids, not both")
	case id == "" && ids == nil:
		v.errf(ap+".vpn_connection_id", "required for kind %s (or vpn_connection_ids for several)", KindAWSVPN)
	case ids != nil && len(ids) == 0:
		v.errf(ap+".vpn_connection_ids", "must not be empty")
	}
	if id != "" && !reVPNID.MatchString(id) {
		v.valf(ap+".vpn_connection_id", id, "must be a VPN connection ID like vpn-0123456789abcdef0")
	}
	seen := map[string]int{}
	for i, x := range ids {
		p := index(ap+".vpn_connection_ids", i)
		switch j, dup := seen[x]; {
		case !reVPNID.MatchString(x):
			v.valf(p, x, "must be a VPN connection ID like vpn-0123456789abcdef0")
		case dup:
			v.valf(p, x, "listed twice (also vpn_connection_ids[%d])", j)
		default:
			seen[x] = i
		}
	}
	if cc.AWS.Region == "" && c.AWS.Region == "" {
		v.errf(ap+".region", "required for kind %s (set it here or aws.region)", KindAWSVPN)
	}
}

func (v *validator) soracomDoor(cc Connection, ap string) {
	const why = "not used by kind %s: SORACOM owns the AWS side, so doorbot observes only Azure; remove it"
	if cc.AWS.VPNConnectionID != "" {
		v.errf(ap+".vpn_connection_id", why, KindSoracomDoor)
	}
	if cc.AWS.VPNConnectionIDs != nil {
		v.errf(ap+".vpn_connection_ids", why, KindSoracomDoor)
	}
}

func (v *validator) azure(c *Config, cc Connection, zp string) {
	z := cc.Azure
	if z.SubscriptionID == "" && z.ResourceGroup == "" && z.Gateway == "" && z.Connections == nil {
		v.errf(zp, "required (resource_group, gateway, connections)")
		return
	}
	switch rg := z.ResourceGroup; {
	case rg == "":
		v.errf(zp+".resource_group", "required")
	case !reResourceGroup.MatchString(rg) || strings.HasSuffix(rg, "."):
		v.valf(zp+".resource_group", rg, "must be an Azure resource group name (1-90 letters, digits, - _ . ( ), not ending in '.')")
	}
	switch gw := z.Gateway; {
	case gw == "":
		v.errf(zp+".gateway", "required (the virtual network gateway's name)")
	case !vpn.ValidAzureName(gw):
		v.valf(zp+".gateway", gw, "must be 1-80 of A-Z a-z 0-9 . _ -")
	}
	if len(z.Connections) == 0 {
		v.errf(zp+".connections", "at least one gateway connection is required")
	}
	seen := map[string]int{}
	for i, n := range z.Connections {
		p := index(zp+".connections", i)
		key := strings.ToLower(n)
		switch j, dup := seen[key]; {
		case !vpn.ValidAzureName(n):
			v.valf(p, n, "must be 1-80 of A-Z a-z 0-9 . _ -")
		case dup:
			// ARM names are case-insensitive: these are the same resource.
			v.valf(p, n, "listed twice (also connections[%d])", j)
		default:
			seen[key] = i
		}
	}
	switch {
	case z.SubscriptionID != "":
		if !reUUID.MatchString(z.SubscriptionID) {
			v.valf(zp+".subscription_id", z.SubscriptionID, "must be a subscription ID (a UUID)")
		}
	case c.Azure.SubscriptionID == "":
		v.errf(zp+".subscription_id", "required (set it here or azure.subscription_id)")
	}
}
