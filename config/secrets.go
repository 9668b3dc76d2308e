package config

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/doorbot/doorbot/internal/strictyaml"
)

// Environment variables holding the Slack secrets.
const (
	EnvSlackBotToken      = "SLACK_BOT_TOKEN"
	EnvSlackAppToken      = "SLACK_APP_TOKEN"
	EnvSlackSigningSecret = "SLACK_SIGNING_SECRET"
)

// Secrets are the credentials doorbot holds itself. Cloud credentials are
// not here: the AWS credential chain and azidentity read their own env.
type Secrets struct {
	SlackBotToken      string
	SlackAppToken      string
	SlackSigningSecret string
}

// SecretsFromEnv reads the Slack secrets. Surrounding whitespace is dropped
// because values pasted into env files and orchestrator secrets often carry
// a trailing newline, which Slack would reject as a bad token. A nil getenv
// means os.Getenv.
func SecretsFromEnv(getenv func(string) string) Secrets {
	if getenv == nil {
		getenv = os.Getenv
	}
	return Secrets{
		SlackBotToken:      strings.TrimSpace(getenv(EnvSlackBotToken)),
		SlackAppToken:      strings.TrimSpace(getenv(EnvSlackAppToken)),
		SlackSigningSecret: strings.TrimSpace(getenv(EnvSlackSigningSecret)),
	}
}

// String says which secrets are present and never their values, so a
// Secrets can be logged or printed by mistake without leaking.
func (s Secrets) String() string {
	return fmt.Sprintf("%s=%s %s=%s %s=%s",
		EnvSlackBotToken, setOrUnset(s.SlackBotToken),
		EnvSlackAppToken, setOrUnset(s.SlackAppToken),
		EnvSlackSigningSecret, setOrUnset(s.SlackSigningSecret))
}

// GoString covers %#v, which would otherwise print the fields.
func (s Secrets) GoString() string { return "config.Secrets{" + s.String() + "}" }

// MarshalJSON covers structured loggers (slog's JSON handler) and debug
// dumps, which bypass String.
func (s Secrets) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func setOrUnset(v string) string {
	if v == "" {
		return "unset"
	}
	return "set"
}

// Check reports the first secret that slack.mode needs and is missing, or a
// bot and app token swapped (a common paste mistake that otherwise shows up
// as an opaque auth error from Slack). The message names variables only.
func (s Secrets) Check(mode string) error {
	if strings.HasPrefix(s.SlackBotToken, "xapp-") {
		return fmt.Errorf("%s holds an app-level token (xapp-...); it belongs in %s", EnvSlackBotToken, EnvSlackAppToken)
	}
	if strings.HasPrefix(s.SlackAppToken, "xoxb-") {
		return fmt.Errorf("%s holds a bot token (xoxb-...); it belongs in %s", EnvSlackAppToken, EnvSlackBotToken)
	}
	need := []string{EnvSlackBotToken, EnvSlackAppToken}
	if mode == ModeHTTP {
		need = []string{EnvSlackBotToken, EnvSlackSigningSecret}
	}
	have := map[string]string{
		EnvSlackBotToken:      s.SlackBotToken,
		EnvSlackAppToken:      s.SlackAppToken,
		EnvSlackSigningSecret: s.SlackSigningSecret,
	}
	if mode == "" {
		mode = ModeSocket
	}
	for _, name := range need {
		if have[name] == "" {
			return fmt.Errorf("%s is not set (slack.mode %s needs %s and %s in the environment)", name, mode, need[0], need[1])
		}
	}
	return nil
}

// secretKey reports whether a config key names a credential and, if so,
// where that credential belongs instead ("" when there is no better hint
// than "the environment"). parent is the key path of the mapping holding
// the key, which decides the hint.
func secretKey(parent, key string) (string, bool) {
	k := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	switch k {
	case "bot_token", "slack_bot_token":
		return EnvSlackBotToken, true
	case "app_token", "slack_app_token":
		return EnvSlackAppToken, true
	case "signing_secret", "slack_signing_secret":
		return EnvSlackSigningSecret, true
	case "auth_key", "authkey", "auth_key_id", "authkeyid", "soracom_auth_key", "soracom_auth_key_id":
		return "SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY", true
	}
	if !strictyaml.IsSecretKey(k) {
		return "", false
	}
	section := parent
	if i := strings.IndexAny(section, ".["); i >= 0 {
		section = section[:i]
	}
	switch {
	case strings.Contains(k, "psk") || strings.Contains(k, "shared_key"):
		return "pre-shared keys do not belong in doorbot's config at all", true
	case section == "slack":
		return EnvSlackBotToken + ", " + EnvSlackAppToken + " or " + EnvSlackSigningSecret, true
	case strings.HasPrefix(k, "aws_") || section == "aws" || strings.HasPrefix(parent, "connections[") && strings.HasSuffix(parent, ".aws"):
		return "the AWS credential chain: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", true
	case strings.HasPrefix(k, "azure_") || section == "azure" || strings.HasPrefix(parent, "connections[") && strings.HasSuffix(parent, ".azure"):
		return "DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, workload or managed identity", true
	case section == "soracom" || strings.HasPrefix(parent, "connections[") && strings.HasSuffix(parent, ".soracom"):
		return "SORACOM_AUTH_KEY_ID and SORACOM_AUTH_KEY", true
	case section == "store":
		return "PGPASSWORD", true
	}
	return "", true
}
