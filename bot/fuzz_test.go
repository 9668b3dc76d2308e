package bot

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
)

func FuzzParseInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"change_approve","value":"CR-1"}]}`,
		`{"type":"view_submission","view":{"callback_id":"door_validate","state":{"values":{}}}}`,
		`{}`, `[]`, ``, `{"type":1}`, `null`, `{"type":"block_actions","actions":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		cb, err := ParseInteraction(payload)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if cb.Type == "" {
			t.Fatal("accepted a payload without type")
		}
	})
}

func FuzzParseSlashForm(f *testing.F) {
	f.Add("command=%2Fdoor&text=status+a&user_id=U1&channel_id=C1&response_url=https%3A%2F%2Fhooks.slack.com%2Fx")
	f.Add("command=%2Fdoor&user_id=U1&response_url=javascript:alert(1)")
	f.Add("text=%zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cmd, err := ParseSlashForm(form)
		if err != nil {
			return
		}
		if cmd.UserID == "" || cmd.Command == "" {
			t.Fatalf("accepted %q without user or command", body)
		}
		if cmd.ResponseURL != "" && !strings.HasPrefix(cmd.ResponseURL, "http") {
			t.Fatalf("accepted response_url %q", cmd.ResponseURL)
		}
	})
}

// Whatever arrives, signed or not, the HTTP endpoints answer with a status
// code and never panic; only correctly signed bodies get past 401.
func FuzzHTTPEndpoints(f *testing.F) {
	f.Add("/slack/commands", "command=%2Fdoor&text=help&user_id=U1", true)
	f.Add("/slack/interactive", "payload=%7B%22type%22%3A%22block_actions%22%7D", true)
	f.Add("/slack/commands", "ssl_check=1", false)
	f.Add("/slack/events", `{"type":"url_verification","challenge":"x"}`, true)
	f.Add("/slack/events", `{"type":"event_callback","event":{"type":"app_home_opened","user":"U1","tab":"home"}}`, true)
	f.Add("/slack/interactive", "payload=%zz", true)
	f.Add("/slack/interactive", "payload=%7B%22type%22%3A%22view_submission%22%2C%22view%22%3A%7B%22callback_id%22%3A%22door_validate%22%7D%7D", true)
	b := New(nil, commands.New(commands.Deps{Service: &handlers.Service{}}), Options{Logger: slog.New(slog.DiscardHandler)})
	const secret = "fuzz-secret"
	now := time.Unix(1_800_000_000, 0)
	h := b.HTTPHandler(Verifier{Secret: []byte(secret), Now: func() time.Time { return now }})
	f.Fuzz(func(t *testing.T, path, body string, sign bool) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(http.MethodPost, "http://doorbot"+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		if sign {
			ts := "1800000000"
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sign256(secret, ts, body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		// 301/307: the mux cleaning an unclean path; nothing was handled.
		case 200, 301, 307, 400, 401, 404, 405, 413:
		default:
			t.Fatalf("status %d for %q %q", rec.Code, path, body)
		}
		if !sign && rec.Code == 200 {
			if form, err := url.ParseQuery(body); err != nil || form.Get("ssl_check") != "1" {
				t.Fatalf("unsigned request accepted: %q %q", path, body)
			}
		}
	})
}
