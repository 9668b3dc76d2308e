package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// y joins lines so each test's line numbers can be counted in the source.
func y(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

const src = "doorbot.yaml"

// conn is a valid aws-vpn connection; tests append broken keys to it.
var conn = []string{
	"connections:",
	"  - name: prod",
	"    kind: aws-vpn",
	"    aws:",
	"      vpn_connection_id: vpn-0123456789abcdef0",
	"      region: ap-northeast-1",
	"    azure:",
	"      subscription_id: 00000000-0000-0000-0000-000000000000",
	"      resource_group: rg-network",
	"      gateway: vgw-prod",
	"      connections: [cn1, cn2]",
}

func withConn(extra ...string) []byte { return y(append(append([]string{}, conn...), extra...)...) }

func TestExampleFromDesign(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "doorbot.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Slack: Slack{
			Mode: "socket", Listen: ":8080", Reply: "in_channel",
			ApprovalsChannel: "C0123ABCD", Approvers: []string{"U0123ABCD", "S0456EFGH"}, RequiredApprovals: 1, ApprovalTTL: 24 * time.Hour,
		},
		AWS:      AWS{Region: "ap-northeast-1"},
		Azure:    Azure{SubscriptionID: "00000000-0000-0000-0000-000000000000", Cloud: "public", ReadRate: 20},
		Timeouts: Timeouts{CloudCall: 8 * time.Second, Status: 20 * time.Second},
		CacheTTL: 20 * time.Second,
		Store:    Store{Driver: "sqlite", DSN: "doorbot.db"},
		Alerts: Alerts{Channel: "C0ALERTS01", Interval: time.Minute, Debounce: 2, Repeat: time.Hour, UnobservedAfter: 5,
			Flap: Flap{Window: 21, High: 20, Low: 5}},
		Soracom: Soracom{Coverage: "jp"},
		Connections: []Connection{{
			Name: "azure-prod", Kind: "aws-vpn",
			AWS: ConnectionAWS{VPNConnectionID: "vpn-0123456789abcdef0", Region: "ap-northeast-1"},
			Azure: ConnectionAzure{
				ResourceGroup: "rg-network", Gateway: "vgw-prod",
				Connections: []string{"cn-aws-tunnel1", "cn-aws-tunnel2"},
			},
			Line: 35,
		}},
		Source: filepath.Join("testdata", "doorbot.yaml"),
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty mapping":  y("{}"),
		"empty sections": y("slack:", "aws:", "azure:", "timeouts:", "store:", "connections:"),
		"null values":    y("slack:", "  mode: ~", "timeouts:", "  status:", "cache_ttl: null"),
		"empty list":     y("connections: []"),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(data, src)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			want.Source = src
			if name == "empty list" {
				want.Connections = []Connection{}
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got  %+v\nwant %+v", c, want)
			}
		})
	}
	d := Default()
	if d.Slack.Mode != "socket" || d.Slack.Listen != ":8080" || d.Slack.Reply != "in_channel" ||
		d.Slack.RequiredApprovals != 1 || d.Azure.Cloud != "public" ||
		d.Timeouts.CloudCall != 8*time.Second || d.Timeouts.Status != 20*time.Second ||
		d.CacheTTL != 20*time.Second || d.Store.Driver != "sqlite" || d.Store.DSN != "doorbot.db" ||
		d.Connections != nil {
		t.Errorf("Default() = %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestValidVariants(t *testing.T) {
	for name, tc := range map[string]struct {
		data  []byte
		check func(*Config) bool
	}{
		"cache disabled": {y("cache_ttl: 0"), func(c *Config) bool { return c.CacheTTL == 0 }},
		"compound duration": {y("timeouts:", "  cloud_call: 1m30s", "  status: 2m"),
			func(c *Config) bool { return c.Timeouts.CloudCall == 90*time.Second }},
		"http mode": {y("slack:", "  mode: http", "  listen: 127.0.0.1:9000", "  reply: ephemeral", "  api_url: http://localhost:1/api/"),
			func(c *Config) bool { return c.Slack.Mode == "http" && c.Slack.Reply == "ephemeral" }},
		"metrics apart": {y("slack:", "  mode: http", "  listen: :8080", "  metrics_listen: 127.0.0.1:9090"),
			func(c *Config) bool { return c.Slack.MetricsListen == "127.0.0.1:9090" }},
		"gov region and usgov": {y("aws:", "  region: us-gov-west-1", "azure:", "  cloud: usgov", "  resource_manager_endpoint: https://management.usgovcloudapi.net/"),
			func(c *Config) bool { return c.Azure.Cloud == "usgov" }},
		"logs endpoint": {y("azure:", "  cloud: china", "  logs_endpoint: https://loganalytics.proxy.example/"),
			func(c *Config) bool { return c.Azure.LogsEndpoint == "https://loganalytics.proxy.example/" }},
		"postgres": {y("store:", "  driver: postgres", "  dsn: postgres://doorbot@db:5432/doorbot?sslmode=require"),
			func(c *Config) bool { return c.Store.Driver == "postgres" }},
		"soracom door without aws": {y(
			"azure:",
			"  subscription_id: 00000000-0000-0000-0000-000000000000",
			"connections:",
			"  - name: door-1",
			"    kind: soracom-door",
			"    azure: {resource_group: rg(net)_1, gateway: vgw, connections: [a]}",
		), func(c *Config) bool { return c.Connections[0].Kind == "soracom-door" && c.Connections[0].Line == 4 }},
		"soracom door with vpg and coverage g": {y(
			"soracom: {coverage: g, endpoint: \"http://127.0.0.1:8081\"}",
			"azure: {subscription_id: 00000000-0000-0000-0000-000000000000}",
			"connections:",
			"  - name: door-1",
			"    kind: soracom-door",
			"    soracom: {vpg_id: 5e2c7a90-1b3d-4f6e-8a9c-0d1e2f3a4b04}",
			"    azure: {resource_group: rg, gateway: vgw, connections: [a, b]}",
		), func(c *Config) bool {
			v := c.VPNConnections()[0]
			return c.Soracom == Soracom{Coverage: "g", Endpoint: "http://127.0.0.1:8081"} && v.Soracom.VPGID == "5e2c7a90-1b3d-4f6e-8a9c-0d1e2f3a4b04" && v.ObservesSoracom()
		}},
		"soracom https endpoint": {y("soracom:", "  endpoint: https://api-sandbox.soracom.io"),
			func(c *Config) bool {
				return c.Soracom.Endpoint == "https://api-sandbox.soracom.io" && c.Soracom.Coverage == "jp"
			}},
		"several vpn ids": {y(
			"aws: {region: eu-west-1}",
			"connections:",
			"  - name: bgp",
			"    kind: aws-vpn",
			"    aws: {vpn_connection_ids: [vpn-0123456789abcdef0, vpn-0123456789abcdef1]}",
			"    azure: {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg, gateway: gw, connections: [a, b]}",
		), func(c *Config) bool { return len(c.Connections[0].AWS.VPNConnectionIDs) == 2 }},
		"alias reuse": {y(
			"connections:",
			"  - name: a",
			"    kind: soracom-door",
			"    azure: &az {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg, gateway: gw, connections: [a]}",
			"  - name: b",
			"    kind: soracom-door",
			"    azure: *az",
		), func(c *Config) bool { return c.Connections[1].Azure.Gateway == "gw" }},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(tc.data, src)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string // the whole message
	}{
		// File shape.
		{"empty file", []byte(""), "doorbot.yaml: empty config"},
		{"only comments", y("# nothing here"), "doorbot.yaml: empty config"},
		{"only document marker", y("---"), "doorbot.yaml: empty config"},
		{"scalar top level", y("hello"), "doorbot.yaml:1: top level must be a mapping (slack:, aws:, azure:, connections: ...), not a string"},
		{"list top level", y("- a"), "doorbot.yaml:1: top level must be a mapping (slack:, aws:, azure:, connections: ...), not a list"},
		{"two documents", y("slack: {}", "---", "aws: {}"), "doorbot.yaml:2: multiple YAML documents; put the whole config in one"},
		// The YAML library reports the line of the enclosing mapping.
		{"syntax", y("slack:", "  mode: socket", " listen: x"), "doorbot.yaml:2: invalid YAML: did not find expected key"},
		{"tab indent", y("slack:", "\tmode: socket"), "doorbot.yaml:2: invalid YAML: found character that cannot start any token"},

		// Keys.
		{"unknown key", y("slack:", "  mode: socket", "  mood: happy"),
			"doorbot.yaml:3: slack.mood: unknown key (known: mode, listen, metrics_listen, api_url, reply, approvals_channel, approvers, required_approvals, approval_ttl)"},
		{"unknown top-level key", y("slak:", "  mode: socket"),
			"doorbot.yaml:1: slak: unknown key (known: slack, aws, azure, timeouts, cache_ttl, store, alerts, soracom, connections)"},
		{"unknown alerts key", y("alerts:", "  chanel: C0ALERTS01"),
			"doorbot.yaml:2: alerts.chanel: unknown key (known: channel, interval, debounce, repeat, unobserved_after, flap)"},
		{"alerts channel name", y("alerts:", "  channel: \"#ops\""), `doorbot.yaml:2: alerts.channel "#ops": must be a channel ID like C0123ABCD, not a channel name`},
		{"alerts interval below 1s", y("alerts:", "  interval: 500ms"), "doorbot.yaml:2: alerts.interval: must be at least 1s (got 500ms)"},
		{"alerts repeat below 1s", y("alerts:", "  repeat: 10ms"), "doorbot.yaml:2: alerts.repeat: must be 0 (never) or at least 1s (got 10ms)"},
		{"alerts debounce 0", y("alerts:", "  debounce: 0"), "doorbot.yaml:2: alerts.debounce: must be between 1 and 100 observations (got 0)"},
		{"alerts unobserved_after 0", y("alerts:", "  unobserved_after: 0"), "doorbot.yaml:2: alerts.unobserved_after: must be between 1 and 1000 failed reads (got 0)"},
		{"alerts flap window", y("alerts:", "  flap: {window: 2}"), "doorbot.yaml:2: alerts.flap.window: must be between 3 and 1000 observations (got 2)"},
		{"alerts flap high", y("alerts:", "  flap: {high: 120}"), "doorbot.yaml:2: alerts.flap.high: must be a percentage above 0 and at most 100 (got 120)"},
		{"alerts flap low above high", y("alerts:", "  flap: {high: 20, low: 25}"), "doorbot.yaml:2: alerts.flap.low: 25 must be below alerts.flap.high (20): flapping stops below where it starts"},
		{"alerts flap high not a number", y("alerts:", "  flap: {high: lots}"), `doorbot.yaml:2: alerts.flap.high "lots": must be a number`},
		{"alerts interval not a duration", y("alerts:", "  interval: 60"), `doorbot.yaml:2: alerts.interval "60": not a duration (use e.g. 8s)`},
		{"unknown connection key", withConn("    nmae: x"),
			"doorbot.yaml:12: connections[0].nmae: unknown key (known: name, kind, aws, azure, soracom)"},
		{"unknown soracom key", y("soracom:", "  coverage: jp", "  region: jp"),
			"doorbot.yaml:3: soracom.region: unknown key (known: coverage, endpoint)"},
		{"unknown connection soracom key", y("connections:", "  - name: door", "    kind: soracom-door", "    azure: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: rg, gateway: gw, connections: [a]}", "    soracom: {vpg: x}"),
			"doorbot.yaml:5: connections[0].soracom.vpg: unknown key (known: vpg_id)"},
		{"soracom coverage", y("soracom: {coverage: global}"), `doorbot.yaml:1: soracom.coverage "global": must be jp or g`},
		{"soracom endpoint http", y("soracom:", "  endpoint: http://api.soracom.io"),
			`doorbot.yaml:2: soracom.endpoint "http://api.soracom.io": https only (the API key and token travel in headers); http is accepted on loopback only`},
		{"soracom endpoint with v1", y("soracom:", "  endpoint: https://api.soracom.io/v1"),
			`doorbot.yaml:2: soracom.endpoint "https://api.soracom.io/v1": leave out /v1: doorbot adds it`},
		{"soracom auth key in file", y("soracom:", "  auth_key: secret-abc"),
			"doorbot.yaml:2: soracom.auth_key: secrets come only from the environment (SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY)"},
		{"vpg id on aws-vpn", withConn("    soracom: {vpg_id: abc}"),
			"doorbot.yaml:12: connections[0].soracom.vpg_id: only for kind soracom-door: an AWS VPN has no SORACOM VPG; remove it"},
		{"vpg id shape", y("connections:", "  - name: door", "    kind: soracom-door", "    azure: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: rg, gateway: gw, connections: [a]}", "    soracom: {vpg_id: vpg/1}"),
			`doorbot.yaml:5: connections[0].soracom.vpg_id "vpg/1": must be a VPG ID as ` + "`soracom vpg list`" + ` shows it (letters, digits and -)`},
		{"unknown nested connection key", withConn("      rg: x"),
			"doorbot.yaml:12: connections[0].azure.rg: unknown key (known: subscription_id, resource_group, gateway, connections)"},
		{"odd key quoted", y(`"a b": 1`), `doorbot.yaml:1: "a b": unknown key (known: slack, aws, azure, timeouts, cache_ttl, store, alerts, soracom, connections)`},
		{"duplicate key", y("slack:", "  mode: socket", "  mode: http"), "doorbot.yaml:3: slack.mode: duplicate key (first at line 2)"},
		{"duplicate section", y("aws: {region: eu-west-1}", "aws: {region: eu-west-2}"), "doorbot.yaml:2: aws: duplicate key (first at line 1)"},
		{"merge key", y("slack:", "  <<: {mode: http}"), "doorbot.yaml:2: slack.<<: merge keys are not supported; write the keys out"},
		{"complex key", y("? [a]", ": b"), "doorbot.yaml:1: keys must be plain names, not a list"},

		// Types.
		{"mapping for string", y("slack:", "  mode: {a: b}"), "doorbot.yaml:2: slack.mode: must be a string, not a mapping"},
		{"string for list", y("slack:", "  approvers: U0123ABCD"), "doorbot.yaml:2: slack.approvers: must be a list, not a string"},
		{"list for mapping", y("slack: [a]"), "doorbot.yaml:1: slack: must be a mapping, not a list"},
		{"string for int", y("slack:", "  required_approvals: two"), `doorbot.yaml:2: slack.required_approvals "two": must be a whole number`},
		{"quoted int", y("slack:", `  required_approvals: "1"`), `doorbot.yaml:2: slack.required_approvals "1": must be a whole number`},
		{"mapping in list", y("slack:", "  approvers:", "    - {id: U1}"), "doorbot.yaml:3: slack.approvers[0]: must be a string, not a mapping"},
		{"connections not a list", y("connections: {name: x}"), "doorbot.yaml:1: connections: must be a list of connections, not a mapping"},
		{"connection not a mapping", y("connections:", "  - prod"), "doorbot.yaml:2: connections[0]: must be a mapping (name, kind, aws, azure, soracom), not a string"},
		{"null connection", y("connections:", "  -"), "doorbot.yaml:2: connections[0]: must be a mapping (name, kind, aws, azure, soracom), not empty"},

		// Durations.
		{"bare number duration", y("timeouts:", "  cloud_call: 8"), `doorbot.yaml:2: timeouts.cloud_call "8": not a duration (use e.g. 8s)`},
		{"day unit", y("cache_ttl: 1d"), `doorbot.yaml:1: cache_ttl "1d": not a duration (use e.g. 8s)`},
		{"zero timeout", y("timeouts:", "  cloud_call: 0s"), "doorbot.yaml:2: timeouts.cloud_call: must be greater than 0 (got 0s)"},
		{"negative status", y("timeouts:", "  status: -1s"), "doorbot.yaml:2: timeouts.status: must be greater than 0 (got -1s)"},
		{"status below cloud_call", y("timeouts:", "  cloud_call: 10s", "  status: 5s"),
			"doorbot.yaml:3: timeouts.status: 5s is shorter than timeouts.cloud_call (10s); it must allow at least one call"},
		{"cloud_call above default status", y("timeouts:", "  cloud_call: 30s"),
			"doorbot.yaml:2: timeouts.cloud_call: 30s is longer than timeouts.status (20s, the default); raise timeouts.status too"},
		{"negative cache", y("cache_ttl: -5s"), "doorbot.yaml:1: cache_ttl: must not be negative (0 disables the cache)"},

		// Slack.
		{"mode", y("slack:", "  mode: websocket"), `doorbot.yaml:2: slack.mode "websocket": must be socket or http`},
		{"reply", y("slack:", "  reply: thread"), `doorbot.yaml:2: slack.reply "thread": must be in_channel or ephemeral`},
		{"listen", y("slack:", "  listen: 8080"), `doorbot.yaml:2: slack.listen "8080": must be host:port, e.g. :8080`},
		{"listen port", y("slack:", `  listen: ":http"`), `doorbot.yaml:2: slack.listen ":http": port must be a number from 0 to 65535`},
		{"metrics_listen", y("slack:", "  metrics_listen: 9090"), `doorbot.yaml:2: slack.metrics_listen "9090": must be host:port, e.g. :8080`},
		{"metrics_listen same", y("slack:", "  listen: :8080", "  metrics_listen: :8080"),
			`doorbot.yaml:3: slack.metrics_listen ":8080": must differ from slack.listen (leave it out to serve both on one address)`},
		{"api_url", y("slack:", "  api_url: slack.com/api"), `doorbot.yaml:2: slack.api_url "slack.com/api": must be an http(s) URL like https://slack.com/api/`},
		{"api_url credentials", y("slack:", "  api_url: https://u:hunter2@proxy/api/"),
			"doorbot.yaml:2: slack.api_url: must not contain credentials (user:password@); secrets come only from the environment"},
		{"channel name", y("slack:", `  approvals_channel: "#ops"`), `doorbot.yaml:2: slack.approvals_channel "#ops": must be a channel ID like C0123ABCD, not a channel name`},
		{"channel id", y("slack:", "  approvals_channel: D0123"), `doorbot.yaml:2: slack.approvals_channel "D0123": must be a channel ID like C0123ABCD`},
		{"approver", y("slack:", "  approvers:", "    - U0123ABCD", "    - alice"),
			`doorbot.yaml:4: slack.approvers[1] "alice": must be a user ID (U… or W…) or user-group ID (S…), not a name`},
		{"approver twice", y("slack:", "  approvers: [U0123ABCD, U0123ABCD]"),
			`doorbot.yaml:2: slack.approvers[1] "U0123ABCD": listed twice (also slack.approvers[0])`},
		{"required zero", y("slack:", "  required_approvals: 0"), "doorbot.yaml:2: slack.required_approvals: must be at least 1 (got 0)"},
		{"required too many", y("slack:", "  approvers: [U0123ABCD, S0456EFGH]", "  required_approvals: 3"),
			"doorbot.yaml:3: slack.required_approvals: 3 approvals required but only 2 approvers listed"},

		// AWS and Azure globals.
		{"region", y("aws:", "  region: tokyo"), `doorbot.yaml:2: aws.region "tokyo": must be an AWS region like ap-northeast-1`},
		{"subscription", y("azure:", "  subscription_id: my-sub"), `doorbot.yaml:2: azure.subscription_id "my-sub": must be a subscription ID (a UUID)`},
		{"cloud", y("azure:", "  cloud: AzureCloud"), `doorbot.yaml:2: azure.cloud "AzureCloud": must be public or china or usgov`},
		{"arm http", y("azure:", "  resource_manager_endpoint: http://localhost:8443"),
			`doorbot.yaml:2: azure.resource_manager_endpoint "http://localhost:8443": https only (the Azure SDK sends bearer tokens only over TLS)`},
		{"arm not url", y("azure:", "  resource_manager_endpoint: management.azure.com"),
			`doorbot.yaml:2: azure.resource_manager_endpoint "management.azure.com": must be an https:// URL`},
		{"read rate above refill", y("azure:", "  read_rate: 30"),
			"doorbot.yaml:2: azure.read_rate: must be above 0 and at most 25 reads/s, ARM's refill per subscription (got 30)"},
		{"read rate zero", y("azure:", "  read_rate: 0"),
			"doorbot.yaml:2: azure.read_rate: must be above 0 and at most 25 reads/s, ARM's refill per subscription (got 0)"},
		{"logs http", y("azure:", "  logs_endpoint: http://api.loganalytics.io"),
			`doorbot.yaml:2: azure.logs_endpoint "http://api.loganalytics.io": https only (the Azure SDK sends bearer tokens only over TLS)`},

		// Store.
		{"driver", y("store:", "  driver: mysql"), `doorbot.yaml:2: store.driver "mysql": must be sqlite or postgres`},
		{"empty dsn", y("store:", `  dsn: ""`), "doorbot.yaml:2: store.dsn: must not be empty"},
		{"postgres default dsn", y("store:", "  driver: postgres"),
			"doorbot.yaml:1: store.dsn: required for driver postgres (e.g. postgres://doorbot@db/doorbot)"},
		{"postgres password url", y("store:", "  driver: postgres", "  dsn: postgres://doorbot:hunter2@db/doorbot"),
			"doorbot.yaml:3: store.dsn: contains a password; secrets come only from the environment (PGPASSWORD)"},
		{"postgres password keyword", y("store:", "  driver: postgres", "  dsn: host=db user=doorbot password=hunter2"),
			"doorbot.yaml:3: store.dsn: contains a password; secrets come only from the environment (PGPASSWORD)"},

		// Connections.
		{"name pattern", y(append(conn[:1:1], append([]string{"  - name: Prod"}, conn[2:]...)...)...),
			`doorbot.yaml:2: connections[0].name "Prod": must match [a-z0-9-]{1,40}`},
		{"name missing", y(append(conn[:1:1], append([]string{"  - kind: aws-vpn"}, conn[3:]...)...)...),
			"doorbot.yaml:2: connections[0].name: required (what users type, [a-z0-9-]{1,40})"},
		{"duplicate names", withConn(conn[1:]...),
			`doorbot.yaml:12: connections[1].name "prod": duplicate name, already used by connections[0] at line 2`},
		{"kind missing", y(append(conn[:2:2], conn[3:]...)...),
			"doorbot.yaml:2: connections[0].kind: required (aws-vpn or soracom-door)"},
		{"kind unknown", y(append(conn[:2:2], append([]string{"    kind: ipsec"}, conn[3:]...)...)...),
			`doorbot.yaml:3: connections[0].kind "ipsec": must be aws-vpn or soracom-door`},
		{"vpn id pattern", y(append(conn[:4:4], append([]string{"      vpn_connection_id: vpn-XYZ"}, conn[5:]...)...)...),
			`doorbot.yaml:5: connections[0].aws.vpn_connection_id "vpn-XYZ": must be a VPN connection ID like vpn-0123456789abcdef0`},
		{"vpn id missing", y(
			"aws: {region: eu-west-1}",
			"connections:",
			"  - name: a",
			"    kind: aws-vpn",
			"    azure: {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg, gateway: gw, connections: [a]}",
		), "doorbot.yaml:3: connections[0].aws.vpn_connection_id: required for kind aws-vpn (or vpn_connection_ids for several)"},
		{"vpn ids empty", y(
			"aws: {region: eu-west-1}",
			"connections:",
			"  - name: a",
			"    kind: aws-vpn",
			"    aws:",
			"      vpn_connection_ids: []",
			"    azure: {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg, gateway: gw, connections: [a]}",
		), "doorbot.yaml:6: connections[0].aws.vpn_connection_ids: must not be empty"},
		{"vpn ids duplicate", y(
			"aws: {region: eu-west-1}",
			"connections:",
			"  - name: a",
			"    kind: aws-vpn",
			"    aws:",
			"      vpn_connection_ids:",
			"        - vpn-0123456789abcdef0",
			"        - vpn-0123456789abcdef0",
			"    azure: {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg, gateway: gw, connections: [a]}",
		), `doorbot.yaml:8: connections[0].aws.vpn_connection_ids[1] "vpn-0123456789abcdef0": listed twice (also vpn_connection_ids[0])`},
		{"region missing", y(append(conn[:5:5], conn[6:]...)...),
			"doorbot.yaml:4: connections[0].aws.region: required for kind aws-vpn (set it here or aws.region)"},
		{"connection region", y(append(conn[:5:5], append([]string{"      region: ap-northeast"}, conn[6:]...)...)...),
			`doorbot.yaml:6: connections[0].aws.region "ap-northeast": must be an AWS region like ap-northeast-1`},
		{"door with vpn id", y(append(conn[:2:2], append([]string{"    kind: soracom-door"}, conn[3:]...)...)...),
			"doorbot.yaml:5: connections[0].aws.vpn_connection_id: not used by kind soracom-door: SORACOM owns the AWS side, so doorbot observes only Azure; remove it"},
		{"azure missing", y(conn[:6]...), "doorbot.yaml:2: connections[0].azure: required (resource_group, gateway, connections)"},
		{"azure empty", y(conn[:7]...), "doorbot.yaml:7: connections[0].azure: required (resource_group, gateway, connections)"},
		{"resource group missing", y(append(conn[:8:8], conn[9:]...)...),
			"doorbot.yaml:7: connections[0].azure.resource_group: required"},
		{"resource group dot", y(append(conn[:8:8], append([]string{"      resource_group: rg."}, conn[9:]...)...)...),
			`doorbot.yaml:9: connections[0].azure.resource_group "rg.": must be an Azure resource group name (1-90 letters, digits, - _ . ( ), not ending in '.')`},
		{"gateway missing", y(append(conn[:9:9], conn[10:]...)...),
			"doorbot.yaml:7: connections[0].azure.gateway: required (the virtual network gateway's name)"},
		{"gateway pattern", y(append(conn[:9:9], append([]string{"      gateway: vgw prod"}, conn[10:]...)...)...),
			`doorbot.yaml:10: connections[0].azure.gateway "vgw prod": must be 1-80 of A-Z a-z 0-9 . _ -`},
		{"no azure connections", y(append(conn[:10:10], "      connections: []")...),
			"doorbot.yaml:11: connections[0].azure.connections: at least one gateway connection is required"},
		{"azure connection twice", y(append(conn[:10:10], "      connections: [cn-1, CN-1]")...),
			`doorbot.yaml:11: connections[0].azure.connections[1] "CN-1": listed twice (also connections[0])`},
		{"subscription missing", y(append(conn[:7:7], conn[8:]...)...),
			"doorbot.yaml:7: connections[0].azure.subscription_id: required (set it here or azure.subscription_id)"},
		{"subscription pattern", y(append(conn[:7:7], append([]string{"      subscription_id: prod-sub"}, conn[8:]...)...)...),
			`doorbot.yaml:8: connections[0].azure.subscription_id "prod-sub": must be a subscription ID (a UUID)`},

		// Several problems: the first by line, then a count.
		{"many", y("slack:", "  mode: x", "  reply: y", "timeouts:", "  cloud_call: z"),
			`doorbot.yaml:2: slack.mode "x": must be socket or http (and 2 more problems)`},
		{"two", y("cache_ttl: 1d", "aws: {region: x}"),
			`doorbot.yaml:1: cache_ttl "1d": not a duration (use e.g. 8s) (and 1 more problem)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.data, src)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned with error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestVPNIDAndIDs(t *testing.T) {
	_, err := Parse(y(append(conn[:5:5], append([]string{"      vpn_connection_ids: [vpn-0123456789abcdef1]"}, conn[5:]...)...)...), src)
	want := "doorbot.yaml:6: connections[0].aws.vpn_connection_ids: set vpn_connection_id or vpn_connection_ids, not both"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestErrorListsAllProblems(t *testing.T) {
	_, err := Parse(y("cache_ttl: -1s", "slack: {mode: x}"), src)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *Error", err)
	}
	want := []string{
		"doorbot.yaml:1: cache_ttl: must not be negative (0 disables the cache)",
		`doorbot.yaml:2: slack.mode "x": must be socket or http`,
	}
	if !reflect.DeepEqual(e.Problems, want) {
		t.Errorf("got %q", e.Problems)
	}
}

// A decode problem on a key must not be repeated by validation as
// "required" or similar.
func TestNoPilingOn(t *testing.T) {
	_, err := Parse(y(append(conn[:1:1], append([]string{"  - name: {x: 1}"}, conn[2:]...)...)...), src)
	want := "doorbot.yaml:2: connections[0].name: must be a string, not a mapping"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestSecretsRefused(t *testing.T) {
	const value = "xoxb-1234-5678-SECRETVALUE"
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"bot token", y("slack:", "  mode: socket", "  bot_token: "+value),
			"doorbot.yaml:3: slack.bot_token: secrets come only from the environment (SLACK_BOT_TOKEN)"},
		{"app token", y("slack:", "  app_token: "+value),
			"doorbot.yaml:2: slack.app_token: secrets come only from the environment (SLACK_APP_TOKEN)"},
		{"signing secret", y("slack:", "  signing_secret: "+value),
			"doorbot.yaml:2: slack.signing_secret: secrets come only from the environment (SLACK_SIGNING_SECRET)"},
		{"top-level token", y("token: " + value),
			"doorbot.yaml:1: token: secrets come only from the environment"},
		{"slack token", y("slack:", "  token: "+value),
			"doorbot.yaml:2: slack.token: secrets come only from the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN or SLACK_SIGNING_SECRET)"},
		{"store password", y("store:", "  password: "+value),
			"doorbot.yaml:2: store.password: secrets come only from the environment (PGPASSWORD)"},
		{"aws secret", y("aws:", "  secret_access_key: "+value),
			"doorbot.yaml:2: aws.secret_access_key: secrets come only from the environment (the AWS credential chain: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"},
		{"azure client secret in connection", withConn("      client_secret: " + value),
			"doorbot.yaml:12: connections[0].azure.client_secret: secrets come only from the environment (DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, workload or managed identity)"},
		{"psk", withConn("    psk: " + value),
			"doorbot.yaml:12: connections[0].psk: secrets come only from the environment (pre-shared keys do not belong in doorbot's config at all)"},
		{"secret under a list", withConn("      password:", "        - "+value),
			"doorbot.yaml:12: connections[0].azure.password: secrets come only from the environment (DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, workload or managed identity)"},
		{"token value in a wrong key", y("slack:", "  mode: "+value),
			`doorbot.yaml:2: slack.mode "<redacted>": must be socket or http`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data, src)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "SECRETVALUE") {
				t.Fatalf("error echoes the secret: %s", err)
			}
			if err.Error() != tc.want {
				t.Errorf("\ngot  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestVPNConnectionsResolution(t *testing.T) {
	c, err := Parse(y(
		"aws: {region: ap-northeast-1}",
		"azure: {subscription_id: 00000000-0000-0000-0000-000000000000}",
		"connections:",
		"  - name: inherits",
		"    kind: aws-vpn",
		"    aws: {vpn_connection_id: vpn-0123456789abcdef0}",
		"    azure: {resource_group: rg, gateway: gw, connections: [a, b]}",
		"  - name: own",
		"    kind: aws-vpn",
		"    aws: {vpn_connection_ids: [vpn-0123456789abcdef1, vpn-0123456789abcdef2], region: eu-west-1}",
		"    azure: {subscription_id: 11111111-2222-3333-4444-555555555555, resource_group: rg2, gateway: gw2, connections: [c]}",
		"  - name: door",
		"    kind: soracom-door",
		"    azure: {resource_group: rg3, gateway: gw3, connections: [d]}",
	), src)
	if err != nil {
		t.Fatal(err)
	}
	want := []vpn.Connection{
		{Name: "inherits", Kind: vpn.KindAWSVPN,
			AWS:   vpn.AWSRef{VPNConnectionIDs: []string{"vpn-0123456789abcdef0"}, Region: "ap-northeast-1"},
			Azure: vpn.AzureRef{SubscriptionID: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Gateway: "gw", Connections: []string{"a", "b"}}},
		{Name: "own", Kind: vpn.KindAWSVPN,
			AWS:   vpn.AWSRef{VPNConnectionIDs: []string{"vpn-0123456789abcdef1", "vpn-0123456789abcdef2"}, Region: "eu-west-1"},
			Azure: vpn.AzureRef{SubscriptionID: "11111111-2222-3333-4444-555555555555", ResourceGroup: "rg2", Gateway: "gw2", Connections: []string{"c"}}},
		{Name: "door", Kind: vpn.KindSoracomDoor,
			AWS:   vpn.AWSRef{Region: "ap-northeast-1"},
			Azure: vpn.AzureRef{SubscriptionID: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg3", Gateway: "gw3", Connections: []string{"d"}}},
	}
	got := c.VPNConnections()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// The result must not alias the config: callers may append or sort.
	got[0].Azure.Connections[0] = "changed"
	got[1].AWS.VPNConnectionIDs[0] = "changed"
	if c.Connections[0].Azure.Connections[0] != "a" || c.Connections[1].AWS.VPNConnectionIDs[0] != "vpn-0123456789abcdef1" {
		t.Error("VPNConnections aliases the config's slices")
	}
	if (*Config)(nil).VPNConnections() != nil || Default().VPNConnections() != nil {
		t.Error("no connections should resolve to nil")
	}
}

func TestPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"/etc/doorbot.yaml", map[string]string{"DOORBOT_CONFIG": "/env.yaml"}, "/etc/doorbot.yaml"},
		{"", map[string]string{"DOORBOT_CONFIG": "/env.yaml"}, "/env.yaml"},
		{"", map[string]string{"DOORBOT_CONFIG": ""}, "doorbot.yaml"},
		{"", nil, "doorbot.yaml"},
	} {
		if got := Path(tc.flag, env(tc.env)); got != tc.want {
			t.Errorf("Path(%q, %v) = %q, want %q", tc.flag, tc.env, got, tc.want)
		}
	}
}

// TestStoreDSN: $DOORBOT_STORE_DSN wins over store.dsn and stands in for
// it, so a DSN with a password never has to be in the file.
func TestStoreDSN(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{EnvStoreDSN: v}[k] }
	}
	s := Store{Driver: DriverPostgres, DSN: "host=db dbname=doorbot"}
	for _, tc := range []struct{ env, want string }{
		{"postgres://doorbot:pw@db/doorbot", "postgres://doorbot:pw@db/doorbot"},
		{" host=db2 \n", "host=db2"},
		{"", "host=db dbname=doorbot"},
	} {
		if got := s.DSNFrom(env(tc.env)); got != tc.want {
			t.Errorf("DSNFrom with %q = %q, want %q", tc.env, got, tc.want)
		}
	}

	t.Setenv(EnvStoreDSN, "postgres://doorbot:pw@db/doorbot")
	c, err := Parse(y("store:", "  driver: postgres"), src)
	if err != nil {
		t.Fatalf("postgres without store.dsn but with $%s: %v", EnvStoreDSN, err)
	}
	if got := c.Store.DSNFrom(nil); got != "postgres://doorbot:pw@db/doorbot" {
		t.Fatalf("DSNFrom(nil) = %q", got)
	}

	// Load checks against the environment it is given, not the process's
	// (which has $DOORBOT_STORE_DSN set above).
	path := filepath.Join(t.TempDir(), "doorbot.yaml")
	if err := os.WriteFile(path, y("store:", "  driver: postgres"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, env("")); err == nil || !strings.Contains(err.Error(), "store.dsn: required for driver postgres") {
		t.Fatalf("Load with an environment without $%s: %v", EnvStoreDSN, err)
	}
	t.Setenv(EnvStoreDSN, "")
	if _, err := Load(path, env("postgres://doorbot@db/doorbot")); err != nil {
		t.Fatalf("Load with $%s in the given environment: %v", EnvStoreDSN, err)
	}
}

func TestSecrets(t *testing.T) {
	env := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-bot-VALUE\n",
		"SLACK_SIGNING_SECRET": "signing-VALUE",
	}
	s := SecretsFromEnv(func(k string) string { return env[k] })
	if s.SlackBotToken != "xoxb-bot-VALUE" || s.SlackAppToken != "" || s.SlackSigningSecret != "signing-VALUE" {
		t.Fatalf("SecretsFromEnv = %#v", s) // GoString is redacted too
	}
	want := "SLACK_BOT_TOKEN=set SLACK_APP_TOKEN=unset SLACK_SIGNING_SECRET=set"
	if got := s.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	js, _ := json.Marshal(struct{ S Secrets }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), fmt.Sprint(&s), string(js)} {
		if strings.Contains(out, "VALUE") {
			t.Errorf("secret leaked: %s", out)
		}
	}

	if err := s.Check("http"); err != nil {
		t.Errorf("http: %v", err)
	}
	if err := s.Check("socket"); err == nil || err.Error() != "SLACK_APP_TOKEN is not set (slack.mode socket needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN in the environment)" {
		t.Errorf("socket: %v", err)
	}
	swapped := Secrets{SlackBotToken: "xapp-1-VALUE", SlackAppToken: "xoxb-VALUE"}
	if err := swapped.Check("socket"); err == nil || strings.Contains(err.Error(), "VALUE") || !strings.Contains(err.Error(), "app-level token") {
		t.Errorf("swapped: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	_, err := Load(missing, nil)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), missing+": config file not found") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir, nil); err == nil || err.Error() != dir+": is a directory, not a config file" {
		t.Errorf("directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, y("slack:", "  mood: x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, nil); err == nil || !strings.HasPrefix(err.Error(), bad+":2: slack.mood: unknown key") {
		t.Errorf("bad file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, nil); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("big file: %v", err)
	}
}

func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Connections = []Connection{{Name: "Bad", Kind: KindSoracomDoor, Line: 7,
		Azure: ConnectionAzure{SubscriptionID: "00000000-0000-0000-0000-000000000000", ResourceGroup: "rg", Gateway: "gw", Connections: []string{"a"}}}}
	err := c.Validate()
	want := `line 7: connections[0].name "Bad": must match [a-z0-9-]{1,40}`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	c.Source = "x.yaml"
	c.Connections[0].Line = 0
	c.Slack.Mode = "smoke"
	want = `x.yaml: slack.mode "smoke": must be socket or http (and 1 more problem)`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
