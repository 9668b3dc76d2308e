package sim

import (
	"fmt"
	"net/http"
	"strings"
)

// armRoute is what an ARM request asks for, decided from method and path
// alone so that it can be recorded before anything else happens.
type armRoute struct {
	op       string // Request.Action
	typ      string // canonical resource type segment, e.g. "connections"
	sub, rg  string
	name     string
	action   string // segment after the name, e.g. "getBgpPeerStatus"
	mutation bool
	// permission is the RBAC action ARM would check, for AuthorizationFailed.
	permission string
	// location and opID address an async operation result.
	location, opID string
}

type armType struct{ canonical, noun string }

var armTypes = map[string]armType{
	"virtualnetworkgateways": {"virtualNetworkGateways", "Gateway"},
	"connections":            {"connections", "Connection"},
	"localnetworkgateways":   {"localNetworkGateways", "LocalNetworkGateway"},
	"publicipaddresses":      {"publicIPAddresses", "PublicIP"},
}

func parseARMRoute(method, path string) armRoute {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	rt := armRoute{op: "Unknown", permission: "Microsoft.Network/*/read"}
	// Every write verb counts as a mutation, and so does every POST action
	// but the BGP peer status and learned routes reads: doorbot has no
	// business calling reset and friends.
	switch method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodPost:
		rt.mutation = true
	}
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") || segs[1] == "" {
		return rt
	}
	rt.sub = segs[1]
	rest := segs[2:]

	// /subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operationResults/{id}
	if len(rest) == 6 && strings.EqualFold(rest[0], "providers") && strings.EqualFold(rest[1], "Microsoft.Network") &&
		strings.EqualFold(rest[2], "locations") && strings.EqualFold(rest[4], "operationResults") {
		rt.location, rt.opID = rest[3], rest[5]
		rt.permission = "Microsoft.Network/locations/operationResults/read"
		if method == http.MethodGet {
			rt.op = "GetOperationResult"
		}
		return rt
	}
	if len(rest) < 5 || !strings.EqualFold(rest[0], "resourceGroups") || rest[1] == "" ||
		!strings.EqualFold(rest[2], "providers") || !strings.EqualFold(rest[3], "Microsoft.Network") {
		return rt
	}
	rt.rg = rest[1]
	t, known := armTypes[strings.ToLower(rest[4])]
	if !known {
		t = armType{rest[4], "Resource"}
	}
	rt.typ = t.canonical
	switch len(rest) {
	case 5:
	case 6:
		rt.name = rest[5]
	case 7:
		rt.name, rt.action = rest[5], rest[6]
	default:
		return rt
	}
	if rt.name == "" && len(rest) > 5 {
		return rt
	}
	rt.permission = rbacAction(method, rt.typ, rt.action)
	// The gateway's status reads are POST actions that change nothing.
	if method == http.MethodPost && known && rt.typ == "virtualNetworkGateways" && rt.name != "" {
		for _, read := range []string{"getBgpPeerStatus", "getLearnedRoutes"} {
			if strings.EqualFold(rt.action, read) {
				rt.mutation = false
				rt.op = upperFirst(read)
				return rt
			}
		}
	}
	switch {
	case rt.mutation:
		rt.op = verb(method) + t.noun + upperFirst(rt.action)
	case !known, method != http.MethodGet:
	case rt.name == "":
		rt.op = "List" + plural(t.noun)
	case rt.action == "":
		rt.op = "Get" + t.noun
	case rt.typ == "virtualNetworkGateways" && strings.EqualFold(rt.action, "connections"):
		rt.op = "ListGatewayConnections"
	case rt.typ == "connections" && strings.EqualFold(rt.action, "sharedkey"):
		rt.op = "GetSharedKey"
	}
	return rt
}

func rbacAction(method, typ, action string) string {
	base := "Microsoft.Network/" + typ
	switch {
	case method == http.MethodPost && action != "":
		return base + "/" + action + "/action"
	case method == http.MethodDelete:
		return base + "/delete"
	case method == http.MethodPut || method == http.MethodPatch:
		return base + "/write"
	case typ == "connections" && strings.EqualFold(action, "sharedkey"):
		return base + "/sharedKey/action"
	case typ == "virtualNetworkGateways" && strings.EqualFold(action, "connections"):
		return base + "/connections/read"
	}
	return base + "/read"
}

func verb(method string) string {
	switch method {
	case http.MethodPut:
		return "Put"
	case http.MethodPatch:
		return "Patch"
	case http.MethodDelete:
		return "Delete"
	case http.MethodPost:
		return "Post"
	}
	return upperFirst(strings.ToLower(method))
}

func plural(noun string) string {
	if noun == "PublicIP" {
		return "PublicIPs"
	}
	return noun + "s"
}

func upperFirst(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// scope is the resource path ARM names in AuthorizationFailed.
func (rt armRoute) scope() string {
	switch {
	case rt.rg == "" && rt.sub != "":
		return "/subscriptions/" + rt.sub
	case rt.rg == "":
		return "/"
	case rt.name == "":
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s", rt.sub, rt.rg)
	}
	return armID(rt.sub, rt.rg, rt.typ, rt.name)
}
