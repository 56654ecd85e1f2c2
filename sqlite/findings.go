package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart"
)

// findingColumns lists the findings table's columns in the order
// findingArgs and scanFinding use.
const findingColumns = `finding_id, scan_id, landing_zone_id, account_id, account_name, region, scope,
	cloud_provider, resource_id, resource_type, resource_name, service, control_id, title, severity,
	severity_rank, status, risk_score, risk_reason, remediation, framework, requirement_id, owner_team,
	business_unit, environment, first_seen_at, last_seen_at, resolved_at, status_extended, error_class,
	sources, risk_level, public, data_sensitivity, privileged, compensating_controls, owner_source, due_at,
	context, muted, mute_reason`

// touchFindingSQL is a seen event's write: the scan that saw the finding
// and when.
const touchFindingSQL = `UPDATE findings SET scan_id = ?, last_seen_at = ? WHERE finding_id = ?`

// insertFindingSQL inserts a row that must be new.
const insertFindingSQL = `INSERT INTO findings (` + findingColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const upsertFindingSQL = `INSERT INTO findings (` + findingColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (finding_id) DO UPDATE SET
		scan_id = excluded.scan_id, landing_zone_id = excluded.landing_zone_id,
		account_id = excluded.account_id, account_name = excluded.account_name,
		region = excluded.region, scope = excluded.scope, cloud_provider = excluded.cloud_provider,
		resource_id = excluded.resource_id, resource_type = excluded.resource_type,
		resource_name = excluded.resource_name, service = excluded.service,
		control_id = excluded.control_id, title = excluded.title, severity = excluded.severity,
		severity_rank = excluded.severity_rank, status = excluded.status,
		risk_score = excluded.risk_score, risk_reason = excluded.risk_reason,
		remediation = excluded.remediation, framework = excluded.framework,
		requirement_id = excluded.requirement_id, owner_team = excluded.owner_team,
		business_unit = excluded.business_unit, environment = excluded.environment,
		first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at,
		resolved_at = excluded.resolved_at, status_extended = excluded.status_extended,
		error_class = excluded.error_class, sources = excluded.sources,
		risk_level = excluded.risk_level, public = excluded.public,
		data_sensitivity = excluded.data_sensitivity, privileged = excluded.privileged,
		compensating_controls = excluded.compensating_controls, owner_source = excluded.owner_source,
		due_at = excluded.due_at, context = excluded.context,
		muted = excluded.muted, mute_reason = excluded.mute_reason`

func findingArgs(f *rampart.Finding) []any {
	return []any{f.FindingID, f.ScanID, f.LandingZoneID, f.AccountID, f.AccountName, f.Region, f.Scope,
		f.CloudProvider, f.ResourceID, f.ResourceType, f.ResourceName, f.Service, f.ControlID, f.Title,
		string(f.Severity), f.Severity.Rank(), string(f.Status), f.RiskScore, f.RiskReason, f.Remediation,
		f.Framework, f.RequirementID, f.OwnerTeam, f.BusinessUnit, f.Environment,
		formatTime(f.FirstSeenAt), formatTime(f.LastSeenAt), nullTimePtr(f.ResolvedAt),
		f.StatusExtended, string(f.ErrorClass), strings.Join(f.Sources, ","),
		f.RiskLevel, f.Public, f.DataSensitivity, f.Privileged, strings.Join(f.CompensatingControls, ","),
		f.OwnerSource, nullTimePtr(f.DueAt), contextJSON(f.Context), f.Muted, f.MuteReason}
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

func scanFinding(r interface{ Scan(...any) error }) (rampart.Finding, error) {
	var f rampart.Finding
	var severity, status, class, first, last, sources, comp, ctxJSON string
	var rank int
	var resolved, due sql.NullString
	if err := r.Scan(&f.FindingID, &f.ScanID, &f.LandingZoneID, &f.AccountID, &f.AccountName, &f.Region, &f.Scope,
		&f.CloudProvider, &f.ResourceID, &f.ResourceType, &f.ResourceName, &f.Service, &f.ControlID, &f.Title,
		&severity, &rank, &status, &f.RiskScore, &f.RiskReason, &f.Remediation,
		&f.Framework, &f.RequirementID, &f.OwnerTeam, &f.BusinessUnit, &f.Environment,
		&first, &last, &resolved, &f.StatusExtended, &class, &sources,
		&f.RiskLevel, &f.Public, &f.DataSensitivity, &f.Privileged, &comp, &f.OwnerSource, &due, &ctxJSON,
		&f.Muted, &f.MuteReason); err != nil {
		return f, err
	}
	if sources != "" {
		f.Sources = strings.Split(sources, ",")
	}
	if comp != "" {
		f.CompensatingControls = strings.Split(comp, ",")
	}
	if ctxJSON != "" {
		if err := json.Unmarshal([]byte(ctxJSON), &f.Context); err != nil {
			return f, fmt.Errorf("finding %s: context: %w", f.FindingID, err)
		}
	}
	var err error
	if f.DueAt, err = parseNullTimePtr(due); err != nil {
		return f, fmt.Errorf("finding %s: due_at: %w", f.FindingID, err)
	}
	f.Severity, f.Status, f.ErrorClass = rampart.Severity(severity), rampart.Status(status), rampart.ErrorClass(class)
	if f.FirstSeenAt, err = parseTime(first); err != nil {
		return f, fmt.Errorf("finding %s: first_seen_at: %w", f.FindingID, err)
	}
	if f.LastSeenAt, err = parseTime(last); err != nil {
		return f, fmt.Errorf("finding %s: last_seen_at: %w", f.FindingID, err)
	}
	if f.ResolvedAt, err = parseNullTimePtr(resolved); err != nil {
		return f, fmt.Errorf("finding %s: resolved_at: %w", f.FindingID, err)
	}
	return f, nil
}

// ListFindings returns the findings f selects, most severe first, then by
// risk score (highest first), first seen (oldest first) and finding ID.
func (s *Store) ListFindings(ctx context.Context, f rampart.FindingFilter) ([]rampart.Finding, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("landing_zone_id", f.LandingZoneID)
	eq("account_id", f.AccountID)
	eq("region", f.Region)
	eq("service", f.Service)
	eq("control_id", f.ControlID)
	if len(f.Severities) > 0 {
		where = append(where, "severity IN ("+placeholders(len(f.Severities))+")")
		for _, v := range f.Severities {
			args = append(args, string(v))
		}
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, v := range f.Statuses {
			args = append(args, string(v))
		}
	}
	if f.OnlyOpen {
		where = append(where, "resolved_at IS NULL")
	}
	if f.ExcludeMuted {
		where = append(where, "muted = 0")
	}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, rampart.Errorf(rampart.EINVALID, "finding filter: negative limit %d or offset %d", f.Limit, f.Offset)
	}
	q := `SELECT ` + findingColumns + ` FROM findings`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY severity_rank DESC, risk_score DESC, first_seen_at, finding_id LIMIT ? OFFSET ?`
	limit := f.Limit
	if limit == 0 {
		limit = -1
	}
	args = append(args, limit, f.Offset)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list findings: %w", err)
	}
	defer rows.Close()
	var out []rampart.Finding
	for rows.Next() {
		fd, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list findings: %w", err)
		}
		out = append(out, fd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list findings: %w", err)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// GetFinding returns the finding with the given ID, or ENOTFOUND.
func (s *Store) GetFinding(ctx context.Context, id string) (rampart.Finding, error) {
	f, err := scanFinding(s.db.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE finding_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return rampart.Finding{}, rampart.Errorf(rampart.ENOTFOUND, "finding %q not found", id)
	} else if err != nil {
		return rampart.Finding{}, fmt.Errorf("sqlite: get finding %s: %w", id, err)
	}
	return f, nil
}

// snapshotJSON is how an event's snapshot is stored: the finding's public
// JSON plus its scope, which the public schema leaves out.
type snapshotJSON struct {
	*rampart.Finding
	Scope string `json:"scope"`
}

func encodeSnapshot(f *rampart.Finding) (any, error) {
	if f == nil {
		return nil, nil
	}
	b, _, err := appendSnapshot(nil, f)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// encodeSnapshotRow encodes f's snapshot into buf (reused) and returns it
// with the row Reindex will read back from it: f itself when decoding is
// the identity on the columns (every string valid UTF-8), else the decoded
// snapshot. It spares CommitUnit and Ingest a JSON decode per new or
// changed finding while keeping their rows byte-identical to Reindex's.
func encodeSnapshotRow(buf *[]byte, f *rampart.Finding) (string, *rampart.Finding, error) {
	b, valid, err := appendSnapshot((*buf)[:0], f)
	*buf = b
	if err != nil {
		return "", nil, err
	}
	snap := string(b)
	if valid {
		row := *f
		return snap, &row, nil
	}
	row, err := decodeSnapshot(sql.NullString{String: snap, Valid: true})
	return snap, row, err
}

func decodeSnapshot(s sql.NullString) (*rampart.Finding, error) {
	if !s.Valid {
		return nil, nil
	}
	var f rampart.Finding
	sj := snapshotJSON{Finding: &f}
	if err := json.Unmarshal([]byte(s.String), &sj); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	f.Scope = sj.Scope
	if len(f.Sources) == 0 {
		f.Sources = nil // "[]" and null both read back as the column's ''
	}
	if f.ResolvedAt != nil {
		t := f.ResolvedAt.UTC()
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
		t := f.DueAt.UTC()
		f.DueAt = &t
	}
	f.FirstSeenAt, f.LastSeenAt = f.FirstSeenAt.UTC(), f.LastSeenAt.UTC()
	return &f, nil
}

const eventColumns = `id, finding_id, type, at, scan_id, unit_id, snapshot`

func scanEvent(r interface{ Scan(...any) error }) (rampart.FindingEvent, error) {
	var ev rampart.FindingEvent
	var typ, at string
	var snap sql.NullString
	if err := r.Scan(&ev.ID, &ev.FindingID, &typ, &at, &ev.ScanID, &ev.UnitID, &snap); err != nil {
		return ev, err
	}
	ev.Type = rampart.EventType(typ)
	var err error
	if ev.At, err = parseTime(at); err != nil {
		return ev, fmt.Errorf("event %d: at: %w", ev.ID, err)
	}
	if ev.Snapshot, err = decodeSnapshot(snap); err != nil {
		return ev, fmt.Errorf("event %d: %w", ev.ID, err)
	}
	return ev, nil
}

// ListFindingEvents returns the events of a finding in replay order; with
// an empty findingID, every event of every finding.
func (s *Store) ListFindingEvents(ctx context.Context, findingID string) ([]rampart.FindingEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM finding_events
		WHERE (? = '' OR finding_id = ?) ORDER BY id`, findingID, findingID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list events of finding %q: %w", findingID, err)
	}
	defer rows.Close()
	var out []rampart.FindingEvent
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list events of finding %q: %w", findingID, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list events of finding %q: %w", findingID, err)
	}
	return out, nil
}

// ListArtifacts returns the artifact pointers of a scan, oldest first.
func (s *Store) ListArtifacts(ctx context.Context, scanID string) ([]rampart.Artifact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at
		FROM artifacts WHERE scan_id = ? ORDER BY created_at, id`, scanID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list artifacts of scan %s: %w", scanID, err)
	}
	defer rows.Close()
	var out []rampart.Artifact
	for rows.Next() {
		var a rampart.Artifact
		var created string
		if err := rows.Scan(&a.ID, &a.ScanID, &a.UnitID, &a.Kind, &a.URI, &a.SHA256, &a.Size, &a.ContentType, &created); err != nil {
			return nil, fmt.Errorf("sqlite: list artifacts of scan %s: %w", scanID, err)
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("sqlite: list artifacts of scan %s: artifact %s: %w", scanID, a.ID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list artifacts of scan %s: %w", scanID, err)
	}
	return out, nil
}
