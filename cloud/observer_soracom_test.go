package cloud_test

import (
	"context"
	"strings"
	"testing"

	"github.com/doorbot/doorbot/cloud"
	"github.com/doorbot/doorbot/cloud/soracom"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/internal/simclient"
	"github.com/doorbot/doorbot/vpn"
)

func TestObserveDoorReadsTheVPG(t *testing.T) {
	world, _ := sim.DemoWorld()
	srv := start(t, world)
	obs := observer(t, srv, simclient.Options{CacheTTL: 0})
	door := scenario(t, "soracom-door").Connection
	// Two connections on one VPG: the VPG is read once per status.
	twin := door
	twin.Name = "door-twin"
	got := obs.Observe(context.Background(), []vpn.Connection{door, twin})
	for _, o := range got {
		if o.Soracom == nil || o.Azure == nil || len(o.Errors) != 0 {
			t.Fatalf("%s: soracom %+v, azure %v, errors %v", o.Connection.Name, o.Soracom, o.Azure != nil, o.Errors)
		}
		if o.Soracom.Routing() != vpn.RoutingStatic || o.Soracom.VPGSubnet != "100.64.17.0/28" || o.AWS != nil {
			t.Errorf("VPG = %+v", o.Soracom)
		}
	}
	if n := requests(srv, sim.CloudSoracom, "getVirtualPrivateGateway"); n != 1 {
		t.Errorf("%d VPG reads for one VPG", n)
	}
	// A connection without vpg_id and an aws-vpn never touch SORACOM.
	srv.Reset()
	noVPG := door
	noVPG.Soracom = vpn.SoracomRef{}
	o := obs.Observe(context.Background(), []vpn.Connection{noVPG, scenario(t, "healthy-static").Connection})
	if o[0].Soracom != nil || len(o[0].Errors) != 0 || requests(srv, sim.CloudSoracom, "") != 0 {
		t.Errorf("door without vpg_id: %+v, %d SORACOM requests", o[0], requests(srv, sim.CloudSoracom, ""))
	}
}

func TestObserveDoorSoracomErrorsKeepAzure(t *testing.T) {
	bad := soracom.Credentials{KeyID: "keyId-wrong", Key: soracom.Secret(sim.SoracomSecretPrefix + "nope")}
	tests := []struct {
		name  string
		fault *sim.Fault
		creds *soracom.Credentials
		vpg   string
		want  string
	}{
		{"bad key", nil, &bad, "", "rejected the auth key"},
		{"missing permission", &sim.Fault{Status: 403, Match: "/virtual_private_gateways/"}, nil, "", "VirtualPrivateGateway:getVirtualPrivateGateway"},
		{"unknown VPG", nil, nil, "vpg-unknown", "VPG vpg-unknown not found"},
		{"hang", &sim.Fault{Hang: true, Match: "/virtual_private_gateways/"}, nil, "", "did not answer within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			world, _ := sim.DemoWorld()
			if tc.fault != nil {
				world.AddFault(sim.CloudSoracom, *tc.fault)
			}
			srv := start(t, world)
			obs := observer(t, srv, simclient.Options{SoracomCredentials: tc.creds})
			door := scenario(t, "soracom-door").Connection
			if tc.vpg != "" {
				door.Soracom.VPGID = tc.vpg
			}
			o := obs.Observe(context.Background(), []vpn.Connection{door})[0]
			if o.Azure == nil || len(o.Azure.Connections) != 2 {
				t.Fatalf("Azure not reported: %+v", o.Azure)
			}
			if o.Soracom != nil || len(o.Errors) != 1 || o.Errors[0].Cloud != vpn.CloudSoracom || !strings.Contains(o.Errors[0].Message, tc.want) {
				t.Fatalf("errors = %+v", o.Errors)
			}
			if strings.Contains(o.Errors[0].Message, sim.SoracomSecretPrefix) {
				t.Errorf("secret in %q", o.Errors[0].Message)
			}
		})
	}
}

func TestObserveDoorWithoutSoracomClient(t *testing.T) {
	world, _ := sim.DemoWorld()
	srv := start(t, world)
	az, err := simclient.Azure(srv, simclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := cloud.New(nil, az, cloud.Options{}).Observe(context.Background(), []vpn.Connection{scenario(t, "soracom-door").Connection})[0]
	if o.Azure == nil || len(o.Errors) != 1 || o.Errors[0].Cloud != vpn.CloudSoracom || !strings.Contains(o.Errors[0].Message, "SORACOM_AUTH_KEY_ID") {
		t.Errorf("observation = %+v", o)
	}
}
