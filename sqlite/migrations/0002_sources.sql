-- 0002: a finding can be reported by several scanners (native, prowler).
-- sources holds their names, sorted, comma-separated ('' for none: rows
-- written before this migration). The event snapshots carry the same list
-- as the JSON key "sources", so Reindex rebuilds the column.
ALTER TABLE findings ADD COLUMN sources TEXT NOT NULL DEFAULT '';
