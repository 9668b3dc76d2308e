// Package cloud is the observer: it reads both clouds (and, for SORACOM
// Door, the VPG from the SORACOM API) for a set of configured connections
// in parallel, under per-call and whole-status deadlines, with batching,
// shared reads and a short cache, and returns one vpn.Observation per
// connection. A cloud that fails becomes an error entry on the
// observation; the other clouds are still reported.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	awsc "github.com/doorbot/doorbot/cloud/aws"
	azc "github.com/doorbot/doorbot/cloud/azure"
	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/vpn"
)

// Options tune the observer.
type Options struct {
	// StatusTimeout bounds a whole Observe call.
	StatusTimeout time.Duration
	// CacheTTL is how long observations are reused; 0 disables the cache
	// (concurrent identical reads are still coalesced).
	CacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one record per upstream read (debug) and per failure
	// (warn); nil discards. Records carry hints, never response bodies.
	Logger *slog.Logger
	// OnCall, when set, is told of every upstream read: cloud (aws,
	// azure, soracom), operation, and result (ok, throttled, denied, auth,
	// not_found, timeout, error). Metrics hang here.
	OnCall func(cloud, operation, result string)
	// Scheduler paces background (Cycle) ARM reads and holds reads while
	// ARM asks not to be called; nil means no pacing. The Azure adapter must
	// be built with the same scheduler as its Gate.
	Scheduler *Scheduler
	// OnCycle, when set, is told of every background cycle (metrics).
	OnCycle func(CycleReport)
	// Soracom reads the VPGs of soracom-door connections that name one;
	// nil reports those connections' SORACOM side as not configured.
	Soracom *soracom.Client
}

// Observer reads both clouds. Either adapter may be nil when that cloud is
// not configured; connections that need it then report an error.
type Observer struct {
	aws   *awsc.Client
	azure *azc.Client
	opts  Options
	memo  *memo

	sweepMu   sync.Mutex
	lastSweep time.Time

	// staticGateways holds the keys of gateways last read with BGP off,
	// whose peer status is then not read speculatively.
	staticGateways sync.Map
}

// New builds an observer.
func New(aws *awsc.Client, azure *azc.Client, opts Options) *Observer {
	if opts.StatusTimeout <= 0 {
		opts.StatusTimeout = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Observer{aws: aws, azure: azure, opts: opts, memo: newMemo(opts.CacheTTL, opts.Now)}
}

// Close stops the shared reads still in flight (a status that gave up
// leaves its reads running for the others) and waits for them, so that
// nothing reads a cloud or logs after doorbot has stopped.
func (o *Observer) Close() { o.memo.close() }

// OnCall sets the hook told of every upstream read (see Options.OnCall);
// call it before the first Observe.
func (o *Observer) OnCall(fn func(cloud, operation, result string)) { o.opts.OnCall = fn }

// OnCycle sets the hook told of every background cycle (see
// Options.OnCycle); call it before the first Cycle.
func (o *Observer) OnCycle(fn func(CycleReport)) { o.opts.OnCycle = fn }

// Observe reads every connection. It returns by StatusTimeout whatever the
// clouds do, with one observation per connection in the given order.
func (o *Observer) Observe(ctx context.Context, conns []vpn.Connection) []vpn.Observation {
	return o.observe(ctx, conns, o.opts.StatusTimeout)
}

func (o *Observer) observe(ctx context.Context, conns []vpn.Connection, timeout time.Duration) []vpn.Observation {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	o.maybeSweep()

	var wg sync.WaitGroup
	var awsRes *awsResults
	var azRes *azureResults
	var scRes *soracomResults
	wg.Go(func() { awsRes = o.readAWS(ctx, conns) })
	wg.Go(func() { azRes = o.readAzure(ctx, conns) })
	wg.Go(func() { scRes = o.readSoracom(ctx, conns) })
	wg.Wait()

	out := make([]vpn.Observation, len(conns))
	for i, c := range conns {
		obs := vpn.Observation{Connection: c}
		if c.ObservesAWS() {
			awsRes.fill(&obs)
		}
		azRes.fill(&obs)
		if c.ObservesSoracom() {
			scRes.fill(&obs)
		}
		obs.Errors = dedupe(obs.Errors)
		out[i] = obs
	}
	return out
}

func (o *Observer) maybeSweep() {
	o.sweepMu.Lock()
	defer o.sweepMu.Unlock()
	if now := o.opts.Now(); now.Sub(o.lastSweep) > time.Minute {
		o.lastSweep = now
		o.memo.sweep()
	}
}

// hint turns an adapter error into the line a user reads.
func hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the status deadline passed before the cloud answered"
	}
	return err.Error()
}

