package sim

import "strings"

// The lookups below are what the ARM handlers read. Each takes the lock
// for the duration of one lookup and returns values the handler may use
// after the lock is released (stored slices are never mutated in place).

// rgExists reports whether anything lives in the resource group: the sim
// has no empty resource groups, and ARM answers ResourceGroupNotFound for
// a group that does not exist.
func (w *World) rgExists(sub, rg string) bool {
	g := armRG(sub, rg)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gateways.has(g) || w.conns.has(g) || w.lngs.has(g)
}

// vpnsIn and cgwsIn return a region's EC2 resources, in insertion order.
func (w *World) vpnsIn(region string) []EC2VPN {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.vpns.in(region)
}

func (w *World) cgwsIn(region string) []EC2CustomerGateway {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cgws.in(region)
}

func (w *World) gateway(sub, rg, name string) (ARMGateway, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gateways.get(armKey(sub, rg, name))
}

func (w *World) gatewaysIn(sub, rg string) []ARMGateway {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gateways.in(armRG(sub, rg))
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
	return w.conns.in(armRG(sub, rg))
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
	return w.lngs.in(armRG(sub, rg))
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
