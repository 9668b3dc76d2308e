package sim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// ec2Err is an error answered in EC2's Query error format.
type ec2Err struct {
	status        int
	code, message string
}

func (s *Server) serveEC2(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	defer guard(w, func(w http.ResponseWriter) {
		writeEC2Error(w, reqID, ec2Err{http.StatusInternalServerError, "InternalError", "An internal error has occurred"}, 0)
	})
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	authz := r.Header.Get("Authorization")
	region, signed := sigV4Region(authz)
	parseErr := r.ParseForm()
	action := r.Form.Get("Action")
	s.record(Request{
		Cloud:      CloudAWS,
		Method:     r.Method,
		Path:       r.URL.Path,
		Action:     action,
		Region:     region,
		Query:      cloneValues(r.Form),
		Authorized: authz != "",
		Mutation:   ec2Mutation(action),
	})
	fault, answer := s.delay(r.Context(), CloudAWS, region, action)
	if !answer {
		return
	}
	if fault != nil {
		status, code, msg := fault.ec2Error()
		writeEC2Error(w, reqID, ec2Err{status, code, msg}, fault.RetryAfter)
		return
	}
	if parseErr != nil {
		writeEC2Error(w, reqID, ec2Err{http.StatusBadRequest, "MalformedQueryString", "The request body could not be parsed as a form."}, 0)
		return
	}
	if !signed {
		writeEC2Error(w, reqID, ec2Err{http.StatusUnauthorized, "AuthFailure", ec2Message("AuthFailure")}, 0)
		return
	}
	var body any
	var err *ec2Err
	switch action {
	case "DescribeVpnConnections":
		body, err = s.describeVPNConnections(reqID, region, r.Form)
	case "DescribeCustomerGateways":
		body, err = s.describeCustomerGateways(reqID, region, r.Form)
	case "GetVpnTunnelReplacementStatus":
		body, err = s.getVPNTunnelReplacementStatus(reqID, region, r.Form)
	case "":
		err = &ec2Err{http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action"}
	default:
		err = &ec2Err{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action)}
	}
	if err != nil {
		writeEC2Error(w, reqID, *err, 0)
		return
	}
	out, mErr := xml.Marshal(body)
	if mErr != nil {
		writeEC2Error(w, reqID, ec2Err{http.StatusInternalServerError, "InternalError", "An internal error has occurred"}, 0)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("x-amzn-RequestId", reqID)
	h.Set("Server", "AmazonEC2")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// ec2Mutation says whether an EC2 action would change state: everything
// but the Describe and Get families.
func ec2Mutation(action string) bool {
	return action != "" && !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "Get")
}

// sigV4Region takes the region from a SigV4 credential scope:
// "AWS4-HMAC-SHA256 Credential=AKID/20261125/ap-northeast-1/ec2/aws4_request, …".
// EC2 is regional, so the scope is what decides which VPNs a caller sees.
func sigV4Region(authz string) (string, bool) {
	_, rest, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[4] != "aws4_request" {
		return "", false
	}
	return parts[2], true
}

func writeEC2Error(w http.ResponseWriter, reqID string, e ec2Err, retryAfter int) {
	body, err := xml.Marshal(xmlErrorResponse{
		Errors:    []xmlError{{Code: e.code, Message: e.message}},
		RequestID: reqID,
	})
	if err != nil {
		body = []byte("<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>")
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml;charset=UTF-8")
	h.Set("x-amzn-RequestId", reqID)
	h.Set("Server", "AmazonEC2")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>`))
	_, _ = w.Write(body)
}

func (s *Server) describeVPNConnections(reqID, region string, form url.Values) (any, *ec2Err) {
	vpns, e := describe(form, s.world.vpnsIn(region), vpnKind)
	if e != nil {
		return nil, e
	}
	resp := describeVPNConnectionsResponse{Xmlns: ec2Namespace, RequestID: reqID}
	for _, v := range vpns {
		resp.VPNs.Items = append(resp.VPNs.Items, vpnXML(v))
	}
	return resp, nil
}

func (s *Server) describeCustomerGateways(reqID, region string, form url.Values) (any, *ec2Err) {
	cgws, e := describe(form, s.world.cgwsIn(region), cgwKind)
	if e != nil {
		return nil, e
	}
	resp := describeCustomerGatewaysResponse{Xmlns: ec2Namespace, RequestID: reqID}
	for _, c := range cgws {
		resp.CGWs.Items = append(resp.CGWs.Items, xmlCGW{
			ID: c.ID, State: c.State, Type: "ipsec.1", IPAddress: c.IPAddress,
			BGPASN: strconv.FormatInt(c.BGPASN, 10),
		})
	}
	return resp, nil
}

// ec2Kind is what a Describe call needs to know of one resource kind.
type ec2Kind[T any] struct {
	idParam  string // the ID list parameter, e.g. VpnConnectionId
	notFound string // the error code of an unknown ID
	noun     string // the resource as EC2's NotFound message names it
	id       func(T) string
	filters  map[string]func(T) []string
}

var (
	vpnKind = ec2Kind[EC2VPN]{"VpnConnectionId", "InvalidVpnConnectionID.NotFound", "vpnConnection",
		func(v EC2VPN) string { return v.ID }, vpnFilters}
	cgwKind = ec2Kind[EC2CustomerGateway]{"CustomerGatewayId", "InvalidCustomerGatewayID.NotFound", "customerGateway",
		func(c EC2CustomerGateway) string { return c.ID }, cgwFilters}
)

// describe narrows a region's resources the way every EC2 Describe call
// does: DryRun refuses, each listed ID must exist (one unknown ID fails the
// whole call), then the filters apply.
func describe[T any](form url.Values, items []T, k ec2Kind[T]) ([]T, *ec2Err) {
	if e := dryRun(form); e != nil {
		return nil, e
	}
	ids, e := indexed(form, k.idParam)
	if e != nil {
		return nil, e
	}
	filters, e := parseFilters(form)
	if e != nil {
		return nil, e
	}
	for _, id := range ids {
		if !slices.ContainsFunc(items, func(it T) bool { return k.id(it) == id }) {
			return nil, &ec2Err{http.StatusBadRequest, k.notFound, fmt.Sprintf("The %s ID '%s' does not exist", k.noun, id)}
		}
	}
	if len(ids) > 0 {
		items = slices.DeleteFunc(items, func(it T) bool { return !slices.Contains(ids, k.id(it)) })
	}
	return applyFilters(items, filters, k.filters)
}

func (s *Server) getVPNTunnelReplacementStatus(reqID, region string, form url.Values) (any, *ec2Err) {
	if e := dryRun(form); e != nil {
		return nil, e
	}
	id, ip := form.Get("VpnConnectionId"), form.Get("VpnTunnelOutsideIpAddress")
	for name, v := range map[string]string{"VpnConnectionId": id, "VpnTunnelOutsideIpAddress": ip} {
		if v == "" {
			return nil, &ec2Err{http.StatusBadRequest, "MissingParameter", fmt.Sprintf("The request must contain the parameter %s", name)}
		}
	}
	v, t, vpnOK, tunnelOK := s.world.vpnTunnel(region, id, ip)
	switch {
	case !vpnOK:
		return nil, &ec2Err{http.StatusBadRequest, "InvalidVpnConnectionID.NotFound", fmt.Sprintf("The vpnConnection ID '%s' does not exist", id)}
	case !tunnelOK:
		return nil, &ec2Err{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The VPN tunnel outside IP address '%s' does not belong to %s", ip, id)}
	}
	resp := getVPNTunnelReplacementStatusResponse{
		Xmlns: ec2Namespace, RequestID: reqID, VPNConnectionID: v.ID, CustomerGatewayID: v.CustomerGatewayID,
		VPNGatewayID: v.VPNGatewayID, OutsideIPAddress: t.OutsideIP,
	}
	m := t.Maintenance
	resp.Maintenance.PendingMaintenance = m.Pending
	if !m.AutoAppliedAfter.IsZero() {
		resp.Maintenance.MaintenanceAutoAppliedAfter = m.AutoAppliedAfter.UTC().Format(ec2Time)
	}
	if !m.LastApplied.IsZero() {
		resp.Maintenance.LastMaintenanceApplied = m.LastApplied.UTC().Format(ec2Time)
	}
	return resp, nil
}

func dryRun(form url.Values) *ec2Err {
	if strings.EqualFold(form.Get("DryRun"), "true") {
		return &ec2Err{http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."}
	}
	return nil
}

// indexed collects the values of a Query list parameter (Name.1, Name.2, …)
// in index order; the index, not the form order, is what EC2 honours. A
// malformed index is refused rather than ignored, since ignoring it would
// widen the request to every resource.
func indexed(form url.Values, name string) ([]string, *ec2Err) {
	type iv struct {
		i int
		v string
	}
	var items []iv
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok || len(vs) == 0 {
			continue
		}
		i, err := strconv.Atoi(rest)
		if err != nil || i < 1 {
			return nil, unknownParameter(k)
		}
		items = append(items, iv{i, vs[0]})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.v)
	}
	return out, nil
}

func unknownParameter(name string) *ec2Err {
	return &ec2Err{http.StatusBadRequest, "UnknownParameter", fmt.Sprintf("The parameter %s is not recognized", name)}
}

// MaxFilterValues is EC2's limit on filter values in one Describe call,
// summed over its filters; beyond it the whole call fails.
const MaxFilterValues = 200

type ec2Filter struct {
	name   string
	values []string
}

func parseFilters(form url.Values) ([]ec2Filter, *ec2Err) {
	byIndex := map[int]*ec2Filter{}
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, "Filter.")
		if !ok || len(vs) == 0 {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if err != nil || i < 1 || (field != "Name" && !strings.HasPrefix(field, "Value.")) {
			return nil, unknownParameter(k)
		}
		f := byIndex[i]
		if f == nil {
			f = &ec2Filter{}
			byIndex[i] = f
		}
		switch {
		case field == "Name":
			f.name = vs[0]
		case strings.HasPrefix(field, "Value."):
			f.values = append(f.values, vs[0])
		}
	}
	values := 0
	for _, f := range byIndex {
		values += len(f.values)
	}
	if values > MaxFilterValues {
		return nil, &ec2Err{http.StatusBadRequest, "FilterLimitExceeded",
			fmt.Sprintf("The maximum number of filter values specified on a single call is %d", MaxFilterValues)}
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]ec2Filter, 0, len(idx))
	for _, i := range idx {
		f := byIndex[i]
		if f.name == "" {
			return nil, &ec2Err{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter 'Filter.%d' has no Name", i)}
		}
		out = append(out, *f)
	}
	return out, nil
}

var vpnFilters = map[string]func(EC2VPN) []string{
	"vpn-connection-id":   func(v EC2VPN) []string { return []string{v.ID} },
	"state":               func(v EC2VPN) []string { return []string{v.State} },
	"customer-gateway-id": func(v EC2VPN) []string { return []string{v.CustomerGatewayID} },
	"vpn-gateway-id":      func(v EC2VPN) []string { return []string{v.VPNGatewayID} },
	"type":                func(EC2VPN) []string { return []string{"ipsec.1"} },
	"option.static-routes-only": func(v EC2VPN) []string {
		return []string{strconv.FormatBool(v.StaticRoutesOnly)}
	},
	"route.destination-cidr-block": func(v EC2VPN) []string { return v.Routes },
}

var cgwFilters = map[string]func(EC2CustomerGateway) []string{
	"customer-gateway-id": func(c EC2CustomerGateway) []string { return []string{c.ID} },
	"state":               func(c EC2CustomerGateway) []string { return []string{c.State} },
	"ip-address":          func(c EC2CustomerGateway) []string { return []string{c.IPAddress} },
	"bgp-asn":             func(c EC2CustomerGateway) []string { return []string{strconv.FormatInt(c.BGPASN, 10)} },
	"type":                func(EC2CustomerGateway) []string { return []string{"ipsec.1"} },
}

// applyFilters keeps the items that match every filter (a filter matches
// when any of its values matches). An unknown filter name is an error, as
// in EC2: silently matching everything would hide a caller's typo.
func applyFilters[T any](items []T, filters []ec2Filter, spec map[string]func(T) []string) ([]T, *ec2Err) {
	fields := make([]func(T) []string, len(filters))
	for i, f := range filters {
		get, ok := spec[f.name]
		switch {
		case ok:
		case strings.HasPrefix(f.name, "tag:") || f.name == "tag-key":
			get = func(T) []string { return nil } // the sim has no tags
		default:
			return nil, &ec2Err{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", f.name)}
		}
		fields[i] = get
	}
	return slices.DeleteFunc(items, func(it T) bool {
		for i, f := range filters {
			if !anyMatch(f.values, fields[i](it)) {
				return true
			}
		}
		return false
	}), nil
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if glob(p, v) {
				return true
			}
		}
	}
	return false
}

// glob matches EC2 filter wildcards: * any run, ? any one character.
func glob(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
