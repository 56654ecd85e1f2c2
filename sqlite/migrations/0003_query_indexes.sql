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

-- Summary tables, kept exact by triggers on findings (inserts, updates of
-- the counted columns, deletes: Reindex deletes and re-inserts, so they
-- follow it too). The home page's per-LZ/account/severity/risk counts, the
-- compliance counts and the facets read these few thousand rows instead of
-- the open set or the whole table: counting 300,000 open rows takes about
-- 100 ms in SQLite, summing their summary a few.
CREATE TABLE open_counts (
	landing_zone_id TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	severity_rank   INTEGER NOT NULL,
	risk_band       TEXT NOT NULL,
	n               INTEGER NOT NULL,
	PRIMARY KEY (landing_zone_id, account_id, severity_rank, risk_band)
) WITHOUT ROWID;
CREATE TABLE status_counts (
	landing_zone_id TEXT NOT NULL,
	framework       TEXT NOT NULL,
	requirement_id  TEXT NOT NULL,
	status          TEXT NOT NULL,
	n               INTEGER NOT NULL,
	PRIMARY KEY (landing_zone_id, framework, requirement_id, status)
) WITHOUT ROWID;
-- facet_counts: how many rows have each value of the filterable fields;
-- unknown filter values are rejected against it.
CREATE TABLE facet_counts (
	field TEXT NOT NULL,
	value TEXT NOT NULL,
	n     INTEGER NOT NULL,
	PRIMARY KEY (field, value)
) WITHOUT ROWID;

INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
	SELECT landing_zone_id, account_id, severity_rank, CASE WHEN findings.risk_score >= 80 THEN 'critical' WHEN findings.risk_score >= 60 THEN 'high' WHEN findings.risk_score >= 40 THEN 'medium' WHEN findings.risk_score >= 20 THEN 'low' ELSE 'minimal' END, COUNT(*)
	FROM findings WHERE findings.status = 'FAIL' AND findings.resolved_at IS NULL GROUP BY 1, 2, 3, 4;
INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
	SELECT landing_zone_id, framework, requirement_id, status, COUNT(*) FROM findings GROUP BY 1, 2, 3, 4;
INSERT INTO facet_counts (field, value, n) SELECT 'landing_zone_id', landing_zone_id, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'region', region, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'service', service, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'resource_type', resource_type, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'framework', framework, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'owner_team', owner_team, COUNT(*) FROM findings GROUP BY 2;
INSERT INTO facet_counts (field, value, n) SELECT 'environment', environment, COUNT(*) FROM findings GROUP BY 2;

