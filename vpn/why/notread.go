package why

import (
	"fmt"
	"strings"
)

// The not_read entries: what was not read, and the step that would make it
// readable with its impact. doorbot never takes these steps itself.

// AWSLogsOff is a VPN connection whose tunnels (outsideIPs) do not publish
// their IKE logs, or their BGP logs when bgp is set, to CloudWatch Logs.
// Turning it on is ModifyVpnTunnelOptions: AWS renegotiates the tunnel.
func AWSLogsOff(vpnID, region string, outsideIPs []string, bgp bool) NotRead {
	source, field, flags := SourceAWSTunnelLog, "LogEnabled", `"LogEnabled":true,"LogGroupArn":"%s","LogOutputFormat":"json"`
	if bgp {
		source, field, flags = SourceAWSBGPLog, "BgpLogEnabled", `"BgpLogEnabled":true,"BgpLogGroupArn":"%s","BgpLogOutputFormat":"json"`
	}
	if region == "" {
		region = "REGION"
	}
	group := fmt.Sprintf("arn:aws:logs:%s:ACCOUNT_ID:log-group:/aws/vendedlogs/vpn/%s", region, vpnID)
	opts := `{"LogOptions":{"CloudWatchLogOptions":{` + fmt.Sprintf(flags, group) + `}}}`
	what := "tunnel"
	if len(outsideIPs) > 1 {
		what = "tunnels"
	}
	return NotRead{
		Source: source,
		Why: fmt.Sprintf("%s %s of %s publish no logs (LogOptions.CloudWatchLogOptions.%s is false)",
			what, strings.Join(outsideIPs, " and "), vpnID, field),
		Fix: fmt.Sprintf("Runbook step, for one tunnel at a time and only while the other tunnel is UP — it modifies the tunnel and AWS renegotiates it (a brief interruption of that tunnel): "+
			"`aws ec2 modify-vpn-tunnel-options --region %s --vpn-connection-id %s --vpn-tunnel-outside-ip-address TUNNEL_IP --tunnel-options '%s'` "+
			"with TUNNEL_IP each of %s; the caller needs the logs:*LogDelivery and logs:PutResourcePolicy permissions. Only events after that are recorded.",
			region, vpnID, opts, strings.Join(outsideIPs, ", ")),
	}
}

// DiagnosticsOff is an Azure gateway whose diagnostic settings send
// nothing to Log Analytics (empty says only that nothing was recorded).
func DiagnosticsOff(gatewayID string, empty bool) NotRead {
	why := fmt.Sprintf("gateway %s sends no diagnostic logs to a Log Analytics workspace", lastSegment(gatewayID))
	if empty {
		why = fmt.Sprintf("Log Analytics holds no diagnostic record of gateway %s in the last hour: nothing was logged, or its diagnostic settings send nothing to a workspace (check: `az monitor diagnostic-settings list --resource %s`)",
			lastSegment(gatewayID), gatewayID)
	}
	return NotRead{
		Source: SourceAzureDiagnostics,
		Why:    why,
		Fix: "Runbook step (no effect on the tunnels; needs a Log Analytics workspace, billed per GB ingested; the first records can take a few hours): " +
			"`az monitor diagnostic-settings create --name doorbot-vpn --resource " + gatewayID + " --workspace WORKSPACE_RESOURCE_ID " +
			`--logs '[{"category":"GatewayDiagnosticLog","enabled":true},{"category":"TunnelDiagnosticLog","enabled":true},{"category":"RouteDiagnosticLog","enabled":true},{"category":"IKEDiagnosticLog","enabled":true}]'` + "`.",
	}
}

// Soracom is the AWS side of a SORACOM Door connection, which only SORACOM
// can read.
func Soracom(outsideIPs []string) NotRead {
	ips := strings.Join(outsideIPs, ", ")
	if ips == "" {
		ips = "the Door tunnel outside IPs"
	}
	return NotRead{
		Source: SourceSoracom,
		Why:    "the AWS side of a SORACOM Door connection belongs to SORACOM: its tunnel telemetry, maintenance and IKE logs cannot be read by doorbot",
		Fix: "Ask SORACOM support (User Console → Support) with the VPG ID, the tunnel outside IPs (" + ips + "), the Azure gateway's public IP and the time window: " +
			"ask for the Door tunnels' IKE/IPsec negotiation log (pre-shared key, proposal, DPD failures) and whether VPG maintenance ran.",
	}
}

// ReadFailed is a source that was asked and did not answer. class is the
// adapter's failure class (denied, throttled, not_found, timeout, auth,
// error); action the IAM or RBAC permission the read needs.
func ReadFailed(source, hint, class, action string) NotRead {
	fix := "Retry in a minute; the other sources' evidence above is unaffected."
	switch class {
	case "denied":
		fix = "Grant " + action + " to doorbot's identity (the least-privilege policy and role in the README list it)."
	case "auth":
		fix = "Fix doorbot's credentials for this cloud; the other sources' evidence above is unaffected."
	case "timeout":
		fix = "Check network access to the endpoint and retry; the other sources' evidence above is unaffected."
	}
	return NotRead{Source: source, Why: hint, Fix: fix}
}

func lastSegment(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