func dedupe(errs []vpn.SideError) []vpn.SideError {
	var out []vpn.SideError
	for _, e := range errs {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if out == nil {
		out = []vpn.SideError{}
	}
	return out
}

// --- AWS ---------------------------------------------------------------

type awsResults struct {
	conns    map[string]vpn.AWSVPNConnection // by VPN connection ID
	idErr    map[string]string               // VPN connection ID → hint of its failed batch
	missing  map[string]bool                 // IDs EC2 did not return
	noClient bool
}

// awsFound is the cached result for one VPN connection ID; Found is false
// when EC2 returned nothing for it, which is cached like any other answer.
type awsFound struct {
	Conn  vpn.AWSVPNConnection
	Found bool
}

// readAWS reads every ID not in the cache with DescribeVpnConnections in
// batches of at most awsc.MaxIDsPerCall (EC2 fails a whole call beyond its
// filter-value limit), all batches of all regions in parallel. A failed
// batch fails only its own connections.
func (o *Observer) readAWS(ctx context.Context, conns []vpn.Connection) *awsResults {
	res := &awsResults{conns: map[string]vpn.AWSVPNConnection{}, idErr: map[string]string{}, missing: map[string]bool{}}
	byRegion := map[string][]string{}
	seen := map[string]bool{}
	for _, c := range conns {
		if !c.ObservesAWS() {
			continue
		}
		for _, id := range c.AWS.VPNConnectionIDs {
			if k := awsKey(c.AWS.Region, id); !seen[k] {
				seen[k] = true
				byRegion[c.AWS.Region] = append(byRegion[c.AWS.Region], id)
			}
		}
	}
	if len(byRegion) == 0 {
		return res
	}
	if o.aws == nil {
		res.noClient = true
		return res
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for region, ids := range byRegion {
		var missing []string
		for _, id := range ids {
			if v, ok := o.memo.peek(awsKey(region, id)); ok {
				f := v.(awsFound)
				res.add(id, f)
			} else {
				missing = append(missing, id)
			}
		}
		slices.Sort(missing)
		for batch := range slices.Chunk(missing, awsc.MaxIDsPerCall) {
			wg.Go(func() {
				found, err := o.awsBatch(ctx, region, batch)
				mu.Lock()
				defer mu.Unlock()
				for _, id := range batch {
					if err != nil {
						res.idErr[id] = hint(err)
					} else {
						res.add(id, found[id])
					}
				}
			})
		}
	}
	wg.Wait()
	return res
}

func (r *awsResults) add(id string, f awsFound) {
	if f.Found {
		r.conns[id] = f.Conn
	} else {
		r.missing[id] = true
	}
}

// awsBatch reads one batch of sorted IDs; concurrent identical batches are
// read once, and each ID's answer is cached on its own.
func (o *Observer) awsBatch(ctx context.Context, region string, ids []string) (map[string]awsFound, error) {
	v, err := o.cached(ctx, call{cloud: "aws", op: "DescribeVpnConnections", key: "aws-batch/" + region + "/" + strings.Join(ids, ",")}, func(ctx context.Context) (any, error) {
		got, err := o.aws.DescribeVPNConnections(ctx, region, ids)
		if err != nil {
			return nil, err
		}
		batch := make(map[string]awsFound, len(ids))
		for _, id := range ids {
			c, ok := got[id]
			batch[id] = awsFound{Conn: c, Found: ok}
			o.memo.put(awsKey(region, id), batch[id])
		}
		return batch, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]awsFound), nil
}

func awsKey(region, id string) string { return "aws/" + region + "/" + id }

func (r *awsResults) fill(obs *vpn.Observation) {
	c := obs.Connection
	if r.noClient {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAWS, Message: "AWS is not configured in doorbot; set aws.region and AWS credentials"})
		return
	}
	side := &vpn.AWSSide{Region: c.AWS.Region}
	for _, id := range c.AWS.VPNConnectionIDs {
		if h, ok := r.idErr[id]; ok {
			obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAWS, Message: h})
			continue
		}
		if v, ok := r.conns[id]; ok {
			side.VPNConnections = append(side.VPNConnections, v)
			continue
		}
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAWS, Config: true, Message: fmt.Sprintf(
			"VPN connection %s not found in region %s; check aws.vpn_connection_id and the region of this connection", id, c.AWS.Region)})
	}
	if len(side.VPNConnections) > 0 {
		obs.AWS = side
	}
}

// --- Azure -------------------------------------------------------------