CREATE TRIGGER findings_counts_insert AFTER INSERT ON findings BEGIN
	INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
		VALUES (NEW.landing_zone_id, NEW.framework, NEW.requirement_id, NEW.status, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
	INSERT INTO facet_counts (field, value, n) VALUES ('landing_zone_id', NEW.landing_zone_id, 1), ('region', NEW.region, 1), ('service', NEW.service, 1), ('resource_type', NEW.resource_type, 1), ('framework', NEW.framework, 1), ('owner_team', NEW.owner_team, 1), ('environment', NEW.environment, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_open_insert AFTER INSERT ON findings WHEN NEW.status = 'FAIL' AND NEW.resolved_at IS NULL BEGIN
	INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
		VALUES (NEW.landing_zone_id, NEW.account_id, NEW.severity_rank, CASE WHEN NEW.risk_score >= 80 THEN 'critical' WHEN NEW.risk_score >= 60 THEN 'high' WHEN NEW.risk_score >= 40 THEN 'medium' WHEN NEW.risk_score >= 20 THEN 'low' ELSE 'minimal' END, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_counts_delete AFTER DELETE ON findings BEGIN
	INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
		VALUES (OLD.landing_zone_id, OLD.framework, OLD.requirement_id, OLD.status, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
	INSERT INTO facet_counts (field, value, n) VALUES ('landing_zone_id', OLD.landing_zone_id, -1), ('region', OLD.region, -1), ('service', OLD.service, -1), ('resource_type', OLD.resource_type, -1), ('framework', OLD.framework, -1), ('owner_team', OLD.owner_team, -1), ('environment', OLD.environment, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_open_delete AFTER DELETE ON findings WHEN OLD.status = 'FAIL' AND OLD.resolved_at IS NULL BEGIN
	INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
		VALUES (OLD.landing_zone_id, OLD.account_id, OLD.severity_rank, CASE WHEN OLD.risk_score >= 80 THEN 'critical' WHEN OLD.risk_score >= 60 THEN 'high' WHEN OLD.risk_score >= 40 THEN 'medium' WHEN OLD.risk_score >= 20 THEN 'low' ELSE 'minimal' END, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_counts_update AFTER UPDATE ON findings WHEN OLD.landing_zone_id IS NOT NEW.landing_zone_id OR OLD.account_id IS NOT NEW.account_id OR OLD.severity_rank IS NOT NEW.severity_rank OR OLD.risk_score IS NOT NEW.risk_score OR OLD.status IS NOT NEW.status OR OLD.resolved_at IS NOT NEW.resolved_at OR OLD.framework IS NOT NEW.framework OR OLD.requirement_id IS NOT NEW.requirement_id OR OLD.region IS NOT NEW.region OR OLD.service IS NOT NEW.service OR OLD.resource_type IS NOT NEW.resource_type OR OLD.owner_team IS NOT NEW.owner_team OR OLD.environment IS NOT NEW.environment BEGIN
	INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
		VALUES (OLD.landing_zone_id, OLD.framework, OLD.requirement_id, OLD.status, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
	INSERT INTO facet_counts (field, value, n) VALUES ('landing_zone_id', OLD.landing_zone_id, -1), ('region', OLD.region, -1), ('service', OLD.service, -1), ('resource_type', OLD.resource_type, -1), ('framework', OLD.framework, -1), ('owner_team', OLD.owner_team, -1), ('environment', OLD.environment, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
	INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
		VALUES (NEW.landing_zone_id, NEW.framework, NEW.requirement_id, NEW.status, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
	INSERT INTO facet_counts (field, value, n) VALUES ('landing_zone_id', NEW.landing_zone_id, 1), ('region', NEW.region, 1), ('service', NEW.service, 1), ('resource_type', NEW.resource_type, 1), ('framework', NEW.framework, 1), ('owner_team', NEW.owner_team, 1), ('environment', NEW.environment, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_open_update_old AFTER UPDATE ON findings WHEN (OLD.landing_zone_id IS NOT NEW.landing_zone_id OR OLD.account_id IS NOT NEW.account_id OR OLD.severity_rank IS NOT NEW.severity_rank OR OLD.risk_score IS NOT NEW.risk_score OR OLD.status IS NOT NEW.status OR OLD.resolved_at IS NOT NEW.resolved_at OR OLD.framework IS NOT NEW.framework OR OLD.requirement_id IS NOT NEW.requirement_id OR OLD.region IS NOT NEW.region OR OLD.service IS NOT NEW.service OR OLD.resource_type IS NOT NEW.resource_type OR OLD.owner_team IS NOT NEW.owner_team OR OLD.environment IS NOT NEW.environment) AND OLD.status = 'FAIL' AND OLD.resolved_at IS NULL BEGIN
	INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
		VALUES (OLD.landing_zone_id, OLD.account_id, OLD.severity_rank, CASE WHEN OLD.risk_score >= 80 THEN 'critical' WHEN OLD.risk_score >= 60 THEN 'high' WHEN OLD.risk_score >= 40 THEN 'medium' WHEN OLD.risk_score >= 20 THEN 'low' ELSE 'minimal' END, -1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER findings_open_update_new AFTER UPDATE ON findings WHEN (OLD.landing_zone_id IS NOT NEW.landing_zone_id OR OLD.account_id IS NOT NEW.account_id OR OLD.severity_rank IS NOT NEW.severity_rank OR OLD.risk_score IS NOT NEW.risk_score OR OLD.status IS NOT NEW.status OR OLD.resolved_at IS NOT NEW.resolved_at OR OLD.framework IS NOT NEW.framework OR OLD.requirement_id IS NOT NEW.requirement_id OR OLD.region IS NOT NEW.region OR OLD.service IS NOT NEW.service OR OLD.resource_type IS NOT NEW.resource_type OR OLD.owner_team IS NOT NEW.owner_team OR OLD.environment IS NOT NEW.environment) AND NEW.status = 'FAIL' AND NEW.resolved_at IS NULL BEGIN
	INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
		VALUES (NEW.landing_zone_id, NEW.account_id, NEW.severity_rank, CASE WHEN NEW.risk_score >= 80 THEN 'critical' WHEN NEW.risk_score >= 60 THEN 'high' WHEN NEW.risk_score >= 40 THEN 'medium' WHEN NEW.risk_score >= 20 THEN 'low' ELSE 'minimal' END, 1)
		ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;
