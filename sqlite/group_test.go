package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Concurrent group writes: the ones that succeed are committed, a failing
// one is rolled back alone with its own error, a canceled one writes
// nothing, and callers that arrive together share transactions.
func TestGroupTx(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE g (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var txs []*sql.Tx
	insert := func(k string, fail bool) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			mu.Lock()
			if len(txs) == 0 || txs[len(txs)-1] != tx {
				txs = append(txs, tx)
			}
			mu.Unlock()
			if _, err := tx.ExecContext(ctx, `INSERT INTO g (k) VALUES (?)`, k); err != nil {
				return err
			}
			if fail {
				return errors.New("job " + k + " fails after writing")
			}
			return nil
		}
	}

	// Hold the write turn so that every caller queues, then let go.
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	errs := make([]error, n)
	var wg sync.WaitGroup
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ctx
			if i == 7 {
				c = canceled
			}
			errs[i] = s.inGroupTx(c, insert(fmt.Sprint(i), i == 13))
		}()
	}
	waitQueued(t, s, n-1) // the canceled caller returns at once
	unlock()
	wg.Wait()

	for i, err := range errs {
		switch i {
		case 7:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("canceled job: %v, want context.Canceled", err)
			}
		case 13:
			if err == nil || err.Error() != "job 13 fails after writing" {
				t.Errorf("failing job: %v, want its own error", err)
			}
		default:
			if err != nil {
				t.Errorf("job %d: %v", i, err)
			}
		}
	}
	var got int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM g`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n-2 {
		t.Errorf("%d rows committed, want %d", got, n-2)
	}
	for _, k := range []string{"7", "13"} {
		var c int
		_ = s.db.QueryRowContext(ctx, `SELECT count(*) FROM g WHERE k = ?`, k).Scan(&c)
		if c != 0 {
			t.Errorf("row of job %s was committed", k)
		}
	}
	if len(txs) > 2 {
		t.Errorf("%d callers waiting together used %d transactions, want at most 2", n-1, len(txs))
	}
}

func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for range 10000 {
		s.group.mu.Lock()
		q := len(s.group.queue)
		s.group.mu.Unlock()
		if q >= n {
			return
		}
		runtimeGosched()
	}
	t.Fatalf("callers never queued")
}

func runtimeGosched() { time.Sleep(time.Millisecond) }
