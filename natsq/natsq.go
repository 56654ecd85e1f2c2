// Package natsq dispatches scan units over NATS JetStream so that any
// number of `rampart worker` processes, on any machine, scan one estate.
//
// Design:
//
//   - A message is one (landing zone, account) of a scan with all of that
//     account's units, published on <ns>.units.<lz> to the work-queue stream
//     <NS>_UNITS (message ID scan/lz/account, so a re-published plan is
//     deduplicated by the server).
//   - Each landing zone has its own durable pull consumer whose MaxAckPending
//     is the landing zone's max_concurrent_accounts. A delivered, unacked
//     message is an account in flight, so the server itself holds the per-LZ
//     account cap across every worker. Inside a message the worker runs the
//     account's units with the per-account cap.
//   - A message is acked only after every one of its units is committed to
//     the store. While it works, the worker sends InProgress heartbeats
//     every AckWait/3; a worker that dies stops them and the message is
//     redelivered after AckWait.
//   - Redelivery is idempotent on the scan unit ID: a unit the store already
//     holds as terminal is skipped, and a commit that returns ECONFLICT
//     (someone committed it first) counts as done.
//   - A unit that failed on throttling is not committed: the whole message
//     is handed back with NakWithDelay (full-jitter backoff), and the
//     redelivery re-runs only the units still open. Store or queue errors
//     do the same with a fixed delay. Workers never sleep on backoff.
//   - After each commit the worker publishes a completion record on
//     <ns>.done.<scan> (stream <NS>_DONE); the dispatcher of the scan waits
//     for one record per unit, then the pipeline finishes the scan.
package natsq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-cspm/rampart"
)

// Options name the JetStream resources and shape their timing. Zero
// values take the defaults. The scheduler and every worker of a deployment
// must use the same options (they configure the same consumers).
type Options struct {
	// Namespace prefixes subjects and names streams ("rampart").
	Namespace string
	// AckWait is how long a delivered message may go without an ack or a
	// heartbeat before it is redelivered (2m).
	AckWait time.Duration
	// DoneMaxAge is how long completion records are kept (24h).
	DoneMaxAge time.Duration
	Logger     *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = "rampart"
	}
	if o.AckWait <= 0 {
		o.AckWait = 2 * time.Minute
	}
	if o.DoneMaxAge <= 0 {
		o.DoneMaxAge = 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

var unsafeToken = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// token makes s safe as one subject token and as part of a name.
func token(s string) string { return unsafeToken.ReplaceAllString(s, "_") }

func (o Options) unitsStream() string { return strings.ToUpper(token(o.Namespace)) + "_UNITS" }
func (o Options) doneStream() string  { return strings.ToUpper(token(o.Namespace)) + "_DONE" }
func (o Options) unitsSubject(lzID string) string {
	return o.Namespace + ".units." + token(lzID)
}
func (o Options) doneSubject(scanID string) string { return o.Namespace + ".done." + token(scanID) }
func (o Options) consumerName(lzID string) string  { return "lz_" + token(lzID) }

// Work is one message: an account of a landing zone's scan and its units.
type Work struct {
	ScanID             string             `json:"scan_id"`
	LandingZoneID      string             `json:"landing_zone_id"`
	Account            rampart.Account    `json:"account"`
	MaxUnitsPerAccount int                `json:"max_units_per_account"`
	Units              []rampart.ScanUnit `json:"units"`
}

// Done is a completion record: a unit is committed.
type Done struct {
	Unit  rampart.ScanUnit    `json:"unit"`
	Stats rampart.CommitStats `json:"stats"`
	// Skipped is true when this delivery found the unit already committed
	// (a redelivery after a worker died); Stats are then zero.
	Skipped bool   `json:"skipped,omitempty"`
	Worker  string `json:"worker"`
}

// Connect connects to the NATS server at url (nats://host:port, several
// comma-separated) and checks that JetStream answers. Once connected it
// reconnects forever; an unreachable server at start is an error naming it.
func Connect(ctx context.Context, url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.Timeout(5*time.Second),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("natsq: cannot reach NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsq: %s: %w", url, err)
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("natsq: NATS at %s has no JetStream (start nats-server with -js): %w", url, err)
	}
	return nc, js, nil
}

// Setup creates or updates the two streams.
func Setup(ctx context.Context, js jetstream.JetStream, o Options) error {
	o = o.withDefaults()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        o.unitsStream(),
		Description: "Rampart scan work: one message per (landing zone, account) of a scan",
		Subjects:    []string{o.Namespace + ".units.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  10 * time.Minute,
	}); err != nil {
		return fmt.Errorf("natsq: stream %s: %w", o.unitsStream(), err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        o.doneStream(),
		Description: "Rampart unit completions, one subject per scan",
		Subjects:    []string{o.Namespace + ".done.>"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      o.DoneMaxAge,
	}); err != nil {
		return fmt.Errorf("natsq: stream %s: %w", o.doneStream(), err)
	}
	return nil
}

// EnsureConsumer creates or updates the pull consumer of a landing zone:
// MaxAckPending is its cap on accounts in flight (default 3).
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, o Options, lzID string, maxAccounts int) (jetstream.Consumer, error) {
	o = o.withDefaults()
	if maxAccounts <= 0 {
		maxAccounts = 3
	}
	c, err := js.CreateOrUpdateConsumer(ctx, o.unitsStream(), jetstream.ConsumerConfig{
		Durable:       o.consumerName(lzID),
		Description:   "Rampart workers of landing zone " + lzID,
		FilterSubject: o.unitsSubject(lzID),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxAckPending: maxAccounts,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("natsq: consumer of landing zone %s: %w", lzID, err)
	}
	return c, nil
}

func isConflict(err error) bool { return rampart.ErrorCode(err) == rampart.ECONFLICT }

func isTimeout(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages)
}
