-- 0003 (mirrors sqlite 0003's indexes and tables): partial indexes over the
-- open set (status FAIL, not resolved) in the list orders, compliance and
-- resolve-time indexes, the posture trend and saved views. SQLite's
-- trigger-kept summary tables are not mirrored: they serve the SQLite query
-- layer, which this store does not implement (Postgres counts the open set
-- from these partial indexes).
CREATE INDEX findings_open_order ON findings (severity_rank DESC, risk_score DESC, last_seen_at DESC, finding_id DESC)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_lz ON findings (landing_zone_id, severity_rank, risk_score, last_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_account ON findings (account_id, severity_rank, risk_score, last_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_region ON findings (region, service, severity_rank)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_service ON findings (service, severity_rank)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_owner ON findings (owner_team, environment, first_seen_at)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_first_seen ON findings (first_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_compliance ON findings (framework, requirement_id, status);
CREATE INDEX findings_resolved ON findings (severity_rank, first_seen_at, resolved_at)
	WHERE resolved_at IS NOT NULL;
CREATE INDEX artifacts_unit ON artifacts (unit_id);

CREATE TABLE posture_points (
	scan_id         TEXT NOT NULL,
	landing_zone_id TEXT NOT NULL,
	at              TIMESTAMPTZ NOT NULL,
	severity        TEXT NOT NULL, -- '' marks a scan with nothing open
	open            INTEGER NOT NULL,
	PRIMARY KEY (scan_id, severity)
);
CREATE INDEX posture_points_lz_at ON posture_points (landing_zone_id, at);
CREATE INDEX posture_points_at ON posture_points (at, scan_id);

CREATE TABLE saved_views (
	name        TEXT PRIMARY KEY,
	description TEXT NOT NULL,
	query       TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL
);
