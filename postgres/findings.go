package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rampart-cspm/rampart"
)

// findingColumnList lists the findings table's columns in the order
// findingArgs and scanFinding use.
var findingColumnList = []string{"finding_id", "scan_id", "landing_zone_id", "account_id", "account_name",
	"region", "scope", "cloud_provider", "resource_id", "resource_type", "resource_name", "service",
	"control_id", "title", "severity", "severity_rank", "status", "risk_score", "risk_reason", "remediation",
	"framework", "requirement_id", "owner_team", "business_unit", "environment", "first_seen_at",
	"last_seen_at", "resolved_at", "status_extended", "error_class", "sources",
	"risk_level", "public", "data_sensitivity", "privileged", "compensating_controls", "owner_source",
	"due_at", "context", "muted", "mute_reason"}

var findingColumns = strings.Join(findingColumnList, ", ")

var upsertFindingSQL = func() string {
	var ph, set []string
	for i, c := range findingColumnList {
		ph = append(ph, "$"+strconv.Itoa(i+1))
		if c != "finding_id" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return `INSERT INTO findings (` + findingColumns + `) VALUES (` + strings.Join(ph, ", ") +
		`) ON CONFLICT (finding_id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

func findingArgs(f *rampart.Finding) []any {
	return []any{f.FindingID, f.ScanID, f.LandingZoneID, f.AccountID, f.AccountName, f.Region, f.Scope,
		f.CloudProvider, f.ResourceID, f.ResourceType, f.ResourceName, f.Service, f.ControlID, f.Title,
		string(f.Severity), f.Severity.Rank(), string(f.Status), f.RiskScore, f.RiskReason, f.Remediation,
		f.Framework, f.RequirementID, f.OwnerTeam, f.BusinessUnit, f.Environment,
		f.FirstSeenAt.UTC(), f.LastSeenAt.UTC(), utcPtr(f.ResolvedAt),
		f.StatusExtended, string(f.ErrorClass), strings.Join(f.Sources, ","),
		f.RiskLevel, f.Public, f.DataSensitivity, f.Privileged, strings.Join(f.CompensatingControls, ","),
		f.OwnerSource, utcPtr(f.DueAt), contextJSON(f.Context), f.Muted, f.MuteReason}
}

// contextJSON stores a finding's context as a JSON object, ” when empty.
func contextJSON(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m) // a map of strings always encodes
	if err != nil {
		return ""
	}
	return string(b)
}

func scanFinding(r pgx.Row) (rampart.Finding, error) {
	var f rampart.Finding
	var severity, status, class, sources, comp, ctxJSON string
	var rank int
	var first, last time.Time
	var resolved, due *time.Time
	if err := r.Scan(&f.FindingID, &f.ScanID, &f.LandingZoneID, &f.AccountID, &f.AccountName, &f.Region, &f.Scope,
		&f.CloudProvider, &f.ResourceID, &f.ResourceType, &f.ResourceName, &f.Service, &f.ControlID, &f.Title,
		&severity, &rank, &status, &f.RiskScore, &f.RiskReason, &f.Remediation,
		&f.Framework, &f.RequirementID, &f.OwnerTeam, &f.BusinessUnit, &f.Environment,
		&first, &last, &resolved, &f.StatusExtended, &class, &sources,
		&f.RiskLevel, &f.Public, &f.DataSensitivity, &f.Privileged, &comp, &f.OwnerSource, &due, &ctxJSON,
		&f.Muted, &f.MuteReason); err != nil {
		return f, err
	}
	if comp != "" {
		f.CompensatingControls = strings.Split(comp, ",")
	}
	if ctxJSON != "" {
		if err := json.Unmarshal([]byte(ctxJSON), &f.Context); err != nil {
			return f, fmt.Errorf("finding %s: context: %w", f.FindingID, err)
		}
	}
	f.DueAt = utcPtr(due)
	if sources != "" {
		f.Sources = strings.Split(sources, ",")
	}
	f.Severity, f.Status, f.ErrorClass = rampart.Severity(severity), rampart.Status(status), rampart.ErrorClass(class)
	f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt = first.UTC(), last.UTC(), utcPtr(resolved)
	return f, nil
}

// ListFindings returns the findings f selects, most severe first, then by
// risk score (highest first), first seen (oldest first) and finding ID.
func (s *Store) ListFindings(ctx context.Context, f rampart.FindingFilter) ([]rampart.Finding, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	eq("landing_zone_id", f.LandingZoneID)
	eq("account_id", f.AccountID)
	eq("region", f.Region)
	eq("service", f.Service)
	eq("control_id", f.ControlID)
	if len(f.Severities) > 0 {
		vs := make([]string, len(f.Severities))
		for i, v := range f.Severities {
			vs[i] = string(v)
		}
		where = append(where, "severity = ANY("+arg(vs)+")")
	}
	if len(f.Statuses) > 0 {
		vs := make([]string, len(f.Statuses))
		for i, v := range f.Statuses {
			vs[i] = string(v)
		}
		where = append(where, "status = ANY("+arg(vs)+")")
	}
	if f.OnlyOpen {
		where = append(where, "resolved_at IS NULL")
	}
	if f.ExcludeMuted {
		where = append(where, "NOT muted")
	}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, rampart.Errorf(rampart.EINVALID, "finding filter: negative limit %d or offset %d", f.Limit, f.Offset)
	}
	q := `SELECT ` + findingColumns + ` FROM findings`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	q += ` ORDER BY severity_rank DESC, risk_score DESC, first_seen_at, finding_id LIMIT ` + arg(limit) + ` OFFSET ` + arg(f.Offset)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list findings: %w", err)
	}
	defer rows.Close()
	var out []rampart.Finding
	for rows.Next() {
		fd, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list findings: %w", err)
		}
		out = append(out, fd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list findings: %w", err)
	}
	return out, nil
}

// GetFinding returns the finding with the given ID, or ENOTFOUND.
func (s *Store) GetFinding(ctx context.Context, id string) (rampart.Finding, error) {
	f, err := scanFinding(s.pool.QueryRow(ctx, `SELECT `+findingColumns+` FROM findings WHERE finding_id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return rampart.Finding{}, rampart.Errorf(rampart.ENOTFOUND, "finding %q not found", id)
	} else if err != nil {
		return rampart.Finding{}, fmt.Errorf("postgres: get finding %s: %w", id, err)
	}
	return f, nil
}

