package config

import (
	"go.yaml.in/yaml/v3"

	"github.com/doorbot/doorbot/internal/strictyaml"
)

// Parse decodes and validates a config. source names the file in messages.
// Decoding walks the yaml.Node tree by hand rather than using struct tags
// so that every problem carries its line and key path, unknown and
// duplicate keys are caught, and a secret is refused before its value is
// ever copied anywhere. The checks read $DOORBOT_STORE_DSN with
// os.Getenv; Load takes the environment to use.
func Parse(data []byte, source string) (*Config, error) {
	return parse(data, source, nil)
}

func parse(data []byte, source string, getenv func(string) string) (*Config, error) {
	if source == "" {
		source = "config"
	}
	var cfg *Config
	err := strictyaml.Guard(source, func() error {
		doc := strictyaml.Document{Source: source, What: "config", TopKeys: "slack:, aws:, azure:, connections: ..."}
		root, err := doc.Parse(data)
		if err != nil {
			return err
		}
		d := strictyaml.NewDecoder(source)
		d.Refuse = refuseSecret
		c := Default()
		c.Source = source
		top(d, root, c)
		v := &validator{Problems: &d.Problems, line: d.Line, has: d.Has, failed: d.Failed, getenv: getenv}
		v.config(c)
		if ps := d.Lines(); ps != nil {
			return &Error{Problems: ps}
		}
		cfg = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// refuseSecret turns away any key naming a credential, pointing at where
// that credential belongs instead.
func refuseSecret(parent, key string) (string, bool) {
	env, ok := secretKey(parent, key)
	if !ok {
		return "", false
	}
	if env != "" {
		env = " (" + env + ")"
	}
	return "secrets come only from the environment" + env, true
}

type field = strictyaml.Field

func top(d *strictyaml.Decoder, root *yaml.Node, c *Config) {
	s, z := &c.Slack, &c.Azure
	d.Mapping(root, "", []field{
		{Key: "slack", Set: d.Section(
			field{Key: "mode", Set: d.Str(&s.Mode)},
			field{Key: "listen", Set: d.Str(&s.Listen)},
			field{Key: "metrics_listen", Set: d.Str(&s.MetricsListen)},
			field{Key: "api_url", Set: d.Str(&s.APIURL)},
			field{Key: "reply", Set: d.Str(&s.Reply)},
			field{Key: "approvals_channel", Set: d.Str(&s.ApprovalsChannel)},
			field{Key: "approvers", Set: d.StrList(&s.Approvers)},
			field{Key: "required_approvals", Set: d.Int(&s.RequiredApprovals)},
			field{Key: "approval_ttl", Set: d.Duration(&s.ApprovalTTL)},
		)},
		{Key: "aws", Set: d.Section(
			field{Key: "region", Set: d.Str(&c.AWS.Region)},
		)},
		{Key: "azure", Set: d.Section(
			field{Key: "subscription_id", Set: d.Str(&z.SubscriptionID)},
			field{Key: "cloud", Set: d.Str(&z.Cloud)},
			field{Key: "resource_manager_endpoint", Set: d.Str(&z.ResourceManagerEndpoint)},
			field{Key: "read_rate", Set: d.Float(&z.ReadRate)},
			field{Key: "logs_endpoint", Set: d.Str(&z.LogsEndpoint)},
		)},
		{Key: "timeouts", Set: d.Section(
			field{Key: "cloud_call", Set: d.Duration(&c.Timeouts.CloudCall)},
			field{Key: "status", Set: d.Duration(&c.Timeouts.Status)},
		)},
		{Key: "cache_ttl", Set: d.Duration(&c.CacheTTL)},
		{Key: "store", Set: d.Section(
			field{Key: "driver", Set: d.Str(&c.Store.Driver)},
			field{Key: "dsn", Set: d.Str(&c.Store.DSN)},
		)},
		{Key: "alerts", Set: d.Section(
			field{Key: "channel", Set: d.Str(&c.Alerts.Channel)},
			field{Key: "interval", Set: d.Duration(&c.Alerts.Interval)},
			field{Key: "debounce", Set: d.Int(&c.Alerts.Debounce)},
			field{Key: "repeat", Set: d.Duration(&c.Alerts.Repeat)},
			field{Key: "unobserved_after", Set: d.Int(&c.Alerts.UnobservedAfter)},
			field{Key: "flap", Set: d.Section(
				field{Key: "window", Set: d.Int(&c.Alerts.Flap.Window)},
				field{Key: "high", Set: d.Float(&c.Alerts.Flap.High)},
				field{Key: "low", Set: d.Float(&c.Alerts.Flap.Low)},
			)},
		)},
		{Key: "soracom", Set: d.Section(
			field{Key: "coverage", Set: d.Str(&c.Soracom.Coverage)},
			field{Key: "endpoint", Set: d.Str(&c.Soracom.Endpoint)},
		)},
		{Key: "connections", Set: func(n *yaml.Node, path string) { connections(d, n, path, c) }},
	})
}

func connections(d *strictyaml.Decoder, n *yaml.Node, path string, c *Config) {
	items, ok := d.Items(n, path, "a list of connections")
	if !ok {
		return
	}
	c.Connections = make([]Connection, len(items))
	for i, it := range items {
		ip := strictyaml.Index(path, i)
		cc := &c.Connections[i]
		cc.Line = it.Line
		if it.Kind != yaml.MappingNode {
			d.WrongType(it, ip, "a mapping (name, kind, aws, azure, soracom)")
			continue
		}
		d.Mapping(it, ip, []field{
			{Key: "name", Set: d.Str(&cc.Name)},
			{Key: "kind", Set: d.Str(&cc.Kind)},
			{Key: "aws", Set: d.Section(
				field{Key: "vpn_connection_id", Set: d.Str(&cc.AWS.VPNConnectionID)},
				field{Key: "vpn_connection_ids", Set: d.StrList(&cc.AWS.VPNConnectionIDs)},
				field{Key: "region", Set: d.Str(&cc.AWS.Region)},
			)},
			{Key: "azure", Set: d.Section(
				field{Key: "subscription_id", Set: d.Str(&cc.Azure.SubscriptionID)},
				field{Key: "resource_group", Set: d.Str(&cc.Azure.ResourceGroup)},
				field{Key: "gateway", Set: d.Str(&cc.Azure.Gateway)},
				field{Key: "connections", Set: d.StrList(&cc.Azure.Connections)},
			)},
			{Key: "soracom", Set: d.Section(
				field{Key: "vpg_id", Set: d.Str(&cc.Soracom.VPGID)},
			)},
		})
	}
}
