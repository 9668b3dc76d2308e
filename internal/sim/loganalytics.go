package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Log Analytics query API (api.loganalytics.io) as azlogs calls it:
// POST /v1/{resourceId}/query with {"query", "timespan"}, answered with
// JSON tables. The simulator does not run KQL: it answers the
// AzureDiagnostics query doorbot sends with the gateway's records inside
// the timespan, newest first, in the columns that query projects.

// laColumns are the columns of doorbot's diagnostics query, with the types
// Log Analytics reports.
var laColumns = []laColumn{
	{"TimeGenerated", "datetime"}, {"Category", "string"}, {"OperationName", "string"}, {"instance_s", "string"},
	{"remoteIP_s", "string"}, {"status_s", "string"}, {"stateChangeReason_s", "string"}, {"Message", "string"},
}

type laColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type laTable struct {
	Name    string     `json:"name"`
	Columns []laColumn `json:"columns"`
	Rows    [][]any    `json:"rows"`
}

type laQuery struct {
	Query    string `json:"query"`
	Timespan string `json:"timespan"`
}

func (s *Server) serveLogAnalytics(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	defer guard(w, func(w http.ResponseWriter) {
		writeLAError(w, reqID, http.StatusInternalServerError, "InternalServerError", "An unexpected error occurred.", 0)
	})
	authz := r.Header.Get("Authorization")
	resource, isQuery := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1"), "/query")
	op := "Unknown"
	if isQuery && r.Method == http.MethodPost {
		op = "QueryResource"
	}
	rt := parseARMRoute(http.MethodGet, resource)
	s.record(Request{
		Cloud: CloudAzureLogs, Method: r.Method, Path: r.URL.Path, Action: op,
		Authorized:   len(authz) > len("Bearer ") && strings.EqualFold(authz[:len("Bearer ")], "Bearer "),
		Subscription: rt.sub, ResourceGroup: rt.rg, Resource: rt.name,
		// A query reads and the query API has no writes; a write verb is
		// still flagged, so that a client sending one cannot go unnoticed.
		Mutation: r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete,
	})
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	fault, answer := s.delay(r.Context(), CloudAzureLogs, r.URL.Path, op)
	if !answer {
		return
	}
	if fault != nil {
		status, code, msg := fault.laError()
		writeLAError(w, reqID, status, code, msg, fault.RetryAfter)
		return
	}
	switch {
	case op != "QueryResource" || !strings.HasPrefix(r.URL.Path, "/v1/"):
		writeLAError(w, reqID, http.StatusNotFound, "PathNotFoundError", fmt.Sprintf("The requested path does not exist: %s", r.URL.Path), 0)
		return
	case !strings.HasPrefix(authz, "Bearer "):
		writeLAError(w, reqID, http.StatusUnauthorized, "AuthorizationRequiredError", "Valid authentication was not provided", 0)
		return
	case readErr != nil:
		writeLAError(w, reqID, http.StatusBadRequest, "BadArgumentError", "The request body could not be read.", 0)
		return
	}
	var q laQuery
	if err := json.Unmarshal(body, &q); err != nil || strings.TrimSpace(q.Query) == "" {
		writeLAError(w, reqID, http.StatusBadRequest, "BadArgumentError", "The request had some invalid properties: query is required.", 0)
		return
	}
	if rt.typ != "virtualNetworkGateways" || rt.name == "" || rt.action != "" {
		writeLAError(w, reqID, http.StatusNotFound, "ResourceNotFoundError", fmt.Sprintf("The resource %s was not found.", resource), 0)
		return
	}
	if !strings.HasPrefix(strings.TrimSpace(q.Query), "AzureDiagnostics") {
		writeLAError(w, reqID, http.StatusBadRequest, "BadArgumentError", "The simulated workspace answers AzureDiagnostics queries only.", 0)
		return
	}
	if _, ok := s.world.gateway(rt.sub, rt.rg, rt.name); !ok {
		writeLAError(w, reqID, http.StatusNotFound, "ResourceNotFoundError", fmt.Sprintf("The resource %s was not found.", resource), 0)
		return
	}
	recs, enabled := s.world.diagnosticRecords(rt.sub, rt.rg, rt.name)
	if !enabled {
		// No diagnostic setting ever sent this gateway's logs to a
		// workspace: the table does not resolve for it.
		writeLAError(w, reqID, http.StatusBadRequest, "BadArgumentError",
			"'where' operator: Failed to resolve table or column expression named 'AzureDiagnostics'", 0)
		return
	}
	from, to, err := parseTimespan(q.Timespan, time.Now().UTC())
	if err != nil {
		writeLAError(w, reqID, http.StatusBadRequest, "BadArgumentError", "Invalid timespan: "+err.Error(), 0)
		return
	}
	var in []DiagnosticRecord
	for _, d := range recs {
		if !d.Time.Before(from) && !d.Time.After(to) {
			in = append(in, d)
		}
	}
	slices.SortStableFunc(in, func(a, b DiagnosticRecord) int { return b.Time.Compare(a.Time) })
	t := laTable{Name: "PrimaryResult", Columns: laColumns, Rows: [][]any{}}
	for _, d := range in {
		t.Rows = append(t.Rows, []any{d.Time.UTC().Format("2006-01-02T15:04:05.0000000Z"), d.Category, d.OperationName,
			d.Instance, d.RemoteIP, d.Status, d.StateChangeReason, d.Message})
	}
	out, _ := json.Marshal(map[string]any{"tables": []laTable{t}})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("x-ms-request-id", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// parseTimespan reads "start/end" (RFC 3339) or an ISO 8601 duration
// ("PT1H", ending now), the forms azlogs sends.
func parseTimespan(s string, now time.Time) (time.Time, time.Time, error) {
	if s == "" {
		return now.Add(-24 * time.Hour), now, nil
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		from, err1 := time.Parse(time.RFC3339, a)
		to, err2 := time.Parse(time.RFC3339, b)
		if err := cmp.Or(err1, err2); err != nil {
			return time.Time{}, time.Time{}, err
		}
		return from, to, nil
	}
	if rest, ok := strings.CutPrefix(strings.ToUpper(s), "PT"); ok && len(rest) > 1 {
		n, err := strconv.Atoi(rest[:len(rest)-1])
		unit := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[rest[len(rest)-1]]
		if err == nil && unit > 0 {
			return now.Add(-time.Duration(n) * unit), now, nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is neither start/end nor a duration", s)
}

// laError resolves a fault into Log Analytics' status, code and message.
func (f Fault) laError() (int, string, string) {
	status := f.Status
	code := f.Code
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if code == "" {
		code = map[int]string{
			http.StatusForbidden:       "InsufficientAccessError",
			http.StatusUnauthorized:    "InvalidTokenError",
			http.StatusNotFound:        "ResourceNotFoundError",
			http.StatusTooManyRequests: "ThrottledError",
			http.StatusBadRequest:      "BadArgumentError",
		}[status]
		code = cmp.Or(code, "ServiceError")
	}
	msg := cmp.Or(f.Message, map[string]string{
		"InsufficientAccessError": "The provided credentials have insufficient access to perform the requested operation",
		"ThrottledError":          "Your request was throttled. Please try again later.",
		"ResourceNotFoundError":   "The requested resource was not found.",
		"InvalidTokenError":       "The provided authentication is not valid for this resource",
	}[code], "An unexpected error occurred.")
	return status, code, msg
}

func writeLAError(w http.ResponseWriter, reqID string, status int, code, msg string, retryAfter int) {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg, "correlationId": reqID}})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("x-ms-request-id", reqID)
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
