-- 0006 (mirrors sqlite 0006): the partial index over the open set that the
-- fix-first view's required terms and ranking clauses read.
CREATE INDEX findings_open_context ON findings (environment, risk_level, muted, public, data_sensitivity,
	owner_source, first_seen_at, risk_score, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
