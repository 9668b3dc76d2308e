package bot_test

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The Slack app manifest turns on what doorbot uses: the Home tab it
// publishes, the app_home_opened event that publishes it, and the
// Messages tab where the direct messages it sends to one user (a change
// form's results) show, read-only as doorbot reads no replies.
func TestManifestEnablesHomeAndMessages(t *testing.T) {
	raw, err := os.ReadFile("../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				Home     bool `yaml:"home_tab_enabled"`
				Messages bool `yaml:"messages_tab_enabled"`
				ReadOnly bool `yaml:"messages_tab_read_only_enabled"`
			} `yaml:"app_home"`
		} `yaml:"features"`
		Settings struct {
			Events struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	if h := m.Features.AppHome; !h.Home || !h.Messages || !h.ReadOnly {
		t.Errorf("features.app_home = %+v; want the Home tab and a read-only Messages tab", h)
	}
	if !slices.Contains(m.Settings.Events.BotEvents, "app_home_opened") {
		t.Errorf("settings.event_subscriptions.bot_events = %q; without app_home_opened the Home tab is never published", m.Settings.Events.BotEvents)
	}
}