// snapshotJSON is how an event's snapshot is stored: the finding's public
// JSON plus its scope, which the public schema leaves out. It is the same
// document the SQLite store keeps.
type snapshotJSON struct {
	*rampart.Finding
	Scope string `json:"scope"`
}

func encodeSnapshot(f *rampart.Finding) ([]byte, error) {
	if f == nil {
		return nil, nil
	}
	b, err := json.Marshal(snapshotJSON{Finding: f, Scope: f.Scope})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot of finding %s: %w", f.FindingID, err)
	}
	return b, nil
}

// snapshotArg returns ev's snapshot as the events table's argument (nil
// when the event has none) and the row to write after it: exactly what
// Reindex will read back from the snapshot, so that the live path and a
// replay give identical rows, or row itself when there is no snapshot.
func snapshotArg(ev rampart.FindingEvent, row *rampart.Finding) (any, *rampart.Finding, error) {
	snap, err := encodeSnapshot(ev.Snapshot)
	if err != nil || snap == nil {
		return nil, row, err
	}
	decoded, err := decodeSnapshot(snap)
	if err != nil {
		return nil, nil, err
	}
	return string(snap), decoded, nil
}

func decodeSnapshot(b []byte) (*rampart.Finding, error) {
	if b == nil {
		return nil, nil
	}
	var f rampart.Finding
	sj := snapshotJSON{Finding: &f}
	if err := json.Unmarshal(b, &sj); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	f.Scope = sj.Scope
	if len(f.Sources) == 0 {
		f.Sources = nil
	}
	// The table keeps microseconds: snapshots are read back at the same
	// precision, so the live path and Reindex give identical rows.
	f.FirstSeenAt, f.LastSeenAt = micro(f.FirstSeenAt), micro(f.LastSeenAt)
	if f.ResolvedAt != nil {
		t := micro(*f.ResolvedAt)
		f.ResolvedAt = &t
	}
	// Empty lists and maps read back from the columns as nil.
	if len(f.CompensatingControls) == 0 {
		f.CompensatingControls = nil
	}
	if len(f.Context) == 0 {
		f.Context = nil
	}
	if f.DueAt != nil {
		t := micro(*f.DueAt)
		f.DueAt = &t
	}
	return &f, nil
}

// micro rounds t to Postgres's timestamp precision, in UTC.
func micro(t time.Time) time.Time { return t.UTC().Round(time.Microsecond) }

const eventColumns = `id, finding_id, type, at, scan_id, unit_id, snapshot`

func scanEvent(r pgx.Row) (rampart.FindingEvent, error) {
	var ev rampart.FindingEvent
	var typ string
	var at time.Time
	var snap []byte
	if err := r.Scan(&ev.ID, &ev.FindingID, &typ, &at, &ev.ScanID, &ev.UnitID, &snap); err != nil {
		return ev, err
	}
	ev.Type = rampart.EventType(typ)
	ev.At = at.UTC()
	var err error
	if ev.Snapshot, err = decodeSnapshot(snap); err != nil {
		return ev, fmt.Errorf("event %d: %w", ev.ID, err)
	}
	return ev, nil
}

// ListFindingEvents returns the events of a finding in replay order; with
// an empty findingID, every event of every finding.
func (s *Store) ListFindingEvents(ctx context.Context, findingID string) ([]rampart.FindingEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM finding_events
		WHERE ($1 = '' OR finding_id = $1) ORDER BY id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list events of finding %q: %w", findingID, err)
	}
	defer rows.Close()
	var out []rampart.FindingEvent
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list events of finding %q: %w", findingID, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list events of finding %q: %w", findingID, err)
	}
	return out, nil
}

// ListArtifacts returns the artifact pointers of a scan, oldest first.
func (s *Store) ListArtifacts(ctx context.Context, scanID string) ([]rampart.Artifact, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at
		FROM artifacts WHERE scan_id = $1 ORDER BY created_at, id`, scanID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list artifacts of scan %s: %w", scanID, err)
	}
	defer rows.Close()
	var out []rampart.Artifact
	for rows.Next() {
		var a rampart.Artifact
		var created time.Time
		if err := rows.Scan(&a.ID, &a.ScanID, &a.UnitID, &a.Kind, &a.URI, &a.SHA256, &a.Size, &a.ContentType, &created); err != nil {
			return nil, fmt.Errorf("postgres: list artifacts of scan %s: %w", scanID, err)
		}
		a.CreatedAt = created.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list artifacts of scan %s: %w", scanID, err)
	}
	return out, nil
}
