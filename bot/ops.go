package bot

import (
	"net/http"
)

// OpsHandler serves /healthz (the process is alive), /readyz (it can
// receive commands: Socket Mode connected or HTTP serving) and /metrics.
func (b *Bot) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !b.Ready() {
			http.Error(w, "not connected to Slack", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", b.opts.Metrics.Handler())
	return mux
}
