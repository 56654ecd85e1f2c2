-- 0007: indexes that no query needs any more. Every write of a finding row
-- pays for each index of the table, and bulk ingest is bound by exactly
-- that (rampart bench ingest). The four single-purpose indexes of 0001 were
-- superseded by the partial indexes of 0003 (the open set, where the
-- dashboard's filters and aggregates run), findings_scope (landing zone,
-- account: the lifecycle's scope) and the summary tables of 0003. Checked
-- with rampart bench query (1,000,000 findings, the same dataset before and
-- after dropping these four and findings_order): only the two lists of
-- findings in every state got slower (1.8 -> 285 ms, 17 -> 371 ms), both
-- ordered by findings_order, so findings_order stays.
DROP INDEX IF EXISTS findings_lz_status_severity;
DROP INDEX IF EXISTS findings_account;
DROP INDEX IF EXISTS findings_region;
DROP INDEX IF EXISTS findings_service;
