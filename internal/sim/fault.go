package sim

import (
	"net/http"
	"strings"
)

// Fault makes a cloud misbehave the way the real ones do under throttling,
// outages and missing permissions.
type Fault struct {
	// Status is the HTTP status to answer, e.g. 503, 429, 401, 403, 404,
	// 500. When zero it follows from Code.
	Status int
	// Code is the EC2 error code (RequestLimitExceeded,
	// UnauthorizedOperation, AuthFailure, …) or the ARM error code
	// (SubscriptionRequestsThrottled, AuthorizationFailed, ResourceNotFound,
	// InvalidAuthenticationToken, …). When empty it follows from Status.
	Code string
	// Message defaults to the real service's wording for Code.
	Message string
	// RetryAfter, in seconds, is sent as Retry-After when > 0.
	RetryAfter int
	// Hang never answers until the client gives up or the server closes.
	Hang bool
	// Match, when non-empty, scopes the fault to requests whose signing
	// region (EC2, CloudWatch Logs) or URL path (ARM, Log Analytics)
	// contains it (case-insensitive).
	Match string
	// Action, when non-empty, scopes the fault to one operation: an EC2 or
	// CloudWatch Logs action, or an ARM operation name (Request.Action).
	Action string
}

func (f Fault) zero() bool { return f.Status == 0 && f.Code == "" && !f.Hang }

func (f Fault) matches(on, action string) bool {
	return (f.Match == "" || strings.Contains(strings.ToLower(on), strings.ToLower(f.Match))) &&
		(f.Action == "" || strings.EqualFold(f.Action, action))
}

// ec2Error resolves a fault into the status, code and message EC2 would send.
func (f Fault) ec2Error() (int, string, string) {
	status, code := f.Status, f.Code
	if code == "" {
		switch status {
		case http.StatusUnauthorized:
			code = "AuthFailure"
		case http.StatusForbidden:
			code = "UnauthorizedOperation"
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			code = "RequestLimitExceeded"
		case http.StatusBadRequest:
			code = "InvalidParameterValue"
		default:
			code = "InternalError"
		}
	}
	if status == 0 {
		status = ec2Status(code)
	}
	msg := f.Message
	if msg == "" {
		msg = ec2Message(code)
	}
	return status, code, msg
}

func ec2Status(code string) int {
	switch code {
	case "RequestLimitExceeded", "Unavailable":
		return http.StatusServiceUnavailable
	case "UnauthorizedOperation", "Blocked", "OptInRequired":
		return http.StatusForbidden
	case "AuthFailure":
		return http.StatusUnauthorized
	case "InternalError", "InternalFailure":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func ec2Message(code string) string {
	switch code {
	case "RequestLimitExceeded":
		return "Request limit exceeded."
	case "UnauthorizedOperation":
		return "You are not authorized to perform this operation."
	case "AuthFailure":
		return "AWS was not able to validate the provided access credentials"
	case "Unavailable":
		return "The server is overloaded and can't handle the request."
	case "InternalError", "InternalFailure":
		return "An internal error has occurred"
	}
	return "The request could not be processed."
}

// armError resolves a fault into the status and code ARM would send; the
// message depends on the request, so the ARM handler builds it.
func (f Fault) armError() (int, string) {
	status, code := f.Status, f.Code
	if code == "" {
		switch status {
		case http.StatusTooManyRequests:
			code = "SubscriptionRequestsThrottled"
		case http.StatusForbidden:
			code = "AuthorizationFailed"
		case http.StatusUnauthorized:
			code = "InvalidAuthenticationToken"
		case http.StatusNotFound:
			code = "ResourceNotFound"
		case http.StatusServiceUnavailable:
			code = "ServiceUnavailable"
		case http.StatusBadGateway:
			code = "BadGateway"
		case http.StatusGatewayTimeout:
			code = "GatewayTimeout"
		default:
			code = "InternalServerError"
		}
	}
	if status == 0 {
		status = armStatus(code)
	}
	return status, code
}

func armStatus(code string) int {
	switch code {
	case "SubscriptionRequestsThrottled", "TooManyRequests":
		return http.StatusTooManyRequests
	case "AuthorizationFailed", "LinkedAuthorizationFailed":
		return http.StatusForbidden
	case "InvalidAuthenticationToken", "AuthenticationFailed", "ExpiredAuthenticationToken":
		return http.StatusUnauthorized
	case "ResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound", "NotFound":
		return http.StatusNotFound
	case "InternalServerError":
		return http.StatusInternalServerError
	case "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case "GatewayTimeout":
		return http.StatusGatewayTimeout
	}
	return http.StatusBadRequest
}
