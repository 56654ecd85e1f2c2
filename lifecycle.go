package rampart

import (
	"reflect"
	"slices"
	"time"
)

// EventType is the kind of a finding lifecycle event.
type EventType string

// Lifecycle event types. Events are append-only; the findings table is a read
// model rebuilt by replaying them in order with ApplyEvent.
const (
	// EventDetected: a finding row was seen for the first time, or an
	// unresolved non-failing row started failing.
	EventDetected EventType = "detected"
	// EventResolved: a failing row passed, or a row was absent from a complete
	// scan of its unit scope, service and control.
	EventResolved EventType = "resolved"
	// EventReopened: a resolved row failed again.
	EventReopened EventType = "reopened"
	// EventChanged: some attribute changed without a lifecycle transition.
	EventChanged EventType = "changed"
	// EventSeen: observed again with nothing changed; moves last_seen_at and
	// scan_id only. Seen events may be compacted to the latest per finding
	// without changing the read model.
	EventSeen EventType = "seen"
)

// FindingEvent is one append-only lifecycle row.
type FindingEvent struct {
	ID        int64 // assigned by the store, replay order
	FindingID string
	Type      EventType
	At        time.Time
	ScanID    string
	UnitID    string
	// Snapshot is the whole row after the event. It is nil for seen events
	// and for resolutions by absence, which change only timestamps.
	Snapshot *Finding
}

// ApplyEvent returns the row after ev. cur is nil before the first event.
// It is the only function that builds read-model rows, both on the live
// write path and in reindex, so that both give identical rows.
func ApplyEvent(cur *Finding, ev FindingEvent) *Finding {
	if ev.Snapshot != nil {
		row := *ev.Snapshot
		return &row
	}
	if cur == nil {
		return nil
	}
	row := *cur
	switch ev.Type {
	case EventSeen:
		row.LastSeenAt = ev.At
		row.ScanID = ev.ScanID
	case EventResolved:
		at := ev.At
		row.ResolvedAt = &at
	}
	return &row
}

// Observe decides the events for one observation obs of a finding whose
// current row is cur (nil if none), at time at. It returns the new row and
// the events, or (nil, nil) when the observation must be ignored: a check
// that could not evaluate never overwrites what a failing row knows.
func Observe(cur *Finding, obs Finding, unitID string, at time.Time) (*Finding, []FindingEvent) {
	next := obs
	next.LastSeenAt = at
	next.FirstSeenAt = at
	next.ResolvedAt = nil
	next.Sources = MergeSources(nil, obs.Sources)
	ev := FindingEvent{FindingID: obs.FindingID, At: at, ScanID: obs.ScanID, UnitID: unitID}

	if cur == nil {
		ev.Type = EventDetected
		ev.Snapshot = &next
		return &next, []FindingEvent{ev}
	}
	inconclusive := obs.Status == StatusNotEvaluated || obs.Status == StatusManual
	if cur.Status == StatusFail && inconclusive {
		return nil, nil
	}
	next.FirstSeenAt = cur.FirstSeenAt
	next.ResolvedAt = cur.ResolvedAt
	// One finding, several scanners: the row lists every source that
	// reported it.
	next.Sources = MergeSources(cur.Sources, obs.Sources)
	switch {
	case obs.Status == StatusFail && cur.ResolvedAt != nil:
		ev.Type = EventReopened
		next.ResolvedAt = nil
	case obs.Status == StatusFail && cur.Status != StatusFail:
		ev.Type = EventDetected
	case obs.Status != StatusFail && cur.Status == StatusFail && cur.ResolvedAt == nil:
		ev.Type = EventResolved
		t := at
		next.ResolvedAt = &t
	case sameContent(cur, &next):
		ev.Type = EventSeen
		row := ApplyEvent(cur, ev)
		return row, []FindingEvent{ev}
	default:
		ev.Type = EventChanged
	}
	ev.Snapshot = &next
	return &next, []FindingEvent{ev}
}

// Vanish decides the events for a row that was absent from a complete scan
// of its scope, service and control. Unresolved rows are resolved; resolved
// rows are left alone.
func Vanish(cur *Finding, scanID, unitID string, at time.Time) (*Finding, []FindingEvent) {
	if cur == nil || cur.ResolvedAt != nil {
		return nil, nil
	}
	ev := FindingEvent{FindingID: cur.FindingID, Type: EventResolved, At: at, ScanID: scanID, UnitID: unitID}
	return ApplyEvent(cur, ev), []FindingEvent{ev}
}

// sameContent compares every field except those a seen event moves.
func sameContent(a, b *Finding) bool {
	x, y := *a, *b
	x.LastSeenAt, y.LastSeenAt = time.Time{}, time.Time{}
	x.ScanID, y.ScanID = "", ""
	if (x.ResolvedAt == nil) != (y.ResolvedAt == nil) {
		return false
	}
	if x.ResolvedAt != nil && !x.ResolvedAt.Equal(*y.ResolvedAt) {
		return false
	}
	x.ResolvedAt, y.ResolvedAt = nil, nil
	if (x.DueAt == nil) != (y.DueAt == nil) || (x.DueAt != nil && !x.DueAt.Equal(*y.DueAt)) {
		return false
	}
	x.DueAt, y.DueAt = nil, nil
	if !slices.Equal(x.Sources, y.Sources) {
		return false
	}
	x.Sources, y.Sources = nil, nil
	// Finding holds a slice, so it is not comparable with ==; Sources were
	// compared above and every other field is a scalar or a time.
	return x.FirstSeenAt.Equal(y.FirstSeenAt) && reflect.DeepEqual(x.withoutTimes(), y.withoutTimes())
}

func (f Finding) withoutTimes() Finding {
	f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt = time.Time{}, time.Time{}, nil
	return f
}

// Covers reports whether a unit's result allows resolving an absent row of
// service and control: the module that ran the control (or, for results
// that list no checks, the one named service) completed, and the control
// did not error.
func (u *ScanUnit) Covers(service, control string) bool {
	for _, s := range u.Services {
		if !contains(s.Checks, control) && (len(s.Checks) > 0 || s.Service != service) {
			continue
		}
		return s.Status == ServiceOK && !contains(s.ChecksErrored, control)
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
