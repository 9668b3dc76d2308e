// Package config is the schema of doorbot's YAML config file (docs/configuration.md):
// loading, strict decoding with line-accurate errors, validation, and the
// secrets that come only from the environment. Only cmd/doorbot uses it;
// everything else receives the resolved values.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/doorbot/doorbot/internal/strictyaml"
	"github.com/doorbot/doorbot/vpn"
)

// DefaultPath is the config file used when neither --config nor
// $DOORBOT_CONFIG names one; relative, so it resolves in the working
// directory and messages read "doorbot.yaml:14: ...".
const DefaultPath = "doorbot.yaml"

// EnvConfig names the environment variable that overrides DefaultPath.
const EnvConfig = "DOORBOT_CONFIG"

// EnvStoreDSN names the environment variable that overrides store.dsn, so
// that a DSN with a password can come from a secret instead of the file.
const EnvStoreDSN = "DOORBOT_STORE_DSN"

// maxFileSize bounds Load: a real config is a few kilobytes, and a huge
// file is far more likely a wrong path (a log, a binary) than a config.
const maxFileSize = 1 << 20

// Allowed values of the enumerated keys.
const (
	ModeSocket = "socket"
	ModeHTTP   = "http"

	ReplyInChannel = "in_channel"
	ReplyEphemeral = "ephemeral"

	CloudPublic = "public"
	CloudChina  = "china"
	CloudUSGov  = "usgov"

	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"

	KindAWSVPN      = string(vpn.KindAWSVPN)
	KindSoracomDoor = string(vpn.KindSoracomDoor)
)

// Config is the whole config file after defaults.
type Config struct {
	Slack    Slack
	AWS      AWS
	Azure    Azure
	Timeouts Timeouts
	// CacheTTL is how long observations are reused; 0 disables the cache.
	CacheTTL    time.Duration
	Store       Store
	Alerts      Alerts
	Soracom     Soracom
	Connections []Connection
	// Source is the file name the config came from ("" for Default), so
	// later messages such as "no connections configured" can name it.
	Source string
}

// Slack configures the Slack transport and the change-approval flow.
type Slack struct {
	Mode   string // socket (default) | http
	Listen string // host:port, default ":8080"
	// MetricsListen, when set, serves /healthz, /readyz and /metrics on an
	// address of their own instead of Listen, so the public Slack endpoint
	// does not expose connection names in metrics labels.
	MetricsListen     string
	APIURL            string // optional Slack Web API base URL
	Reply             string // in_channel (default) | ephemeral
	ApprovalsChannel  string // channel ID, optional
	Approvers         []string
	RequiredApprovals int // default 1
	// ApprovalTTL is how long a change request waits for its decision
	// before it expires (yaml approval_ttl, default 24h).
	ApprovalTTL time.Duration
}

// AWS holds defaults for connections' AWS side.
type AWS struct {
	Region string
}

// Azure holds defaults for connections' Azure side and the ARM endpoint.
type Azure struct {
	SubscriptionID          string
	Cloud                   string // public (default) | china | usgov
	ResourceManagerEndpoint string // optional, https only
	// ReadRate is the ARM reads per second per subscription that
	// background refreshes are paced at (default 20, below ARM's refill of
	// 25/s); explicit status commands read at full speed.
	ReadRate float64
	// LogsEndpoint is the Log Analytics query endpoint `why` reads gateway
	// diagnostics from; empty follows Cloud (api.loganalytics.io, …). https only.
	LogsEndpoint string
}

// Timeouts bound upstream work.
type Timeouts struct {
	CloudCall time.Duration // per upstream call, default 8s
	Status    time.Duration // whole status command, default 20s
}

// Soracom configures the SORACOM API, read for soracom-door connections
// that name a VPG. The auth key comes only from the environment
// (SORACOM_AUTH_KEY_ID, SORACOM_AUTH_KEY).
type Soracom struct {
	Coverage string // jp (default, api.soracom.io) | g (g.api.soracom.io)
	Endpoint string // optional API base URL (tests, sandboxes); overrides Coverage
}

// Allowed values of soracom.coverage.
const (
	CoverageJP = "jp"
	CoverageG  = "g"
)

// Store selects the change-request store.
type Store struct {
	Driver string // sqlite (default) | postgres
	DSN    string // default "doorbot.db"; see DSNFrom
}

// DSNFrom is the DSN to open: $DOORBOT_STORE_DSN when set, else store.dsn.
// It may hold a password: never log or print it. A nil getenv means
// os.Getenv.
func (s Store) DSNFrom(getenv func(string) string) string {
	if v := envDSN(getenv); v != "" {
		return v
	}
	return s.DSN
}

// envDSN is $DOORBOT_STORE_DSN as getenv (nil: os.Getenv) has it.
func envDSN(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	return strings.TrimSpace(getenv(EnvStoreDSN))
}

