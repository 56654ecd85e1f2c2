-- 0005 (mirrors sqlite 0005): mutelist. Muted findings are kept with
-- muted = true and the entry's reason; event snapshots carry the same
-- fields, so Reindex rebuilds the columns.
ALTER TABLE findings ADD COLUMN muted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE findings ADD COLUMN mute_reason TEXT NOT NULL DEFAULT '';
