package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// group batches small write transactions that arrive together into one
// SQLite transaction (group commit). SQLite has one writer and every
// commit appends to the WAL: when a scan starts, hundreds of units mark
// themselves running at once, and one transaction per mark made the last
// of them wait for all the others' commits before it could scan.
//
// Each job runs in its own savepoint: a job that fails is rolled back alone
// and gets its own error; the others commit. If the commit itself fails,
// every job that had succeeded gets that error, so a caller told nil knows
// its write is durable as far as SQLite's synchronous mode promises.
type group struct {
	mu      sync.Mutex
	queue   []*groupJob
	leading bool
}

type groupJob struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error    // the job's outcome
	lead chan struct{} // closed when the job's caller must lead the next batch
}

// maxGroup bounds the jobs of one batch, so that a steady stream of
// arrivals cannot keep a transaction open for ever.
const maxGroup = 256

// inGroupTx runs fn in a write transaction shared with the other calls that
// are waiting at the same time. fn must confine itself to tx and may run
// after other jobs' statements in the same transaction: it must not
// depend on being alone in it. It returns fn's error, or the transaction's.
func (s *Store) inGroupTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, j)
	leader := !g.leading
	if leader {
		g.leading = true
	}
	g.mu.Unlock()
	if !leader {
		// Wait for a leader to run the job, or to hand the lead over. The
		// wait does not honour ctx: a leader is running or about to, and
		// checks ctx before it runs the job, so the answer is always a
		// true account of what was written.
		select {
		case err := <-j.done:
			return err
		case <-j.lead:
		}
	}
	s.leadGroup(j)
	return <-j.done
}

// leadGroup runs batches until the one holding own is done, then hands the
// lead to the first job still queued, if any.
func (s *Store) leadGroup(own *groupJob) {
	g := &s.group
	for {
		// Take the write turn first: the jobs that arrive while it is
		// busy join this batch.
		unlock, err := s.lockWrite(context.Background())
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		if err != nil {
			for _, j := range batch {
				j.done <- err
			}
		} else {
			s.runGroup(batch)
			unlock()
		}
		select {
		case err := <-own.done:
			own.done <- err // put it back for the caller
			g.mu.Lock()
			if len(g.queue) == 0 {
				g.leading = false
				g.mu.Unlock()
				return
			}
			next := g.queue[0]
			g.mu.Unlock()
			close(next.lead)
			return
		default:
		}
	}
}

// runGroup runs one batch in one transaction, in the write turn the caller
// holds, and tells every job its outcome.
func (s *Store) runGroup(batch []*groupJob) {
	var live []*groupJob
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	// The batch's transaction outlives any single caller's context: each
	// job's own statements still honour its ctx.
	ctx := context.Background()
	errs := make([]error, len(live))
	failAll := func(err error) {
		for i, j := range live {
			if errs[i] != nil {
				j.done <- errs[i] // nothing of it was written either way
			} else {
				j.done <- err
			}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	defer tx.Rollback()
	for i, j := range live {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
			failAll(fmt.Errorf("savepoint: %w", err))
			return
		}
		if errs[i] = j.fn(tx); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO job`); err != nil {
				failAll(fmt.Errorf("roll back a failed job: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE job`); err != nil {
			failAll(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(fmt.Errorf("commit: %w", err))
		return
	}
	for i, j := range live {
		j.done <- errs[i]
	}
}