// Alerts configures the watcher and its alerts (docs/alerts.md). Alerting
// is off while Channel is empty; doorbot watch runs without it.
type Alerts struct {
	Channel         string        // channel ID the alerts go to
	Interval        time.Duration // how often every connection is observed, default 60s
	Debounce        int           // consecutive observations before a change counts, default 2
	Repeat          time.Duration // re-notify a firing, unacknowledged alert; 0 never; default 1h
	UnobservedAfter int           // consecutive failed reads before an unobserved alert, default 5
	Flap            Flap
}

// Flap is the Nagios flap detection: percent state change over the last
// Window observations, start at >= High, stop at <= Low.
type Flap struct {
	Window int     // default 21
	High   float64 // percent, default 20
	Low    float64 // percent, default 5
}

// Connection is one entry of connections: as written in the file, before
// the per-connection fallbacks to aws.region and azure.subscription_id.
type Connection struct {
	Name    string
	Kind    string // aws-vpn | soracom-door
	AWS     ConnectionAWS
	Azure   ConnectionAzure
	Soracom ConnectionSoracom
	// Line is the line of the entry in the file, for messages; 0 when the
	// connection was not read from a file.
	Line int
}

// ConnectionAWS is a connection's aws block.
type ConnectionAWS struct {
	VPNConnectionID  string   // yaml vpn_connection_id
	VPNConnectionIDs []string // yaml vpn_connection_ids
	Region           string   // optional, else aws.region
}

// ConnectionAzure is a connection's azure block.
type ConnectionAzure struct {
	SubscriptionID string // optional, else azure.subscription_id
	ResourceGroup  string
	Gateway        string
	Connections    []string
}

// ConnectionSoracom is a connection's soracom block.
type ConnectionSoracom struct {
	VPGID string // yaml vpg_id: the VPG whose Door connections these are
}

// Default returns a config with every default applied and no connections.
func Default() *Config {
	return &Config{
		Slack: Slack{
			Mode:              ModeSocket,
			Listen:            ":8080",
			Reply:             ReplyInChannel,
			RequiredApprovals: 1,
			ApprovalTTL:       24 * time.Hour,
		},
		Azure:    Azure{Cloud: CloudPublic, ReadRate: 20},
		Timeouts: Timeouts{CloudCall: 8 * time.Second, Status: 20 * time.Second},
		CacheTTL: 20 * time.Second,
		Store:    Store{Driver: DriverSQLite, DSN: "doorbot.db"},
		Alerts: Alerts{Interval: 60 * time.Second, Debounce: 2, Repeat: time.Hour, UnobservedAfter: 5,
			Flap: Flap{Window: 21, High: 20, Low: 5}},
		Soracom: Soracom{Coverage: CoverageJP},
	}
}

// Path picks the config file: the --config flag, else $DOORBOT_CONFIG, else
// DefaultPath. A nil getenv means os.Getenv.
func Path(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv(EnvConfig); p != "" {
		return p
	}
	return DefaultPath
}

// Load reads and parses the config file at path. A missing file gives an
// error that wraps fs.ErrNotExist, so a caller that can run without a
// config (demo) may fall back to Default. getenv is the environment the
// checks see ($DOORBOT_STORE_DSN may stand in for store.dsn); nil means
// os.Getenv.
func Load(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a config file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fileError(path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: too large for a config file (over %d KiB)", path, maxFileSize>>10)
	}
	return parse(data, path, getenv)
}

// fileError keeps the message to one line naming the path once; os errors
// already embed the path, which would repeat it.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: config file not found (use --config FILE or $%s): %w", path, EnvConfig, fs.ErrNotExist)
	}
	return fmt.Errorf("%s: cannot read config: %s", path, strictyaml.OneLine(err.Error()))
}

// VPNConnections resolves every configured connection for the domain:
// the per-connection region and subscription fall back to the global ones,
// and vpn_connection_id / vpn_connection_ids become one list.
func (c *Config) VPNConnections() []vpn.Connection {
	if c == nil || len(c.Connections) == 0 {
		return nil
	}
	out := make([]vpn.Connection, 0, len(c.Connections))
	for _, cc := range c.Connections {
		out = append(out, c.resolve(cc))
	}
	return out
}

func (c *Config) resolve(cc Connection) vpn.Connection {
	var ids []string
	if cc.AWS.VPNConnectionID != "" {
		ids = append(ids, cc.AWS.VPNConnectionID)
	}
	ids = append(ids, cc.AWS.VPNConnectionIDs...)
	region := cc.AWS.Region
	if region == "" {
		region = c.AWS.Region
	}
	sub := cc.Azure.SubscriptionID
	if sub == "" {
		sub = c.Azure.SubscriptionID
	}
	return vpn.Connection{
		Name: cc.Name,
		Kind: vpn.Kind(cc.Kind),
		AWS:  vpn.AWSRef{VPNConnectionIDs: ids, Region: region},
		Azure: vpn.AzureRef{
			SubscriptionID: sub,
			ResourceGroup:  cc.Azure.ResourceGroup,
			Gateway:        cc.Azure.Gateway,
			Connections:    append([]string(nil), cc.Azure.Connections...),
		},
		Soracom: vpn.SoracomRef{VPGID: cc.Soracom.VPGID},
	}
}
