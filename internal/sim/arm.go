package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// simPrincipal is the identity named in AuthorizationFailed and
	// throttling messages; real ARM names the caller's object ID.
	simPrincipal = "6d9a1f4e-3b2c-4e8f-9a71-0c5d2e8b4f13"
	// maxOps bounds remembered async results; pollers fetch theirs at once.
	maxOps = 256
)

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	defer guard(w, func(w http.ResponseWriter) {
		writeARMError(w, reqID, http.StatusInternalServerError, "InternalServerError", "An unexpected error occurred while processing the request.", 0, false)
	})
	rt := parseARMRoute(r.Method, r.URL.Path)
	q := r.URL.Query()
	authz := r.Header.Get("Authorization")
	s.record(Request{
		Cloud:         CloudAzure,
		Method:        r.Method,
		Path:          r.URL.Path,
		Action:        rt.op,
		Query:         q,
		Authorized:    len(authz) > len("Bearer ") && strings.EqualFold(authz[:len("Bearer ")], "Bearer "),
		Subscription:  rt.sub,
		ResourceGroup: rt.rg,
		Resource:      rt.name,
		Mutation:      rt.mutation,
	})
	left, wait := s.world.takeARM(rt.sub, time.Now())
	fault, answer := s.delay(r.Context(), CloudAzure, r.URL.Path, rt.op)
	if !answer {
		return
	}
	if fault == nil && wait > 0 {
		s.armThrottled.Add(1)
		fault = &Fault{Code: "SubscriptionRequestsThrottled", RetryAfter: int(math.Ceil(wait.Seconds()))}
	}
	if left >= 0 {
		kind := "reads"
		if r.Method != http.MethodGet {
			kind = "writes"
		}
		w.Header().Set("x-ms-ratelimit-remaining-subscription-"+kind, strconv.Itoa(left))
	}
	if fault != nil {
		status, code := fault.armError()
		msg := fault.Message
		if msg == "" {
			msg = armFaultMessage(rt, r.Method, code, fault.RetryAfter)
		}
		writeARMError(w, reqID, status, code, msg, fault.RetryAfter, code == "ResourceNotFound")
		return
	}
	if q.Get("api-version") == "" {
		writeARMError(w, reqID, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.", 0, false)
		return
	}
	if rt.mutation {
		w.Header().Set("Allow", "GET")
		writeARMError(w, reqID, http.StatusMethodNotAllowed, "MethodNotAllowed",
			fmt.Sprintf("The simulated cloud is read-only: %s %s would change cloud state and was refused.", r.Method, r.URL.Path), 0, false)
		return
	}
	switch rt.op {
	case "GetOperationResult":
		s.armOperationResult(w, reqID, rt)
		return
	case "Unknown":
		writeARMError(w, reqID, http.StatusNotFound, "NotFound",
			fmt.Sprintf("No HTTP resource was found that matches the request URI '%s'.", r.URL.Path), 0, false)
		return
	}
	if !s.world.rgExists(rt.sub, rt.rg) {
		writeARMError(w, reqID, http.StatusNotFound, "ResourceGroupNotFound",
			fmt.Sprintf("Resource group '%s' could not be found.", rt.rg), 0, true)
		return
	}
	switch rt.op {
	case "GetGateway":
		g, ok := s.world.gateway(rt.sub, rt.rg, rt.name)
		if !ok {
			s.notFound(w, reqID, rt)
			return
		}
		writeARMJSON(w, reqID, http.StatusOK, gatewayJSON(g))
	case "ListGateways":
		out := armList[armGatewayJSON]{Value: []armGatewayJSON{}}
		for _, g := range s.world.gatewaysIn(rt.sub, rt.rg) {
			out.Value = append(out.Value, gatewayJSON(g))
		}
		writeARMJSON(w, reqID, http.StatusOK, out)
	case "GetConnection":
		c, gw, ok := s.world.connection(rt.sub, rt.rg, rt.name)
		if !ok {
			s.notFound(w, reqID, rt)
			return
		}
		writeARMJSON(w, reqID, http.StatusOK, connectionJSON(c, gw, true, s.world.created))
	case "ListConnections", "ListGatewayConnections":
		s.listConnections(w, reqID, rt)
	case "GetSharedKey":
		// doorbot must never need the PSK; a read-only identity lacks the
		// action, which is what ARM answers it.
		writeARMError(w, reqID, http.StatusForbidden, "AuthorizationFailed", armFaultMessage(rt, r.Method, "AuthorizationFailed", 0), 0, false)
	case "GetLocalNetworkGateway":
		l, loc, ok := s.world.lng(rt.sub, rt.rg, rt.name)
		if !ok {
			s.notFound(w, reqID, rt)
			return
		}
		writeARMJSON(w, reqID, http.StatusOK, lngJSON(l, loc))
	case "ListLocalNetworkGateways":
		out := armList[armLNGJSON]{Value: []armLNGJSON{}}
		loc := s.world.rgLocation(rt.sub, rt.rg)
		for _, l := range s.world.lngsIn(rt.sub, rt.rg) {
			out.Value = append(out.Value, lngJSON(l, loc))
		}
		writeARMJSON(w, reqID, http.StatusOK, out)
	case "GetPublicIP":
		g, i, ok := s.world.publicIP(rt.sub, rt.rg, rt.name)
		if !ok {
			s.notFound(w, reqID, rt)
			return
		}
		writeARMJSON(w, reqID, http.StatusOK, publicIPJSON(g, i))
	case "ListPublicIPs":
		out := armList[armPublicIPJSON]{Value: []armPublicIPJSON{}}
		for _, g := range s.world.gatewaysIn(rt.sub, rt.rg) {
			for i := range g.PublicIPs {
				out.Value = append(out.Value, publicIPJSON(g, i))
			}
		}
		writeARMJSON(w, reqID, http.StatusOK, out)
	case "GetBgpPeerStatus":
		s.bgpPeerStatus(w, r, reqID, rt)
	case "GetLearnedRoutes":
		s.learnedRoutes(w, r, reqID, rt)
	default:
		writeARMError(w, reqID, http.StatusNotFound, "NotFound",
			fmt.Sprintf("No HTTP resource was found that matches the request URI '%s'.", r.URL.Path), 0, false)
	}
}

