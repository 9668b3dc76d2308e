package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"
)

// Slack's published example (docs.slack.dev, verifying requests).
const (
	vectorSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTS     = "1531420618"
	vectorBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestVerifierAgainstSlackTestVector(t *testing.T) {
	at := time.Unix(1531420618, 0)
	cases := []struct {
		name    string
		now     time.Time
		ts, sig string
		body    string
		secret  string
		want    error
	}{
		{"published vector", at.Add(10 * time.Second), vectorTS, vectorSig, vectorBody, vectorSecret, nil},
		{"just inside the window", at.Add(5 * time.Minute), vectorTS, vectorSig, vectorBody, vectorSecret, nil},
		{"replayed after 5 minutes", at.Add(5*time.Minute + time.Second), vectorTS, vectorSig, vectorBody, vectorSecret, ErrStaleTimestamp},
		{"from the future", at.Add(-6 * time.Minute), vectorTS, vectorSig, vectorBody, vectorSecret, ErrStaleTimestamp},
		{"tampered body", at, vectorTS, vectorSig, vectorBody + "&text=status", vectorSecret, ErrBadSignature},
		{"wrong secret", at, vectorTS, vectorSig, vectorBody, "not-the-secret", ErrBadSignature},
		{"no signature", at, vectorTS, "", vectorBody, vectorSecret, ErrMissingSignature},
		{"no timestamp", at, "", vectorSig, vectorBody, vectorSecret, ErrMissingSignature},
		{"garbage timestamp", at, "yesterday", vectorSig, vectorBody, vectorSecret, ErrStaleTimestamp},
		{"no secret configured", at, vectorTS, vectorSig, vectorBody, "", ErrMissingSignature},
		{"signature of another version", at, vectorTS, "v1=" + vectorSig[3:], vectorBody, vectorSecret, ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.ts != "" {
				h.Set("X-Slack-Request-Timestamp", tc.ts)
			}
			if tc.sig != "" {
				h.Set("X-Slack-Signature", tc.sig)
			}
			v := Verifier{Secret: []byte(tc.secret), Now: func() time.Time { return tc.now }}
			if err := v.Verify(h, []byte(tc.body)); err != tc.want {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func sign256(secret, ts, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestSign256MatchesVector(t *testing.T) {
	if got := sign256(vectorSecret, vectorTS, vectorBody); got != vectorSig {
		t.Fatalf("test signer %s, want %s", got, vectorSig)
	}
}
