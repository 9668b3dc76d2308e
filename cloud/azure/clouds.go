package azure

import (
	"fmt"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// cloudConfig maps azure.cloud and azure.resource_manager_endpoint to an
// azcore cloud configuration. A custom endpoint keeps the named cloud's
// authority and audience, so tokens are still requested for ARM.
func cloudConfig(name, endpoint string) (cloud.Configuration, error) {
	var base cloud.Configuration
	switch name {
	case "", "public":
		base = cloud.AzurePublic
	case "china":
		base = cloud.AzureChina
	case "usgov":
		base = cloud.AzureGovernment
	default:
		return base, fmt.Errorf("azure: unknown cloud %q (use public, china or usgov)", name)
	}
	if endpoint == "" {
		return base, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return base, fmt.Errorf("azure: resource_manager_endpoint %q must be an https URL", endpoint)
	}
	audience := "https://management.core.windows.net/"
	if rm, ok := base.Services[cloud.ResourceManager]; ok && rm.Audience != "" {
		audience = rm.Audience
	}
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: base.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
		},
	}
	return cfg, nil
}
