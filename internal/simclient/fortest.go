package simclient

import (
	"testing"

	"github.com/doorbot/doorbot/handlers"
	"github.com/doorbot/doorbot/internal/sim"
	"github.com/doorbot/doorbot/vpn"
)

// StartForTest starts world's simulated clouds for one test: they close
// when it ends, and the test fails if anything called a mutating API
// (doorbot only ever reads the clouds).
func StartForTest(t testing.TB, world *sim.World) *sim.Server {
	t.Helper()
	srv, err := sim.Start(world)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if m := srv.Mutations(); len(m) > 0 {
			t.Errorf("mutating cloud calls: %+v", m)
		}
		srv.Close()
	})
	return srv
}

// DemoService is the handlers' service on the demo's simulated clouds and
// connections, for one test (see StartForTest).
func DemoService(t testing.TB, o Options) (*handlers.Service, *sim.Server) {
	t.Helper()
	world, scenarios := sim.DemoWorld()
	srv := StartForTest(t, world)
	obs, err := Observer(srv, o)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]vpn.Connection, len(scenarios))
	for i, s := range scenarios {
		conns[i] = s.Connection
	}
	return &handlers.Service{Connections: conns, Observer: obs}, srv
}
