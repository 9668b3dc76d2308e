package azure

import (
	"context"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// apiVersion is armnetwork v9's REST version, used for the connection GET
// doorbot decodes itself.
const apiVersion = "2025-05-01"

// connectionJSON holds the fields of a connection doorbot reads. The GET
// goes through azcore's pipeline like every armnetwork call (token,
// retries, the gate), but decoding only these fields with encoding/json
// costs a fraction of armnetwork's full model, whose per-field
// re-validation dominated the CPU of a fleet status. Field types reuse
// armnetwork's so the conversion stays one function.
type connectionJSON struct {
	Name       *string `json:"name"`
	Properties *struct {
		ConnectionStatus               *armnetwork.VirtualNetworkGatewayConnectionStatus   `json:"connectionStatus"`
		IngressBytesTransferred        *int64                                              `json:"ingressBytesTransferred"`
		EgressBytesTransferred         *int64                                              `json:"egressBytesTransferred"`
		EnableBgp                      *bool                                               `json:"enableBgp"`
		UsePolicyBasedTrafficSelectors *bool                                               `json:"usePolicyBasedTrafficSelectors"`
		ConnectionProtocol             *armnetwork.VirtualNetworkGatewayConnectionProtocol `json:"connectionProtocol"`
		ConnectionMode                 *armnetwork.VirtualNetworkGatewayConnectionMode     `json:"connectionMode"`
		DpdTimeoutSeconds              *int32                                              `json:"dpdTimeoutSeconds"`
		IPSecPolicies                  []struct {
			IkeEncryption     *armnetwork.IkeEncryption   `json:"ikeEncryption"`
			IkeIntegrity      *armnetwork.IkeIntegrity    `json:"ikeIntegrity"`
			DhGroup           *armnetwork.DhGroup         `json:"dhGroup"`
			IPSecEncryption   *armnetwork.IPSecEncryption `json:"ipsecEncryption"`
			IPSecIntegrity    *armnetwork.IPSecIntegrity  `json:"ipsecIntegrity"`
			PfsGroup          *armnetwork.PfsGroup        `json:"pfsGroup"`
			SaLifeTimeSeconds *int32                      `json:"saLifeTimeSeconds"`
		} `json:"ipsecPolicies"`
		GatewayCustomBgpIPAddresses []struct {
			CustomBgpIPAddress *string `json:"customBgpIpAddress"`
		} `json:"gatewayCustomBgpIpAddresses"`
		LocalNetworkGateway2 *struct {
			ID *string `json:"id"`
		} `json:"localNetworkGateway2"`
	} `json:"properties"`
}

// getConnection GETs one connection and decodes the fields doorbot reads
// into armnetwork's type. Errors are azcore's *ResponseError, as from the
// armnetwork client.
func (cl *clients) getConnection(ctx context.Context, sub, rg, name string) (armnetwork.VirtualNetworkGatewayConnection, error) {
	var out armnetwork.VirtualNetworkGatewayConnection
	path := "/subscriptions/" + url.PathEscape(sub) + "/resourceGroups/" + url.PathEscape(rg) +
		"/providers/Microsoft.Network/connections/" + url.PathEscape(name)
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(cl.arm.Endpoint(), path))
	if err != nil {
		return out, err
	}
	req.Raw().URL.RawQuery = "api-version=" + apiVersion
	req.Raw().Header["Accept"] = []string{"application/json"}
	resp, err := cl.arm.Pipeline().Do(req)
	if err != nil {
		return out, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return out, runtime.NewResponseError(resp)
	}
	var j connectionJSON
	if err := runtime.UnmarshalAsJSON(resp, &j); err != nil {
		return out, err
	}
	out.Name = j.Name
	if p := j.Properties; p != nil {
		op := &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionStatus: p.ConnectionStatus, IngressBytesTransferred: p.IngressBytesTransferred, EgressBytesTransferred: p.EgressBytesTransferred,
			EnableBgp: p.EnableBgp, UsePolicyBasedTrafficSelectors: p.UsePolicyBasedTrafficSelectors,
			ConnectionProtocol: p.ConnectionProtocol, ConnectionMode: p.ConnectionMode, DpdTimeoutSeconds: p.DpdTimeoutSeconds,
		}
		for _, pol := range p.IPSecPolicies {
			op.IPSecPolicies = append(op.IPSecPolicies, &armnetwork.IPSecPolicy{
				IkeEncryption: pol.IkeEncryption, IkeIntegrity: pol.IkeIntegrity, DhGroup: pol.DhGroup,
				IPSecEncryption: pol.IPSecEncryption, IPSecIntegrity: pol.IPSecIntegrity, PfsGroup: pol.PfsGroup,
				SaLifeTimeSeconds: pol.SaLifeTimeSeconds,
			})
		}
		for _, b := range p.GatewayCustomBgpIPAddresses {
			op.GatewayCustomBgpIPAddresses = append(op.GatewayCustomBgpIPAddresses, &armnetwork.GatewayCustomBgpIPAddressIPConfiguration{CustomBgpIPAddress: b.CustomBgpIPAddress})
		}
		if p.LocalNetworkGateway2 != nil {
			op.LocalNetworkGateway2 = &armnetwork.LocalNetworkGateway{ID: p.LocalNetworkGateway2.ID}
		}
		out.Properties = op
	}
	return out, nil
}
