-- 0007 (mirrors sqlite 0008): the severity order (the default of every
-- list) breaks ties on first_seen_at, oldest first, instead of last_seen_at,
-- newest first, and last_seen_at leaves every index. A seen event moves only
-- scan_id and last_seen_at, so its update changes no indexed column: it
-- no longer adds an entry to these four indexes, and Postgres can make it a
-- heap-only (HOT) update when the row's page has room.
DROP INDEX IF EXISTS findings_order;
DROP INDEX IF EXISTS findings_open_order;
DROP INDEX IF EXISTS findings_open_lz;
DROP INDEX IF EXISTS findings_open_account;
CREATE INDEX findings_order ON findings (severity_rank DESC, risk_score DESC, first_seen_at, finding_id);
CREATE INDEX findings_open_order ON findings (severity_rank DESC, risk_score DESC, first_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_lz ON findings (landing_zone_id, severity_rank DESC, risk_score DESC, first_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
CREATE INDEX findings_open_account ON findings (account_id, severity_rank DESC, risk_score DESC, first_seen_at, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