type azureResults struct {
	noClient bool
	gateways map[string]result[vpn.AzureGateway]
	lngs     map[string]result[map[string]vpn.LocalNetworkGateway]
	conns    map[string]result[azc.ConnectionRead]
	extraLNG map[string]result[vpn.LocalNetworkGateway] // by lower-cased ID
	bgp      map[string]result[[]vpn.BGPPeer]
}

type result[T any] struct {
	val T
	err error
}

func gwKey(sub, rg, name string) string { return strings.ToLower("gw/" + sub + "/" + rg + "/" + name) }
func lngsKey(sub, rg string) string     { return strings.ToLower("lngs/" + sub + "/" + rg) }
func connKey(sub, rg, name string) string {
	return strings.ToLower("conn/" + sub + "/" + rg + "/" + name)
}
func bgpKey(sub, rg, name string) string {
	return strings.ToLower("bgp/" + sub + "/" + rg + "/" + name)
}

// readAzure issues every independent read at once: each gateway once, each
// resource group's local network gateways once, and every connection, so
// that a status costs about one round trip however many connections there
// are. BGP peer status is read alongside its gateway (see below).
func (o *Observer) readAzure(ctx context.Context, conns []vpn.Connection) *azureResults {
	res := &azureResults{
		gateways: map[string]result[vpn.AzureGateway]{},
		lngs:     map[string]result[map[string]vpn.LocalNetworkGateway]{},
		conns:    map[string]result[azc.ConnectionRead]{},
		extraLNG: map[string]result[vpn.LocalNetworkGateway]{},
		bgp:      map[string]result[[]vpn.BGPPeer]{},
	}
	if len(conns) == 0 {
		return res
	}
	if o.azure == nil {
		res.noClient = true
		return res
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	started := map[string]bool{}
	start := func(key string, fn func()) {
		if started[key] {
			return
		}
		started[key] = true
		wg.Go(fn)
	}
	for _, c := range conns {
		a := c.Azure
		start(gwKey(a.SubscriptionID, a.ResourceGroup, a.Gateway), func() {
			k := gwKey(a.SubscriptionID, a.ResourceGroup, a.Gateway)
			bk := bgpKey(a.SubscriptionID, a.ResourceGroup, a.Gateway)
			readBGP := func() ([]vpn.BGPPeer, error) {
				return readAs(ctx, o, call{"azure", "GetBgpPeerStatus", bk, a.SubscriptionID, 2}, func(ctx context.Context) ([]vpn.BGPPeer, error) {
					return o.azure.BGPPeers(ctx, a.SubscriptionID, a.ResourceGroup, a.Gateway)
				})
			}
			// BGP peer status (a long-running operation of two round
			// trips) starts together with the gateway read, unless this
			// gateway was last seen without BGP; its answer is kept only
			// if the gateway turns out to run BGP.
			var peers []vpn.BGPPeer
			var peersErr error
			var early sync.WaitGroup
			_, static := o.staticGateways.Load(k)
			if !static {
				early.Go(func() { peers, peersErr = readBGP() })
			}
			g, err := readAs(ctx, o, call{"azure", "GetGateway", k, a.SubscriptionID, 1}, func(ctx context.Context) (vpn.AzureGateway, error) {
				return o.azure.Gateway(ctx, a.SubscriptionID, a.ResourceGroup, a.Gateway)
			})
			mu.Lock()
			res.gateways[k] = result[vpn.AzureGateway]{g, err}
			mu.Unlock()
			if err == nil && !g.EnableBGP {
				o.staticGateways.Store(k, true)
			} else if err == nil {
				o.staticGateways.Delete(k)
			}
			early.Wait()
			if err != nil || !g.EnableBGP {
				return
			}
			if static { // BGP was switched on since the last read
				peers, peersErr = readBGP()
			}
			mu.Lock()
			res.bgp[bk] = result[[]vpn.BGPPeer]{peers, peersErr}
			mu.Unlock()
		})
		start(lngsKey(a.SubscriptionID, a.ResourceGroup), func() {
			k := lngsKey(a.SubscriptionID, a.ResourceGroup)
			l, err := readAs(ctx, o, call{"azure", "ListLocalNetworkGateways", k, a.SubscriptionID, 1}, func(ctx context.Context) (map[string]vpn.LocalNetworkGateway, error) {
				return o.azure.LocalNetworkGateways(ctx, a.SubscriptionID, a.ResourceGroup)
			})
			mu.Lock()
			res.lngs[k] = result[map[string]vpn.LocalNetworkGateway]{l, err}
			mu.Unlock()
		})
		for _, name := range a.Connections {
			start(connKey(a.SubscriptionID, a.ResourceGroup, name), func() {
				k := connKey(a.SubscriptionID, a.ResourceGroup, name)
				cr, err := readAs(ctx, o, call{"azure", "GetConnection", k, a.SubscriptionID, 1}, func(ctx context.Context) (azc.ConnectionRead, error) {
					return o.azure.Connection(ctx, a.SubscriptionID, a.ResourceGroup, name)
				})
				mu.Lock()
				res.conns[k] = result[azc.ConnectionRead]{cr, err}
				mu.Unlock()
			})
		}
	}
	wg.Wait()

	// A local network gateway outside the listed resource group is the one
	// dependent read left; it is rare and read in parallel.
	var extra []string
	for _, c := range conns {
		a := c.Azure
		lngs := res.lngs[lngsKey(a.SubscriptionID, a.ResourceGroup)]
		for _, name := range a.Connections {
			cr := res.conns[connKey(a.SubscriptionID, a.ResourceGroup, name)]
			id := strings.ToLower(cr.val.LocalNetworkGatewayID)
			if cr.err != nil || id == "" || lngs.err != nil {
				continue
			}
			if _, ok := lngs.val[id]; !ok && !slices.Contains(extra, id) {
				extra = append(extra, id)
			}
		}
	}
	for _, id := range extra {
		wg.Go(func() {
			l, err := readAs(ctx, o, call{"azure", "GetLocalNetworkGateway", "lng/" + id, azc.SubscriptionOf(id), 1}, func(ctx context.Context) (vpn.LocalNetworkGateway, error) {
				return o.azure.LocalNetworkGateway(ctx, id)
			})
			mu.Lock()
			res.extraLNG[id] = result[vpn.LocalNetworkGateway]{l, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return res
}

// call names one upstream read: its cloud and operation (for logs and
// metrics), its cache key, and for ARM its subscription and cost in
// requests (for pacing).
type call struct {
	cloud, op, key string
	sub            string
	cost           int
}

func (o *Observer) cached(ctx context.Context, c call, read func(context.Context) (any, error)) (any, error) {
	paced := c.cloud == "azure" && c.cost > 0 && o.opts.Scheduler != nil && isPaced(ctx)
	deadline, hasDeadline := ctx.Deadline()
	return o.memo.do(ctx, c.key, func(ctx context.Context) (any, error) {
		if paced {
			// The read runs detached from its callers; its wait for a slot
			// still ends with the cycle that asked for it.
			pctx, cancel := ctx, context.CancelFunc(func() {})
			if hasDeadline {
				pctx, cancel = context.WithDeadline(ctx, deadline)
			}
			err := o.opts.Scheduler.pace(pctx, c.sub, c.cost)
			cancel()
			if err != nil {
				return nil, &unpacedError{op: c.op, resource: c.key[strings.LastIndexByte(c.key, '/')+1:], err: err}
			}
		}
		began := time.Now()
		v, err := read(ctx)
		result := "ok"
		if err != nil {
			result = classify(err)
			o.opts.Logger.Warn("upstream read failed", "cloud", c.cloud, "operation", c.op, "resource", c.key,
				"result", result, "duration", time.Since(began), "hint", hint(err))
		} else {
			o.opts.Logger.Debug("upstream read", "cloud", c.cloud, "operation", c.op, "resource", c.key, "duration", time.Since(began))
		}
		if o.opts.OnCall != nil {
			o.opts.OnCall(c.cloud, c.op, result)
		}
		return v, err
	})
}

// classify names an error's kind for metrics.
func classify(err error) string {
	var c interface{ Class() string }
	if errors.As(err, &c) {
		return c.Class()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

func readAs[T any](ctx context.Context, o *Observer, c call, read func(context.Context) (T, error)) (T, error) {
	v, err := o.cached(ctx, c, func(ctx context.Context) (any, error) { return read(ctx) })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

func (r *azureResults) fill(obs *vpn.Observation) {
	a := obs.Connection.Azure
	if r.noClient {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAzure, Message: "Azure is not configured in doorbot; set azure.subscription_id and Azure credentials"})
		return
	}
	side := &vpn.AzureSide{}
	observed := false
	addErr := func(err error) {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudAzure, Message: hint(err), Config: azureNotFound(err)})
	}

	gw := r.gateways[gwKey(a.SubscriptionID, a.ResourceGroup, a.Gateway)]
	if gw.err != nil {
		addErr(gw.err)
		if azureNotFound(gw.err) {
			// A misnamed gateway or resource group: the connections read
			// under it (absent ones in particular) would be phantom tunnels
			// and every finding or error drawn from them noise. The
			// configuration error alone is the answer for this side.
			return
		}
	} else {
		g := gw.val
		side.Gateway = &g
		observed = true
		if b, ok := r.bgp[bgpKey(a.SubscriptionID, a.ResourceGroup, a.Gateway)]; ok {
			if b.err != nil {
				obs.Notes = append(obs.Notes, bgpNote(a.Gateway, b.err))
			} else {
				side.BGPPeers = b.val
			}
		}
	}

	lngs := r.lngs[lngsKey(a.SubscriptionID, a.ResourceGroup)]
	if lngs.err != nil {
		addErr(lngs.err)
	}
	for _, name := range a.Connections {
		cr := r.conns[connKey(a.SubscriptionID, a.ResourceGroup, name)]
		if cr.err != nil {
			if azureNotFound(cr.err) {
				// Configured but absent: a row of its own, plus the error
				// that names it.
				side.Connections = append(side.Connections, vpn.AzureConnection{Name: name})
				observed = true
			}
			addErr(cr.err)
			continue
		}
		observed = true
		conn := cr.val.Connection
		id := strings.ToLower(cr.val.LocalNetworkGatewayID)
		if l, ok := lngs.val[id]; ok {
			conn.LocalNetworkGateway = &l
		} else if x, ok := r.extraLNG[id]; ok {
			if x.err != nil {
				addErr(x.err)
			} else {
				l := x.val
				conn.LocalNetworkGateway = &l
			}
		}
		side.Connections = append(side.Connections, conn)
	}
	if observed {
		obs.Azure = side
	}
}

// azureNotFound reports an ARM 404: a configured name that does not exist.
func azureNotFound(err error) bool {
	var ae *azc.Error
	return errors.As(err, &ae) && ae.StatusCode() == 404
}

// bgpNote turns a failed BGP peer status read into a warning: peer status
// is supplementary and needs an action that Reader lacks, so it must not
// fail the whole status.
func bgpNote(gateway string, err error) vpn.Note {
	var ae *azc.Error
	if errors.As(err, &ae) && ae.StatusCode() == 403 {
		return vpn.Note{
			Rule:     "bgp-peer-status-unavailable",
			Severity: vpn.SeverityWarning,
			Message:  fmt.Sprintf("BGP peer status of gateway %s could not be read: permission denied", gateway),
			Fix:      "grant Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action to doorbot's identity (Reader does not include it)",
		}
	}
	return vpn.Note{
		Rule:     "bgp-peer-status-unavailable",
		Severity: vpn.SeverityWarning,
		Message:  fmt.Sprintf("BGP peer status of gateway %s could not be read: %s", gateway, hint(err)),
		Fix:      "retry; tunnel status above is unaffected",
	}
}

// --- SORACOM -------------------------------------------------------------

type soracomResults struct {
	noClient bool
	vpgs     map[string]result[vpn.SoracomVPG]
}

// readSoracom reads each VPG once, all in parallel.
func (o *Observer) readSoracom(ctx context.Context, conns []vpn.Connection) *soracomResults {
	res := &soracomResults{vpgs: map[string]result[vpn.SoracomVPG]{}}
	var ids []string
	for _, c := range conns {
		if c.ObservesSoracom() && !slices.Contains(ids, c.Soracom.VPGID) {
			ids = append(ids, c.Soracom.VPGID)
		}
	}
	if len(ids) == 0 {
		return res
	}
	if o.opts.Soracom == nil {
		res.noClient = true
		return res
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			v, err := readAs(ctx, o, call{cloud: "soracom", op: "getVirtualPrivateGateway", key: "soracom/vpg/" + id}, func(ctx context.Context) (vpn.SoracomVPG, error) {
				return o.opts.Soracom.VPG(ctx, id)
			})
			mu.Lock()
			res.vpgs[id] = result[vpn.SoracomVPG]{v, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return res
}

func (r *soracomResults) fill(obs *vpn.Observation) {
	if r.noClient {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudSoracom, Message: "the SORACOM API is not configured in doorbot; set soracom.coverage and SORACOM_AUTH_KEY_ID / SORACOM_AUTH_KEY"})
		return
	}
	v, ok := r.vpgs[obs.Connection.Soracom.VPGID]
	if !ok {
		return
	}
	if v.err != nil {
		obs.Errors = append(obs.Errors, vpn.SideError{Cloud: vpn.CloudSoracom, Message: hint(v.err)})
		return
	}
	vpg := v.val
	obs.Soracom = &vpg
}
