package sim

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func start(t *testing.T, w *World) *Server {
	t.Helper()
	srv, err := Start(w)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func startDemo(t *testing.T) (*World, *Server, map[string]Scenario) {
	t.Helper()
	w, sc := DemoWorld()
	byName := map[string]Scenario{}
	for _, s := range sc {
		byName[s.Name] = s
	}
	return w, start(t, w), byName
}

func ec2Client(srv *Server, region string) *ec2.Client {
	return ec2.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  srv.EC2HTTPClient(),
	}, func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(srv.EC2URL)
		o.RetryMaxAttempts = 1
	})
}

// staticToken is a credential that always succeeds, so the bearer policy
// sends a token like it would in production.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "sim-test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func armFactory(t *testing.T, srv *Server) *armnetwork.ClientFactory {
	t.Helper()
	f, err := armnetwork.NewClientFactory(SubscriptionID, staticToken{}, &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: "https://login.invalid/",
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {Endpoint: srv.ARMURL, Audience: "https://management.core.windows.net/"},
				},
			},
			Transport: srv.HTTPClient(),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
		DisableRPRegistration: true,
	})
	if err != nil {
		t.Fatalf("armnetwork.NewClientFactory: %v", err)
	}
	return f
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// signedForm posts an EC2 form with a SigV4-shaped Authorization header
// (the sim reads only the credential scope) and returns status and body.
func signedForm(t *testing.T, srv *Server, region string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.EC2URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if region != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/"+region+"/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	}
	return do(t, http.DefaultClient, req)
}

func armDo(t *testing.T, srv *Server, method, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.ARMURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func rgPath(rg string) string {
	return "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.Network/"
}
