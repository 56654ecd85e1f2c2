package natsq

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dispatch"
)

// AccountSource is implemented by executors that know the accounts of the
// plan (pipeline's run does): their attributes go into the messages.
type AccountSource interface {
	Account(lzID, accountID string) (rampart.Account, bool)
}

// Committer is implemented by executors that want to hear about units
// committed by workers (pipeline's run counts their stats in its report).
type Committer interface {
	Committed(res rampart.UnitResult, stats rampart.CommitStats)
}

// Dispatcher is a dispatch.Dispatcher that publishes a plan's units to
// JetStream and returns when workers have committed every one of them.
type Dispatcher struct {
	js   jetstream.JetStream
	exec dispatch.Executor
	opts Options
}

var _ dispatch.Dispatcher = (*Dispatcher)(nil)

// NewDispatcher returns a dispatcher publishing on js for the run whose
// executor is exec (used for account attributes and progress only: the
// scanning happens in workers).
func NewDispatcher(js jetstream.JetStream, exec dispatch.Executor, opts Options) *Dispatcher {
	return &Dispatcher{js: js, exec: exec, opts: opts.withDefaults()}
}

// Dispatch implements dispatch.Dispatcher.
func (d *Dispatcher) Dispatch(ctx context.Context, plan dispatch.Plan) error {
	if err := Setup(ctx, d.js, d.opts); err != nil {
		return err
	}
	pending := map[string]bool{}
	scans := map[string]bool{}
	var works []Work
	for _, g := range plan.Groups {
		if _, err := EnsureConsumer(ctx, d.js, d.opts, g.LandingZoneID, g.MaxAccounts); err != nil {
			return err
		}
		for _, units := range byAccount(g.Units) {
			w := Work{ScanID: units[0].ScanID, LandingZoneID: g.LandingZoneID,
				Account:            rampart.Account{ID: units[0].AccountID, LandingZoneID: g.LandingZoneID},
				MaxUnitsPerAccount: g.MaxUnitsPerAccount, Units: units}
			if src, ok := d.exec.(AccountSource); ok {
				if a, ok := src.Account(g.LandingZoneID, w.Account.ID); ok {
					w.Account = a
				}
			}
			for _, u := range units {
				pending[u.ID] = true
				scans[u.ScanID] = true
			}
			works = append(works, w)
		}
	}
	if len(pending) == 0 {
		return nil
	}

	// Listen before publishing: one ordered consumer per scan of the plan
	// (one filter subject each, as servers before 2.10 require).
	records := make(chan jetstream.Msg, 256)
	lctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	var listeners sync.WaitGroup
	defer listeners.Wait()
	defer stopListening()
	var subjects []string
	for id := range scans {
		subjects = append(subjects, d.opts.doneSubject(id))
	}
	sort.Strings(subjects)
	for _, subject := range subjects {
		cons, err := d.js.OrderedConsumer(ctx, d.opts.doneStream(), jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			return fmt.Errorf("natsq: listen for completions on %s: %w", subject, err)
		}
		msgs, err := cons.Messages()
		if err != nil {
			return fmt.Errorf("natsq: listen for completions on %s: %w", subject, err)
		}
		listeners.Add(2)
		go func() {
			defer listeners.Done()
			<-lctx.Done()
			msgs.Stop()
		}()
		go func() {
			defer listeners.Done()
			for {
				m, err := msgs.Next()
				if err != nil {
					return
				}
				select {
				case records <- m:
				case <-lctx.Done():
					return
				}
			}
		}()
	}

	for _, w := range works {
		body, err := json.Marshal(w)
		if err != nil {
			return fmt.Errorf("natsq: encode work of account %s: %w", w.Account.ID, err)
		}
		id := w.ScanID + "/" + w.LandingZoneID + "/" + w.Account.ID
		if _, err := d.js.Publish(ctx, d.opts.unitsSubject(w.LandingZoneID), body, jetstream.WithMsgID(id)); err != nil {
			return fmt.Errorf("natsq: publish %s: %w", id, err)
		}
	}
	d.opts.Logger.Info("scan units published", "messages", len(works), "units", len(pending))

	for len(pending) > 0 {
		var m jetstream.Msg
		select {
		case m = <-records:
		case <-ctx.Done():
			return fmt.Errorf("natsq: %d units not completed: %w", len(pending), ctx.Err())
		}
		var done Done
		if err := json.Unmarshal(m.Data(), &done); err != nil {
			d.opts.Logger.Warn("bad completion record", "subject", m.Subject(), "error", err)
			continue
		}
		if !pending[done.Unit.ID] {
			continue // a duplicate after a redelivery, or another plan's
		}
		delete(pending, done.Unit.ID)
		if c, ok := d.exec.(Committer); ok {
			c.Committed(rampart.UnitResult{Unit: done.Unit}, done.Stats)
		}
	}
	return nil
}

// byAccount groups units by account, keeping first-seen order.
func byAccount(units []rampart.ScanUnit) [][]rampart.ScanUnit {
	idx := map[string]int{}
	var out [][]rampart.ScanUnit
	for _, u := range units {
		i, ok := idx[u.AccountID]
		if !ok {
			i = len(out)
			idx[u.AccountID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], u)
	}
	return out
}
