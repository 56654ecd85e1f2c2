-- 0008: the severity order (the default of every list) breaks ties on
-- first_seen_at, oldest first, instead of last_seen_at, newest first, as
-- the risk and fix-first orders already do: among equally severe and risky
-- findings, the longest open comes first.
--
-- It also takes last_seen_at out of every index. A scan observes most
-- findings again unchanged, and a seen event moves only scan_id and
-- last_seen_at (the touch statements of commit.go and ingest.go): with
-- last_seen_at in these four indexes, every such event deleted and
-- re-inserted an entry in each, all over the index; now it rewrites the row
-- alone. Re-ingesting the next day's scan of a 256 MB Prowler file
-- (136,157 findings, all seen) took 15.2 and 17.7 s before, 9.2 and 9.5 s
-- after (docs/bench-ingest.md).
--
-- severity_rank and risk_score are declared DESC so that the mixed order
-- (descending, then ascending) reads each index forwards.
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
