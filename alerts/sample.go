package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/doorbot/doorbot/vpn"
)

// SampleOf reduces one observation and its paired tunnels (vpn.Pair) to
// what alerting looks at. A side counts as read only when it answered
// without error: a throttled or partly failed read could make a healthy
// tunnel look "missing", and a side that was not read is never taken as
// down. A tunnel is down when a read side says so, up when every side
// doorbot reads says so, and unknown otherwise.
func SampleOf(obs vpn.Observation, tunnels []vpn.TunnelStatus, at time.Time, ctx Context) Sample {
	s := Sample{At: at, Context: ctx}
	errs := map[vpn.Cloud][]string{}
	for _, e := range obs.Errors {
		errs[e.Cloud] = append(errs[e.Cloud], e.Message)
	}
	awsRead := obs.AWS != nil && len(errs[vpn.CloudAWS]) == 0
	azureRead := obs.Azure != nil && len(errs[vpn.CloudAzure]) == 0
	side := func(c vpn.Cloud, read, present bool) SideSample {
		ss := SideSample{Cloud: string(c), Read: read}
		if !read {
			ss.Error = strings.Join(errs[c], "; ")
			if ss.Error == "" && !present {
				ss.Error = "no answer"
			}
		}
		return ss
	}
	if obs.Connection.ObservesAWS() {
		s.Sides = append(s.Sides, side(vpn.CloudAWS, awsRead, obs.AWS != nil))
	}
	s.Sides = append(s.Sides, side(vpn.CloudAzure, azureRead, obs.Azure != nil))
	allRead := azureRead && (awsRead || !obs.Connection.ObservesAWS())

	for _, t := range tunnels {
		ts := TunnelSample{Key: tunnelKey(t), Index: t.Index, Label: tunnelLabel(t), State: Unknown}
		var parts []string
		down := false
		if awsRead && obs.Connection.ObservesAWS() {
			parts = append(parts, "AWS "+t.AWSStatus)
			// AWS "missing" means no AWS tunnel has this Azure
			// connection's IP. With Azure partly read (its local network
			// gateway not read) that is the pairing's gap, not AWS's.
			down = down || (!t.AWSUp() && (t.AWSStatus != vpn.StatusMissing || azureRead))
		}
		if azureRead {
			parts = append(parts, "Azure "+t.AzureStatus)
			down = down || !t.AzureUp()
		}
		switch {
		case down:
			ts.State = Down
		case allRead:
			ts.State = Up
		}
		ts.Detail = strings.Join(parts, ", ")
		if t.AWSSince != "" {
			if since, err := time.Parse(time.RFC3339, t.AWSSince); err == nil {
				ts.Since = since
			}
		}
		s.Tunnels = append(s.Tunnels, ts)
	}
	return s
}

// tunnelKey names a tunnel across observations whichever side was read:
// the AWS outside IP is also the Azure local network gateway's IP.
func tunnelKey(t vpn.TunnelStatus) string {
	if k := vpn.KeyIP(t.AWSOutsideIP); !k.Empty() {
		return k.String()
	}
	return "azure:" + t.AzureConnection
}

func tunnelLabel(t vpn.TunnelStatus) string {
	switch {
	case t.AWSOutsideIP != "" && t.AzureConnection != "":
		return fmt.Sprintf("tunnel %d (%s, %s)", t.Index, t.AWSOutsideIP, t.AzureConnection)
	case t.AWSOutsideIP != "":
		return fmt.Sprintf("tunnel %d (%s)", t.Index, t.AWSOutsideIP)
	case t.AzureConnection != "":
		return fmt.Sprintf("tunnel %d (%s)", t.Index, t.AzureConnection)
	}
	return fmt.Sprintf("tunnel %d", t.Index)
}
