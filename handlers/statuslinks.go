package handlers

import (
	"net/url"
	"strings"

	"github.com/doorbot/doorbot/vpn"
)

// Action IDs of the status reply's buttons (design.md §6, interface). The
// value of each is the connection's name.
const (
	StatusRefreshAction = "status_refresh"
	StatusWhyAction     = "status_why"
	StatusRunbookAction = "status_runbook"
	// The console links are buttons with a URL; Slack still sends their
	// click, which the bot only acknowledges.
	StatusAWSConsoleAction  = "status_console_aws"
	StatusAzurePortalAction = "status_console_azure"
	defaultAzurePortal      = "https://portal.azure.com"
	azurePortalChina        = "https://portal.azure.cn"
	azurePortalUSGovernment = "https://portal.azure.us"
)

// AzurePortalFor is the Azure portal of an azure.cloud setting.
func AzurePortalFor(cloud string) string {
	switch cloud {
	case "china":
		return azurePortalChina
	case "usgov":
		return azurePortalUSGovernment
	}
	return defaultAzurePortal
}

// StatusReplyWithActions is StatusReply with, under each connection,
// buttons to refresh it in place, ask why it is down and get its runbook,
// and links to its AWS console and Azure portal pages.
func (s *Service) StatusReplyWithActions(r vpn.Report) Reply {
	byName := map[string]vpn.Connection{}
	for _, c := range s.Connections {
		byName[c.Name] = c
	}
	return statusReply(r, func(c vpn.ConnectionStatus) Block {
		return statusButtons(c, byName[c.Name], s.AzurePortal)
	})
}

func statusButtons(c vpn.ConnectionStatus, conn vpn.Connection, portal string) Block {
	b := Block{Kind: Buttons, Buttons: []Button{
		{ActionID: StatusRefreshAction, Label: "Refresh", Value: c.Name},
		{ActionID: StatusWhyAction, Label: "Why is it down?", Value: c.Name},
		{ActionID: StatusRunbookAction, Label: "Runbook", Value: c.Name},
	}}
	if c.Health == vpn.Healthy {
		b.Buttons[1].Label = "Why (evidence)"
	}
	if u := awsConsoleURL(conn); u != "" {
		b.Buttons = append(b.Buttons, Button{ActionID: StatusAWSConsoleAction, Label: "AWS console", Value: c.Name, URL: u})
	}
	if u := azurePortalURL(conn, portal); u != "" {
		b.Buttons = append(b.Buttons, Button{ActionID: StatusAzurePortalAction, Label: "Azure portal", Value: c.Name, URL: u})
	}
	return b
}

// awsConsoleURL is the VPC console's VPN connections page filtered to the
// connection's first VPN connection; "" for Door (SORACOM's account).
func awsConsoleURL(c vpn.Connection) string {
	if !c.ObservesAWS() || len(c.AWS.VPNConnectionIDs) == 0 || !safeID(c.AWS.Region) || !safeID(c.AWS.VPNConnectionIDs[0]) {
		return ""
	}
	region, id := c.AWS.Region, c.AWS.VPNConnectionIDs[0]
	host := region + ".console.aws.amazon.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	}
	return "https://" + host + "/vpcconsole/home?region=" + region + "#VpnConnections:search=" + id
}

// azurePortalURL is the portal page of the connection's first Azure
// connection.
func azurePortalURL(c vpn.Connection, portal string) string {
	a := c.Azure
	if portal == "" {
		portal = defaultAzurePortal
	}
	if len(a.Connections) == 0 || !safeID(a.SubscriptionID) || !safeID(a.ResourceGroup) || !safeID(a.Connections[0]) {
		return ""
	}
	return portal + "/#resource/subscriptions/" + url.PathEscape(a.SubscriptionID) + "/resourceGroups/" + url.PathEscape(a.ResourceGroup) +
		"/providers/Microsoft.Network/connections/" + url.PathEscape(a.Connections[0]) + "/overview"
}

// safeID admits the characters of cloud resource names and IDs.
func safeID(s string) bool {
	if s == "" || len(s) > 90 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
