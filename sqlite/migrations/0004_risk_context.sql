-- 0004: business context of findings (package risk). The event snapshots
-- carry the same fields as JSON keys (risk_level, public, data_sensitivity,
-- privileged, compensating_controls, owner_source, due_at, context), so
-- Reindex rebuilds these columns; rows written before this migration keep
-- the defaults until "rampart rescore" or the next scan.
ALTER TABLE findings ADD COLUMN risk_level TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN data_sensitivity TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN privileged INTEGER NOT NULL DEFAULT 0;
-- sorted, comma-separated: private-subnet, no-public-ip, ztna, vpn
ALTER TABLE findings ADD COLUMN compensating_controls TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN owner_source TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN due_at TEXT;
-- JSON object of the check's facts and the resource's tags ('' for none)
ALTER TABLE findings ADD COLUMN context TEXT NOT NULL DEFAULT '';
CREATE INDEX findings_risk ON findings (risk_score DESC, first_seen_at, finding_id);
CREATE INDEX findings_due ON findings (due_at) WHERE status = 'FAIL' AND resolved_at IS NULL;
