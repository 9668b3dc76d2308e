package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/doorbot/doorbot/internal/pgtest"
)

// BenchmarkApprove: one approval decided and stored (read under lock,
// decide, conditional update, audit event) per iteration, per driver.
//
//	DOORBOT_TEST_PG_DSN=… go test -run '^$' -bench Approve -benchtime 300x ./store/
func BenchmarkApprove(b *testing.B) {
	for _, driver := range []string{"sqlite", "postgres"} {
		b.Run(driver, func(b *testing.B) {
			s, err := Open(b.Context(), driver, pgtest.FreshDSN(b, driver))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now()
			for i := range b.N {
				r := newRequest(fmt.Sprintf("cr-%d", i), now)
				if err := s.Create(b.Context(), r, created(r)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Update(b.Context(), fmt.Sprintf("cr-%d", i), approve("U1")); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "approvals/s")
		})
	}
}
