package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CloudSoracom names the simulated SORACOM API in SetFault, AddFault,
// SetLatency and Request.Cloud.
const CloudSoracom = "soracom"

// The auth key the simulated SORACOM API accepts unless SetSoracomAuthKey
// says otherwise. The secret, and every API key and token issued, contain
// SoracomSecretPrefix so that a test can grep any output for them.
const (
	SoracomAuthKeyID    = "keyId-doorbotSimulatedKey"
	SoracomAuthKey      = SoracomSecretPrefix + "authkey-ABCdef0123456789"
	SoracomSecretPrefix = "secret-sim-"
	// soracomRateLimit is the per-path budget per minute the simulator
	// announces in X-Soracom-Ratelimit-* headers.
	soracomRateLimit = 60
)

// SoracomVPG is one Virtual Private Gateway with its Door connections.
type SoracomVPG struct {
	ID     string
	Status string // default "running"
	// Type is the API enum (14 Type-E, 15 Type-F, 242 Type-F2); default 15.
	Type         int
	Name         string // tags.name
	Region       string // placement.region, default ap-northeast-1
	DeviceSubnet string // default 10.128.0.0/9
	VPGSubnet    string // "" leaves vpgSubnetCidrRange out
	Door         []SoracomDoor
	Filter       []SoracomFilterEntry
	Online       int
}

// SoracomDoor is one entry of vpnConnections.
type SoracomDoor struct {
	ID      string
	Dynamic bool
	BGPASN  string
}

// SoracomFilterEntry is one routingFilterEntries item.
type SoracomFilterEntry struct{ Action, IPRange string }

type soracomState struct {
	keyID, key string
	vpgs       ordered[SoracomVPG]
	tokens     map[string]string // apiKey → token
	window     map[string]soracomWindow
}

type soracomWindow struct {
	start time.Time
	used  int
}

func newSoracomState() soracomState {
	return soracomState{keyID: SoracomAuthKeyID, key: SoracomAuthKey, vpgs: newOrdered[SoracomVPG](),
		tokens: map[string]string{}, window: map[string]soracomWindow{}}
}

// AddVPG adds or replaces a VPG.
func (w *World) AddVPG(v SoracomVPG) {
	v.Door = slices.Clone(v.Door)
	v.Filter = slices.Clone(v.Filter)
	if v.Status == "" {
		v.Status = "running"
	}
	if v.Type == 0 {
		v.Type = 15
	}
	if v.Region == "" {
		v.Region = "ap-northeast-1"
	}
	if v.DeviceSubnet == "" {
		v.DeviceSubnet = "10.128.0.0/9"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.soracom.vpgs.put(v.ID, v)
}

// SetSoracomAuthKey replaces the one auth key the API accepts.
func (w *World) SetSoracomAuthKey(id, secret string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.soracom.keyID, w.soracom.key = id, secret
}

// RevokeSoracomTokens invalidates every issued API key and token, as an
// expiry or a logout elsewhere would: the next read gets a 401.
func (w *World) RevokeSoracomTokens() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.soracom.tokens)
}

// SoracomTokens is the number of API key/token pairs currently valid.
func (w *World) SoracomTokens() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.soracom.tokens)
}

func (w *World) soracomAuth(keyID, key string) (apiKey, token string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if keyID == "" || keyID != w.soracom.keyID || key != w.soracom.key {
		return "", "", false
	}
	// Both carry SoracomSecretPrefix so that a leak test finds them.
	apiKey, token = "api-"+SoracomSecretPrefix+randHex(16), SoracomSecretPrefix+"token-"+randHex(48)
	w.soracom.tokens[apiKey] = token
	return apiKey, token, true
}

func (w *World) soracomValid(apiKey, token string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.soracom.tokens[apiKey]
	return ok && t == token && token != ""
}

func (w *World) soracomLogout(apiKey, token string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t, ok := w.soracom.tokens[apiKey]; ok && t == token {
		delete(w.soracom.tokens, apiKey)
		return true
	}
	return false
}

