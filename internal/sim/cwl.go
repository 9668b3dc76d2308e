package sim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cwlTargetPrefix is the awsJson1.1 target of CloudWatch Logs:
// X-Amz-Target: Logs_20140328.FilterLogEvents.
const cwlTargetPrefix = "Logs_20140328."

// cwlPageSize is small so that clients must follow nextToken, as they must
// against the real service (pages stop at 1 MB or 10,000 events, and may be
// empty while a token remains).
const cwlPageSize = 25

type cwlErr struct {
	status        int
	code, message string
}

// serveCWL answers CloudWatch Logs over awsJson1.1: POST / with the
// operation in X-Amz-Target and a JSON body. Only FilterLogEvents reads
// anything; every write (PutLogEvents, CreateLogGroup, PutRetentionPolicy,
// …) is recorded as a mutation and refused.
func (s *Server) serveCWL(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	defer guard(w, func(w http.ResponseWriter) {
		writeCWLError(w, reqID, cwlErr{http.StatusInternalServerError, "ServiceUnavailableException", "An internal error occurred."}, 0)
	})
	authz := r.Header.Get("Authorization")
	region, signed := sigV4Region(authz)
	target := r.Header.Get("X-Amz-Target")
	op, known := strings.CutPrefix(target, cwlTargetPrefix)
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	s.record(Request{
		Cloud: CloudAWSLogs, Method: r.Method, Path: r.URL.Path, Action: op, Region: region,
		Authorized: authz != "", Mutation: cwlMutation(op),
	})
	fault, answer := s.delay(r.Context(), CloudAWSLogs, region, op)
	if !answer {
		return
	}
	if fault != nil {
		writeCWLError(w, reqID, fault.cwlError(), fault.RetryAfter)
		return
	}
	switch {
	case readErr != nil:
		writeCWLError(w, reqID, cwlErr{http.StatusBadRequest, "SerializationException", "The request body could not be read."}, 0)
		return
	case !signed:
		writeCWLError(w, reqID, cwlErr{http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"}, 0)
		return
	case r.Method != http.MethodPost || !known:
		writeCWLError(w, reqID, cwlErr{http.StatusBadRequest, "UnknownOperationException", ""}, 0)
		return
	case cwlMutation(op):
		writeCWLError(w, reqID, cwlErr{http.StatusBadRequest, "AccessDeniedException",
			fmt.Sprintf("The simulated cloud is read-only: %s would change cloud state and was refused.", op)}, 0)
		return
	}
	var out any
	var err *cwlErr
	switch op {
	case "FilterLogEvents":
		out, err = s.filterLogEvents(body)
	default:
		err = &cwlErr{http.StatusBadRequest, "UnknownOperationException", ""}
	}
	if err != nil {
		writeCWLError(w, reqID, *err, 0)
		return
	}
	data, mErr := json.Marshal(out)
	if mErr != nil {
		writeCWLError(w, reqID, cwlErr{http.StatusInternalServerError, "ServiceUnavailableException", "An internal error occurred."}, 0)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("x-amzn-RequestId", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// cwlMutation says whether a CloudWatch Logs operation would change state:
// everything but the Describe, Get, List, Filter and query-reading families.
func cwlMutation(op string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Filter", "Test"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return op != ""
}

type filterLogEventsInput struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	LogStreamNames      []string `json:"logStreamNames"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	NextToken           string   `json:"nextToken"`
	Limit               int      `json:"limit"`
	FilterPattern       string   `json:"filterPattern"`
}

type cwlEventJSON struct {
	EventID       string `json:"eventId"`
	IngestionTime int64  `json:"ingestionTime"`
	LogStreamName string `json:"logStreamName"`
	Message       string `json:"message"`
	Timestamp     int64  `json:"timestamp"`
}

type cwlSearchedJSON struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

type filterLogEventsOutput struct {
	Events             []cwlEventJSON    `json:"events"`
	SearchedLogStreams []cwlSearchedJSON `json:"searchedLogStreams"`
	NextToken          string            `json:"nextToken,omitempty"`
}

func (s *Server) filterLogEvents(body []byte) (any, *cwlErr) {
	var in filterLogEventsInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &cwlErr{http.StatusBadRequest, "SerializationException", "Start of structure or map found where not expected."}
	}
	if (in.LogGroupName == "") == (in.LogGroupIdentifier == "") {
		return nil, &cwlErr{http.StatusBadRequest, "InvalidParameterException", "Exactly one of logGroupName or logGroupIdentifier must be specified."}
	}
	if in.LogStreamNamePrefix != "" && len(in.LogStreamNames) > 0 {
		return nil, &cwlErr{http.StatusBadRequest, "InvalidParameterException", "logStreamNames and logStreamNamePrefix are mutually exclusive."}
	}
	if in.FilterPattern != "" {
		return nil, &cwlErr{http.StatusBadRequest, "InvalidParameterException", "The simulated cloud does not evaluate filter patterns."}
	}
	_, streams, ok := s.world.logGroup(in.LogGroupName + in.LogGroupIdentifier)
	if !ok {
		return nil, &cwlErr{http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist."}
	}
	offset := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), "sim/"))
		if err != nil || convErr != nil || n < 0 {
			return nil, &cwlErr{http.StatusBadRequest, "InvalidParameterException", "The specified nextToken is invalid."}
		}
		offset = n
	}
	limit := cwlPageSize
	if in.Limit > 0 && in.Limit < limit {
		limit = in.Limit
	}
	out := filterLogEventsOutput{Events: []cwlEventJSON{}, SearchedLogStreams: []cwlSearchedJSON{}}
	var all []cwlEventJSON
	for _, st := range streams {
		if in.LogStreamNamePrefix != "" && !strings.HasPrefix(st.name, in.LogStreamNamePrefix) {
			continue
		}
		if len(in.LogStreamNames) > 0 && !slices.Contains(in.LogStreamNames, st.name) {
			continue
		}
		out.SearchedLogStreams = append(out.SearchedLogStreams, cwlSearchedJSON{st.name, true})
		for i, e := range st.events {
			ms := e.Time.UnixMilli()
			if (in.StartTime != nil && ms < *in.StartTime) || (in.EndTime != nil && ms > *in.EndTime) {
				continue
			}
			all = append(all, cwlEventJSON{
				EventID: fmt.Sprintf("%020d%s%04d", ms, strings.ReplaceAll(st.name, ".", ""), i), IngestionTime: ms + 350,
				LogStreamName: st.name, Message: e.Message, Timestamp: ms,
			})
		}
	}
	// Interleaved across streams in time order, as FilterLogEvents returns.
	slices.SortStableFunc(all, func(a, b cwlEventJSON) int { return cmp.Compare(a.Timestamp, b.Timestamp) })
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+limit, len(all))
	out.Events = append(out.Events, all[offset:end]...)
	if end < len(all) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte("sim/" + strconv.Itoa(end)))
	}
	return out, nil
}

// cwlError resolves a fault into what CloudWatch Logs sends: client
// errors, throttling and access denied all come back as HTTP 400 with the
// code in __type.
func (f Fault) cwlError() cwlErr {
	code := f.Code
	if code == "" {
		switch f.Status {
		case http.StatusForbidden:
			code = "AccessDeniedException"
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			code = "ThrottlingException"
		case http.StatusNotFound:
			code = "ResourceNotFoundException"
		case http.StatusUnauthorized:
			code = "UnrecognizedClientException"
		default:
			code = "ServiceUnavailableException"
		}
	}
	msg := f.Message
	status := http.StatusBadRequest
	switch code {
	case "AccessDeniedException":
		msg = cmp.Or(msg, "User: arn:aws:iam::123456789012:user/doorbot is not authorized to perform: logs:FilterLogEvents because no identity-based policy allows the logs:FilterLogEvents action")
	case "ThrottlingException":
		msg = cmp.Or(msg, "Rate exceeded")
	case "ResourceNotFoundException":
		msg = cmp.Or(msg, "The specified log group does not exist.")
	case "UnrecognizedClientException":
		msg = cmp.Or(msg, "The security token included in the request is invalid.")
	case "ServiceUnavailableException":
		status = http.StatusInternalServerError
		msg = cmp.Or(msg, "The service cannot complete the request.")
	}
	return cwlErr{status, code, msg}
}

func writeCWLError(w http.ResponseWriter, reqID string, e cwlErr, retryAfter int) {
	body, _ := json.Marshal(map[string]string{"__type": e.code, "message": e.message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("x-amzn-RequestId", reqID)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