func (s *Server) listConnections(w http.ResponseWriter, reqID string, rt armRoute) {
	if rt.op == "ListGatewayConnections" {
		if _, ok := s.world.gateway(rt.sub, rt.rg, rt.name); !ok {
			s.notFound(w, reqID, rt)
			return
		}
	}
	out := armList[armConnectionJSON]{Value: []armConnectionJSON{}}
	for _, c := range s.world.connectionsIn(rt.sub, rt.rg) {
		if rt.op == "ListGatewayConnections" && !strings.EqualFold(c.Gateway, rt.name) {
			continue
		}
		var gw *ARMGateway
		if g, ok := s.world.gateway(c.Subscription, c.ResourceGroup, c.Gateway); ok {
			gw = &g
		}
		out.Value = append(out.Value, connectionJSON(c, gw, false, s.world.created))
	}
	writeARMJSON(w, reqID, http.StatusOK, out)
}

func (s *Server) bgpPeerStatus(w http.ResponseWriter, r *http.Request, reqID string, rt armRoute) {
	g, ok := s.world.gateway(rt.sub, rt.rg, rt.name)
	if !ok {
		s.notFound(w, reqID, rt)
		return
	}
	peers, async := s.world.bgpPeers(rt.sub, rt.rg, rt.name)
	out := armList[armBGPPeerJSON]{Value: []armBGPPeerJSON{}}
	peer := r.URL.Query().Get("peer")
	for _, p := range peers {
		if peer == "" || p.Neighbor == peer {
			out.Value = append(out.Value, bgpPeerJSON(p))
		}
	}
	if !async {
		writeARMJSON(w, reqID, http.StatusOK, out)
		return
	}
	s.accepted(w, r, reqID, rt, g, out)
}

// learnedRoutes answers getLearnedRoutes the way ARM does: always as a
// long-running operation (202 + Location).
func (s *Server) learnedRoutes(w http.ResponseWriter, r *http.Request, reqID string, rt armRoute) {
	g, ok := s.world.gateway(rt.sub, rt.rg, rt.name)
	if !ok {
		s.notFound(w, reqID, rt)
		return
	}
	out := armList[armRouteJSON]{Value: []armRouteJSON{}}
	for _, rr := range s.world.learnedRoutes(rt.sub, rt.rg, rt.name) {
		out.Value = append(out.Value, armRouteJSON(rr))
	}
	s.accepted(w, r, reqID, rt, g, out)
}

