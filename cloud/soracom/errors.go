package soracom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// statusError is a non-2xx answer. It keeps SORACOM's error code but never
// the body's message or anything sent.
type statusError struct {
	status int
	code   string
	wait   time.Duration // Seconds-Before-Refresh, -1 when absent
	auth   bool          // answered by POST /v1/auth
	detail string
}

func (e *statusError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.status)
	if e.code != "" {
		s += " (" + e.code + ")"
	}
	if e.auth {
		s = "auth: " + s
	}
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

// Error is a failed SORACOM read with what the user should check. Its
// text never holds a credential: requests carry them only in headers and
// the auth body, which no error repeats.
type Error struct {
	Op      string // auth, getVirtualPrivateGateway, logout
	VPGID   string
	Err     error
	base    string
	timeout time.Duration
	ctxErr  error
}

func (c *Client) wrap(ctx context.Context, op, id string, err error) error {
	return &Error{Op: op, VPGID: id, Err: err, base: c.base, timeout: c.opts.CallTimeout, ctxErr: ctx.Err()}
}

func (e *Error) Error() string {
	if e.VPGID != "" {
		return fmt.Sprintf("soracom: %s %s: %v", e.Op, e.VPGID, e.Err)
	}
	return fmt.Sprintf("soracom: %s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// StatusCode is the HTTP status SORACOM answered with, 0 when none.
func (e *Error) StatusCode() int {
	var se *statusError
	if errors.As(e.Err, &se) {
		return se.status
	}
	return 0
}

// Class names the kind of failure for metrics: throttled, denied, auth,
// not_found, timeout or error.
func (e *Error) Class() string {
	var se *statusError
	if errors.As(e.Err, &se) {
		switch {
		case se.status == http.StatusTooManyRequests:
			return "throttled"
		case se.status == http.StatusForbidden:
			return "denied"
		case se.status == http.StatusUnauthorized || se.auth && se.status/100 == 4:
			return "auth"
		case se.status == http.StatusNotFound:
			return "not_found"
		}
		return "error"
	}
	switch {
	case errors.Is(e.Err, errNoCredentials):
		return "auth"
	case e.timedOut():
		return "timeout"
	}
	return "error"
}

func (e *Error) timedOut() bool {
	return errors.Is(e.ctxErr, context.DeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded)
}

// Hint says in one line what failed and what to check: bad key, missing
// permission, unknown VPG ID, throttling, unreachable endpoint.
func (e *Error) Hint() string {
	var se *statusError
	if errors.As(e.Err, &se) {
		switch {
		case se.auth && (se.status == http.StatusUnauthorized || se.status == http.StatusBadRequest || se.status == http.StatusForbidden):
			return fmt.Sprintf("SORACOM rejected the auth key (HTTP %d); check %s and %s (a SAM user's auth key, not deleted or disabled)", se.status, EnvAuthKeyID, EnvAuthKey)
		case se.status == http.StatusTooManyRequests:
			when := "within a minute"
			if se.wait >= 0 {
				when = fmt.Sprintf("in %s", se.wait)
			}
			return fmt.Sprintf("the SORACOM API is rate-limiting reads (HTTP 429); its budget refreshes %s, and other tools using this operator share it", when)
		case se.auth:
			return fmt.Sprintf("SORACOM authentication failed with HTTP %d%s; retry, and check https://status.soracom.io", se.status, codeSuffix(se.code))
		case se.status == http.StatusUnauthorized:
			return "SORACOM refused doorbot's API token even after signing in again; check that the auth key's SAM user still exists"
		case se.status == http.StatusForbidden:
			return fmt.Sprintf("permission denied reading VPG %s: allow VirtualPrivateGateway:getVirtualPrivateGateway in the SAM user's permissions (see the README)", e.VPGID)
		case se.status == http.StatusNotFound:
			return fmt.Sprintf("VPG %s not found at %s; check connections[].soracom.vpg_id and soracom.coverage (a VPG is visible only through its own coverage's API)", e.VPGID, e.base)
		}
		return fmt.Sprintf("SORACOM %s %s failed with HTTP %d%s", e.Op, e.VPGID, se.status, codeSuffix(se.code))
	}
	switch {
	case errors.Is(e.Err, errNoCredentials):
		return fmt.Sprintf("%s and %s are not set; give doorbot a SAM user's auth key allowed VirtualPrivateGateway:getVirtualPrivateGateway", EnvAuthKeyID, EnvAuthKey)
	case e.timedOut():
		return fmt.Sprintf("the SORACOM API did not answer within %s; check network access to %s", e.timeout, e.base)
	case errors.Is(e.Err, context.Canceled):
		return "SORACOM reads were cancelled: the status deadline passed"
	}
	var netErr net.Error
	if errors.As(e.Err, &netErr) {
		return fmt.Sprintf("cannot reach the SORACOM API at %s; check network access and soracom.endpoint", e.base)
	}
	msg := strings.TrimSpace(e.Err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("SORACOM %s %s failed: %s", e.Op, e.VPGID, msg)
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " (" + code + ")"
}

func sortDoor(ds []vpn.DoorConnection) {
	slices.SortFunc(ds, func(a, b vpn.DoorConnection) int { return strings.Compare(a.ID, b.ID) })
}
