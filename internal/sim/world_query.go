package sim

import "strings"

// The lookups below are what the ARM handlers read. Each takes the lock
// for the duration of one lookup and returns values the handler may use
// after the lock is released (stored slices are never mutated in place).

// rgExists reports whether anything lives in the resource group: the sim
// has no empty resource groups, and ARM answers ResourceGroupNotFound for
// a group that does not exist.
func (w *World) rgExists(sub, rg string) bool {
	prefix := armKey(sub, rg, "")
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, keys := range [][]string{w.gateways.keys, w.conns.keys, w.lngs.keys} {
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				return true
			}
		}
	}
	return false
}

// vpnsIn and cgwsIn return a region's EC2 resources, in insertion order.
func (w *World) vpnsIn(region string) []EC2VPN {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []EC2VPN
	for _, v := range w.vpns.all() {
		if v.Region == region {
			out = append(out, v)
		}
	}
	return out
}

func (w *World) cgwsIn(region string) []EC2CustomerGateway {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []EC2CustomerGateway
	for _, c := range w.cgws.all() {
		if c.Region == region {
			out = append(out, c)
		}
	}
	return out
}

func (w *World) gateway(sub, rg, name string) (ARMGateway, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gateways.get(armKey(sub, rg, name))
}

func (w *World) gatewaysIn(sub, rg string) []ARMGateway {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ARMGateway
	for _, g := range w.gateways.all() {
		if sameRG(g.Subscription, g.ResourceGroup, sub, rg) {
			out = append(out, g)
		}
	}
	return out
}

// connection returns a connection and, when the world has it, its gateway.
func (w *World) connection(sub, rg, name string) (ARMConnection, *ARMGateway, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.conns.get(armKey(sub, rg, name))
	if !ok {
		return c, nil, false
	}
	if g, ok := w.gateways.get(armKey(c.Subscription, c.ResourceGroup, c.Gateway)); ok {
		return c, &g, true
	}
	return c, nil, true
}

func (w *World) connectionsIn(sub, rg string) []ARMConnection {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ARMConnection
	for _, c := range w.conns.all() {
		if sameRG(c.Subscription, c.ResourceGroup, sub, rg) {
			out = append(out, c)
		}
	}
	return out
}

// lng returns a local network gateway and the location it reports.
func (w *World) lng(sub, rg, name string) (ARMLNG, string, bool) {
	w.mu.Lock()
	l, ok := w.lngs.get(armKey(sub, rg, name))
	w.mu.Unlock()
	return l, w.rgLocation(sub, rg), ok
}

func (w *World) lngsIn(sub, rg string) []ARMLNG {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ARMLNG
	for _, l := range w.lngs.all() {
		if sameRG(l.Subscription, l.ResourceGroup, sub, rg) {
			out = append(out, l)
		}
	}
	return out
}

// rgLocation is the region of the resource group's first gateway, for
// resources whose own type carries no location in the sim.
func (w *World) rgLocation(sub, rg string) string {
	for _, g := range w.gatewaysIn(sub, rg) {
		return withGatewayDefaults(g).Location
	}
	return defaultLocation
}

// publicIP finds the gateway owning a public IP resource name.
func (w *World) publicIP(sub, rg, name string) (ARMGateway, int, bool) {
	for _, g := range w.gatewaysIn(sub, rg) {
		for i := range g.PublicIPs {
			if strings.EqualFold(publicIPName(g.Name, i), name) {
				return g, i, true
			}
		}
	}
	return ARMGateway{}, 0, false
}

func (w *World) bgpPeers(sub, rg, gateway string) ([]ARMBGPPeer, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peers[armKey(sub, rg, gateway)], w.bgpAsync
}

func sameRG(sub, rg, wantSub, wantRG string) bool {
	return strings.EqualFold(sub, wantSub) && strings.EqualFold(rg, wantRG)
}