// accepted answers 202 with a Location from which the result, taken now,
// is fetched by polling.
func (s *Server) accepted(w http.ResponseWriter, r *http.Request, reqID string, rt armRoute, g ARMGateway, out any) {
	body, err := json.Marshal(out)
	if err != nil {
		writeARMError(w, reqID, http.StatusInternalServerError, "InternalServerError", "An unexpected error occurred while processing the request.", 0, false)
		return
	}
	// The result is taken now, like the real operation's snapshot, and
	// handed out by the Location the SDK's poller follows.
	id := newRequestID()
	s.mu.Lock()
	s.ops.put(id, body)
	for s.ops.len() > maxOps {
		s.ops.remove(s.ops.oldest())
	}
	s.mu.Unlock()
	loc := strings.ToLower(strings.ReplaceAll(withGatewayDefaults(g).Location, " ", ""))
	h := w.Header()
	h.Set("Location", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Network/locations/%s/operationResults/%s?api-version=%s",
		s.ARMURL, url.PathEscape(rt.sub), url.PathEscape(loc), id, url.QueryEscape(r.URL.Query().Get("api-version"))))
	h.Set("Retry-After", "0")
	armHeaders(w, reqID)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) armOperationResult(w http.ResponseWriter, reqID string, rt armRoute) {
	s.mu.Lock()
	body, ok := s.ops.get(rt.opID)
	s.mu.Unlock()
	if !ok {
		writeARMError(w, reqID, http.StatusNotFound, "NotFound",
			fmt.Sprintf("The operation '%s' was not found.", rt.opID), 0, false)
		return
	}
	armHeaders(w, reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (s *Server) notFound(w http.ResponseWriter, reqID string, rt armRoute) {
	writeARMError(w, reqID, http.StatusNotFound, "ResourceNotFound", notFoundMessage(rt), 0, true)
}

func notFoundMessage(rt armRoute) string {
	return fmt.Sprintf("The Resource 'Microsoft.Network/%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
		rt.typ, rt.name, rt.rg)
}

// armFaultMessage gives a fault the wording ARM uses for its code, naming
// the request's own subscription, action and scope.
func armFaultMessage(rt armRoute, method, code string, retryAfter int) string {
	switch code {
	case "SubscriptionRequestsThrottled":
		kind := "read"
		if method != http.MethodGet {
			kind = "write"
		}
		if retryAfter <= 0 {
			retryAfter = 1
		}
		return fmt.Sprintf("Number of '%s' requests for subscription '%s' actor '%s' exceeded. Please try again after '%d' seconds after the last request issued. Please see https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling for more information.",
			kind, rt.sub, simPrincipal, retryAfter)
	case "AuthorizationFailed":
		return fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			simPrincipal, simPrincipal, rt.permission, rt.scope())
	case "InvalidAuthenticationToken":
		return "The access token is invalid."
	case "ExpiredAuthenticationToken":
		return "The access token has expired."
	case "ResourceNotFound":
		if rt.name == "" {
			return fmt.Sprintf("The Resource 'Microsoft.Network/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", rt.typ, rt.rg)
		}
		return notFoundMessage(rt)
	case "ResourceGroupNotFound":
		return fmt.Sprintf("Resource group '%s' could not be found.", rt.rg)
	case "InternalServerError":
		return "An unexpected error occurred while processing the request."
	case "ServiceUnavailable":
		return "The service is currently unavailable. Please try again later."
	case "GatewayTimeout":
		return "The gateway did not receive a response from 'Microsoft.Network' within the specified time period."
	}
	return code
}

func armHeaders(w http.ResponseWriter, reqID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("x-ms-request-id", reqID)
	h.Set("x-ms-correlation-request-id", reqID)
}

func writeARMJSON(w http.ResponseWriter, reqID string, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeARMError(w, reqID, http.StatusInternalServerError, "InternalServerError", "An unexpected error occurred while processing the request.", 0, false)
		return
	}
	armHeaders(w, reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeARMError sends ARM's error envelope. The code also goes in
// x-ms-error-code, which azcore prefers over the body.
func writeARMError(w http.ResponseWriter, reqID string, status int, code, msg string, retryAfter int, failureCauseGateway bool) {
	body, _ := json.Marshal(armErrorJSON{Error: armErrorBody{Code: code, Message: msg}})
	armHeaders(w, reqID)
	h := w.Header()
	h.Set("x-ms-error-code", code)
	if failureCauseGateway {
		h.Set("x-ms-failure-cause", "gateway")
	}
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
