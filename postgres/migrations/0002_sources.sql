-- 0002 (mirrors sqlite 0002): a finding can be reported by several
-- scanners. sources holds their names, sorted, comma-separated ('' for rows
-- written before this migration); event snapshots carry the same list.
ALTER TABLE findings ADD COLUMN sources TEXT NOT NULL DEFAULT '';
