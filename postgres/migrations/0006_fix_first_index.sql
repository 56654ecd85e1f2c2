-- 0006 (mirrors sqlite 0006): the partial index over the open set that the
-- fix-first view's required terms and ranking clauses read.
CREATE INDEX findings_open_context ON findings (environment, risk_level, muted, public, data_sensitivity,
	owner_source, first_seen_at, risk_score, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;

-- Overdue findings with no assigned owner (owner_source '' or landing_zone)
-- is the SLA question a team asks first: counting it through findings_due
-- looked up every overdue row (about 600 ms at 1,000,000 findings); this
-- index answers it alone.
CREATE INDEX findings_open_owner_due ON findings (owner_source, due_at)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
