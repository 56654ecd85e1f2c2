-- 0003: the read side of the API and dashboard (sqlite/query.go).
--
-- Indexes were chosen with EXPLAIN QUERY PLAN against a generated dataset of
-- 1,000,000 findings (rampart bench query). The dashboard's default is the
-- open set (status FAIL, not resolved): partial indexes over exactly that
-- WHERE keep it small and ordered. SQLite uses a partial index only when a
-- query repeats its WHERE term for term; sqlite/query.go writes the open
-- state as the fixed text below.

-- Open findings in the default order (severity, risk, last seen, id): the
-- first page of any list is read off this index.
CREATE INDEX findings_open_order ON findings (severity_rank DESC, risk_score DESC, last_seen_at DESC, finding_id DESC)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
-- Drill-down LZ -> account, in order; also covers counts by LZ and severity.
CREATE INDEX findings_open_lz ON findings (landing_zone_id, severity_rank, risk_score, last_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_account ON findings (account_id, severity_rank, risk_score, last_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
-- Aggregates of the open set by the other drill-down and filter fields.
CREATE INDEX findings_open_region ON findings (region, service, severity_rank)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_service ON findings (service, severity_rank)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_owner ON findings (owner_team, environment, first_seen_at)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_first_seen ON findings (first_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
-- Compliance: per framework requirement and status, over every row.
CREATE INDEX findings_compliance ON findings (framework, requirement_id, status);
-- Mean time to resolve: resolved rows only.
CREATE INDEX findings_resolved ON findings (severity_rank, first_seen_at, resolved_at)
	WHERE resolved_at IS NOT NULL;

-- A finding's evidence is its unit's raw artifact.
CREATE INDEX artifacts_unit ON artifacts (unit_id);

-- The trend: open findings of an LZ by severity right after each scan.
CREATE TABLE posture_points (
	scan_id         TEXT NOT NULL,
	landing_zone_id TEXT NOT NULL,
	at              TEXT NOT NULL,
	severity        TEXT NOT NULL, -- '' marks a scan with nothing open
	open            INTEGER NOT NULL,
	PRIMARY KEY (scan_id, severity)
);
CREATE INDEX posture_points_lz_at ON posture_points (landing_zone_id, at);
CREATE INDEX posture_points_at ON posture_points (at, scan_id);

-- Saved views: a name and the URL query string of the finding list.
CREATE TABLE saved_views (
	name        TEXT PRIMARY KEY,
	description TEXT NOT NULL,
	query       TEXT NOT NULL,
	created_at  TEXT NOT NULL
);
