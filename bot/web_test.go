package bot

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A response_url that cannot be reached fails the post with an error that
// does not carry the URL: the error is logged, and the URL lets anyone
// post as doorbot.
func TestResponseURLStaysOutOfErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there any more
	const secret = "/actions/T0TEAM/1234/s3cr3tR3sp0ns3T0k3n"
	w := &web{http: &http.Client{}, metrics: NewMetrics()}
	for name, post := range map[string]func(string) error{
		"respond":        func(u string) error { return w.respond(context.Background(), u, ReplyEphemeral, Message{Text: "hi"}) },
		"respondReplace": func(u string) error { return w.respondReplace(context.Background(), u, Message{Text: "hi"}) },
	} {
		err := post("http://" + addr + secret)
		if err == nil {
			t.Fatalf("%s: a post to a closed port succeeded", name)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error shows the response_url: %v", name, err)
		}
		if !strings.Contains(err.Error(), "response_url") {
			t.Errorf("%s: the error does not say what failed: %v", name, err)
		}
	}
}
