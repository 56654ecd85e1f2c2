-- 0004 (mirrors sqlite 0004): business context of findings (package risk).
-- Event snapshots carry the same fields, so Reindex rebuilds the columns.
ALTER TABLE findings ADD COLUMN risk_level TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN public BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE findings ADD COLUMN data_sensitivity TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN privileged BOOLEAN NOT NULL DEFAULT false;
-- sorted, comma-separated: private-subnet, no-public-ip, ztna, vpn
ALTER TABLE findings ADD COLUMN compensating_controls TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN owner_source TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN due_at TIMESTAMPTZ;
-- JSON object of the check's facts and the resource's tags ('' for none)
ALTER TABLE findings ADD COLUMN context TEXT NOT NULL DEFAULT '';
CREATE INDEX findings_risk ON findings (risk_score DESC, first_seen_at, finding_id);
CREATE INDEX findings_due ON findings (due_at) WHERE status = 'FAIL' AND resolved_at IS NULL;
