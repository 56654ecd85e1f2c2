-- 0006: the fix-first view and the business-context filters. One partial
-- index over the open set, chosen by EXPLAIN QUERY PLAN on a generated
-- 200,000-finding dataset: the view's required terms (environment,
-- risk_level, muted) lead, then the columns of its ranking clauses (public,
-- data_sensitivity, owner_source, first_seen_at) and of its order
-- (risk_score, finding_id), so that counting the view and ranking it read
-- only this index; the page's rows are then read by primary key. Before
-- it, the view searched findings_open_owner and sorted whole rows
-- (list 65 ms, count 61 ms p50 at 200,000 findings).
CREATE INDEX findings_open_context ON findings (environment, risk_level, muted, public, data_sensitivity,
	owner_source, first_seen_at, risk_score, finding_id)
	WHERE status = 'FAIL' AND resolved_at IS NULL;

-- Overdue findings with no assigned owner (owner_source '' or landing_zone)
-- is the SLA question a team asks first: counting it through findings_due
-- looked up every overdue row (about 600 ms at 1,000,000 findings); this
-- index answers it alone.
CREATE INDEX findings_open_owner_due ON findings (owner_source, due_at)
	WHERE status = 'FAIL' AND resolved_at IS NULL;
