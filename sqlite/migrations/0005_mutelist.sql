-- 0005: mutelist. A finding matched by a mutelist entry is kept with
-- muted = 1 and the entry's reason; it is never dropped. The event
-- snapshots carry the same fields (JSON keys muted, mute_reason), so
-- Reindex rebuilds these columns.
ALTER TABLE findings ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN mute_reason TEXT NOT NULL DEFAULT '';
