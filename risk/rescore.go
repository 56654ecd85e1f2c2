package risk

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Rescorer is the store side of a rescore: it passes every stored row to
// update and records a "changed" lifecycle event for each row update
// changed, atomically. sqlite.Store implements it; another store must too.
type Rescorer interface {
	Rescore(ctx context.Context, at time.Time, update func(f *rampart.Finding) error) (int, error)
}

// Rescore recomputes the business context and score of every unresolved
// stored finding with policy p at now, from each finding's own facts
// (Context), its landing zone and its account, without a scan. Resolved
// rows keep the score they had when resolved. It returns how many rows
// changed.
func Rescore(ctx context.Context, st Rescorer, p *Policy, lzs []rampart.LandingZone, accounts []rampart.Account, now time.Time) (int, error) {
	lzByID := map[string]rampart.LandingZone{}
	for _, lz := range lzs {
		lzByID[lz.ID] = lz
	}
	acctByID := map[string]rampart.Account{}
	for _, a := range accounts {
		acctByID[a.LandingZoneID+"/"+a.ID] = a
	}
	n, err := st.Rescore(ctx, now, func(f *rampart.Finding) error {
		if f.ResolvedAt != nil {
			return nil
		}
		p.Enrich(f, Input{LandingZone: lzByID[f.LandingZoneID], Account: acctByID[f.LandingZoneID+"/"+f.AccountID],
			Now: now, FirstSeen: f.FirstSeenAt})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("risk: rescore: %w", err)
	}
	return n, nil
}