func (w *World) vpg(id string) (SoracomVPG, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.soracom.vpgs.get(id)
}

// soracomBudget counts a request against its path's per-minute budget and
// returns the headers' values.
func (w *World) soracomBudget(path string) (remaining, refresh int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	win := w.soracom.window[path]
	if now.Sub(win.start) >= time.Minute {
		win = soracomWindow{start: now}
	}
	win.used++
	w.soracom.window[path] = win
	refresh = int((time.Minute - now.Sub(win.start)).Round(time.Second) / time.Second)
	return max(0, soracomRateLimit-win.used), refresh
}

func randHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveSoracom speaks the SORACOM API: POST /v1/auth, POST
// /v1/auth/logout, GET /v1/virtual_private_gateways/{id}. Everything else
// a read-only client has no business sending is recorded as a mutation
// (POST, PUT, DELETE) and refused.
func (s *Server) serveSoracom(w http.ResponseWriter, r *http.Request) {
	defer guard(w, func(w http.ResponseWriter) {
		writeSoracomError(w, http.StatusInternalServerError, "COM0001", "Internal server error")
	})
	op, id := soracomRoute(r.Method, r.URL.Path)
	apiKey, token := r.Header.Get("X-Soracom-API-Key"), r.Header.Get("X-Soracom-Token")
	s.record(Request{
		Cloud: CloudSoracom, Method: r.Method, Path: r.URL.Path, Action: op, Query: r.URL.Query(),
		Authorized: apiKey != "" && token != "", Resource: id,
		Mutation: r.Method != http.MethodGet && op != "auth" && op != "logout",
	})
	remaining, refresh := s.world.soracomBudget(r.URL.Path)
	h := w.Header()
	h.Set("X-Soracom-Ratelimit-Limit", strconv.Itoa(soracomRateLimit))
	h.Set("X-Soracom-Ratelimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Soracom-Ratelimit-Seconds-Before-Refresh", strconv.Itoa(refresh))

	fault, answer := s.delay(r.Context(), CloudSoracom, r.URL.Path, "")
	if !answer {
		return
	}
	if fault != nil {
		status := fault.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status == http.StatusTooManyRequests {
			h.Set("X-Soracom-Ratelimit-Remaining", "0")
			if fault.RetryAfter > 0 {
				h.Set("X-Soracom-Ratelimit-Seconds-Before-Refresh", strconv.Itoa(fault.RetryAfter))
			}
		}
		code, msg := soracomFault(status)
		if fault.Code != "" {
			code = fault.Code
		}
		if fault.Message != "" {
			msg = fault.Message
		}
		writeSoracomError(w, status, code, msg)
		return
	}
	switch op {
	case "auth":
		var req struct {
			AuthKeyID string `json:"authKeyId"`
			AuthKey   string `json:"authKey"`
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if json.Unmarshal(body, &req) != nil {
			writeSoracomError(w, http.StatusBadRequest, "COM0002", "Invalid JSON")
			return
		}
		apiKey, token, ok := s.world.soracomAuth(req.AuthKeyID, req.AuthKey)
		if !ok {
			writeSoracomError(w, http.StatusUnauthorized, "AUM0001", "Authentication failed")
			return
		}
		writeSoracomJSON(w, http.StatusOK, map[string]string{"apiKey": apiKey, "token": token, "operatorId": "OP0012345678", "userName": "doorbot"})
		return
	case "logout":
		if !s.world.soracomLogout(apiKey, token) {
			writeSoracomError(w, http.StatusUnauthorized, "AUM0002", "Invalid API key or token")
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !s.world.soracomValid(apiKey, token) {
		writeSoracomError(w, http.StatusUnauthorized, "AUM0002", "Invalid API key or token")
		return
	}
	switch {
	case op == "getVirtualPrivateGateway":
		v, ok := s.world.vpg(id)
		if !ok {
			writeSoracomError(w, http.StatusNotFound, "VPG0002", "Virtual private gateway not found")
			return
		}
		writeSoracomJSON(w, http.StatusOK, soracomVPGJSON(v))
	case r.Method != http.MethodGet:
		writeSoracomError(w, http.StatusMethodNotAllowed, "COM0005",
			fmt.Sprintf("The simulated API is read-only: %s %s was refused.", r.Method, r.URL.Path))
	default:
		writeSoracomError(w, http.StatusNotFound, "COM0004", "Not found")
	}
}

func soracomRoute(method, path string) (op, id string) {
	switch {
	case method == http.MethodPost && path == "/v1/auth":
		return "auth", ""
	case method == http.MethodPost && path == "/v1/auth/logout":
		return "logout", ""
	case strings.HasPrefix(path, "/v1/virtual_private_gateways/"):
		rest := strings.TrimPrefix(path, "/v1/virtual_private_gateways/")
		if i := strings.IndexByte(rest, '/'); i >= 0 || method != http.MethodGet {
			if i >= 0 {
				rest = rest[:i]
			}
			return "mutateVirtualPrivateGateway", rest
		}
		return "getVirtualPrivateGateway", rest
	case path == "/v1/virtual_private_gateways" && method == http.MethodGet:
		return "listVirtualPrivateGateways", ""
	}
	return "Unknown", ""
}

func soracomFault(status int) (code, msg string) {
	switch status {
	case http.StatusUnauthorized:
		return "AUM0002", "Invalid API key or token"
	case http.StatusForbidden:
		return "AUM0003", "You do not have permission to call this API"
	case http.StatusNotFound:
		return "VPG0002", "Virtual private gateway not found"
	case http.StatusTooManyRequests:
		return "COM0015", "Too many requests. Please wait a moment and call again."
	}
	return "COM0001", "Internal server error"
}

func writeSoracomError(w http.ResponseWriter, status int, code, msg string) {
	writeSoracomJSON(w, status, map[string]string{"code": code, "message": msg})
}

func writeSoracomJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// soracomVPGJSON renders a VPG as the VirtualPrivateGateway schema does,
// including fields doorbot ignores, so that the client is tested against
// the whole shape.
func soracomVPGJSON(v SoracomVPG) map[string]any {
	created := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	conns := map[string]any{}
	for _, d := range v.Door {
		c := map[string]any{"id": d.ID, "useDynamicRouting": d.Dynamic}
		if d.BGPASN != "" {
			c["bgpAsn"] = d.BGPASN
		}
		conns[d.ID] = c
	}
	filter := []map[string]string{}
	for _, f := range v.Filter {
		filter = append(filter, map[string]string{"action": f.Action, "ipRange": f.IPRange})
	}
	out := map[string]any{
		"vpgId":                     v.ID,
		"operatorId":                "OP0012345678",
		"status":                    v.Status,
		"type":                      v.Type,
		"tags":                      map[string]string{"name": v.Name},
		"placement":                 map[string]string{"infrastructureProvider": "aws", "region": v.Region},
		"createdTime":               created,
		"lastModifiedTime":          created,
		"deviceSubnetCidrRange":     v.DeviceSubnet,
		"ueSubnetCidrRange":         v.DeviceSubnet,
		"primaryServiceName":        "Canal",
		"useInternetGateway":        true,
		"fixedIpAddressesEnabled":   false,
		"gateOpened":                false,
		"junctionEnabled":           false,
		"allowedOperators":          []string{},
		"vpcPeeringConnections":     map[string]any{},
		"virtualInterfaces":         map[string]any{},
		"transitGatewayAttachments": map[string]any{},
		"vpnConnections":            conns,
		"routingFilterEntries":      filter,
		"sessionStats":              map[string]any{"online": v.Online, "lastUpdatedAt": created},
	}
	if v.VPGSubnet != "" {
		out["vpgSubnetCidrRange"] = v.VPGSubnet
	}
	return out
}
