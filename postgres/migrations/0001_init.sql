-- 0001: the initial schema, the Postgres twin of sqlite/migrations/0001.
-- Times are timestamptz (microsecond precision); JSON documents are jsonb.

CREATE TABLE landing_zones (
	id                 TEXT PRIMARY KEY,
	name               TEXT NOT NULL,
	cloud              TEXT NOT NULL,
	profile            TEXT NOT NULL,
	sso_start_url      TEXT NOT NULL,
	audit_role_name    TEXT NOT NULL,
	external_id        TEXT NOT NULL,
	regions            JSONB NOT NULL, -- array
	owner_team         TEXT NOT NULL,
	business_unit      TEXT NOT NULL,
	environment        TEXT NOT NULL,
	scan_enabled       BOOLEAN NOT NULL,
	schedule           TEXT NOT NULL,
	max_concurrent_accounts          INTEGER NOT NULL,
	max_concurrent_units_per_account INTEGER NOT NULL,
	sla_days           JSONB NOT NULL, -- object severity -> days
	account_source     JSONB NOT NULL, -- rampart.AccountSource
	created_at         TIMESTAMPTZ NOT NULL,
	updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE cloud_accounts (
	landing_zone_id TEXT NOT NULL REFERENCES landing_zones (id) ON DELETE CASCADE,
	account_id      TEXT NOT NULL,
	name            TEXT NOT NULL,
	email           TEXT NOT NULL,
	status          TEXT NOT NULL,
	ou              TEXT NOT NULL,
	environment     TEXT NOT NULL,
	owner_team      TEXT NOT NULL,
	business_unit   TEXT NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (landing_zone_id, account_id)
);

CREATE TABLE scans (
	id              TEXT PRIMARY KEY,
	landing_zone_id TEXT NOT NULL REFERENCES landing_zones (id),
	scanner         TEXT NOT NULL,
	status          TEXT NOT NULL,
	started_at      TIMESTAMPTZ NOT NULL,
	finished_at     TIMESTAMPTZ,
	error           TEXT NOT NULL
);
CREATE INDEX scans_lz_started ON scans (landing_zone_id, started_at);

CREATE TABLE scan_units (
	id              TEXT PRIMARY KEY,
	scan_id         TEXT NOT NULL REFERENCES scans (id),
	landing_zone_id TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	region          TEXT NOT NULL,
	state           TEXT NOT NULL,
	error_class     TEXT NOT NULL,
	error           TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	started_at      TIMESTAMPTZ,
	finished_at     TIMESTAMPTZ,
	services        JSONB NOT NULL, -- array of rampart.ServiceResult
	findings        INTEGER NOT NULL,
	seq             INTEGER NOT NULL -- position in the scan's unit list
);
CREATE INDEX scan_units_scan ON scan_units (scan_id, seq);

-- findings is a read model: Reindex rebuilds it from finding_events.
CREATE TABLE findings (
	finding_id      TEXT PRIMARY KEY,
	scan_id         TEXT NOT NULL,
	landing_zone_id TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	account_name    TEXT NOT NULL,
	region          TEXT NOT NULL,
	scope           TEXT NOT NULL,
	cloud_provider  TEXT NOT NULL,
	resource_id     TEXT NOT NULL,
	resource_type   TEXT NOT NULL,
	resource_name   TEXT NOT NULL,
	service         TEXT NOT NULL,
	control_id      TEXT NOT NULL,
	title           TEXT NOT NULL,
	severity        TEXT NOT NULL,
	severity_rank   INTEGER NOT NULL,
	status          TEXT NOT NULL,
	risk_score      INTEGER NOT NULL,
	risk_reason     TEXT NOT NULL,
	remediation     TEXT NOT NULL,
	framework       TEXT NOT NULL,
	requirement_id  TEXT NOT NULL,
	owner_team      TEXT NOT NULL,
	business_unit   TEXT NOT NULL,
	environment     TEXT NOT NULL,
	first_seen_at   TIMESTAMPTZ NOT NULL,
	last_seen_at    TIMESTAMPTZ NOT NULL,
	resolved_at     TIMESTAMPTZ,
	status_extended TEXT NOT NULL,
	error_class     TEXT NOT NULL
);
CREATE INDEX findings_lz_status_severity ON findings (landing_zone_id, status, severity_rank);
CREATE INDEX findings_scope ON findings (landing_zone_id, account_id, scope);
CREATE INDEX findings_account ON findings (account_id);
CREATE INDEX findings_region ON findings (region);
CREATE INDEX findings_service ON findings (service);
CREATE INDEX findings_control ON findings (control_id);
CREATE INDEX findings_order ON findings (severity_rank DESC, risk_score DESC, last_seen_at DESC, finding_id);

-- finding_events is append-only; id is the replay order. No foreign key to
-- findings: that table is emptied and rebuilt by Reindex.
CREATE TABLE finding_events (
	id         BIGSERIAL PRIMARY KEY,
	finding_id TEXT NOT NULL,
	type       TEXT NOT NULL,
	at         TIMESTAMPTZ NOT NULL,
	scan_id    TEXT NOT NULL,
	unit_id    TEXT NOT NULL,
	snapshot   JSONB -- the row after the event; NULL for seen and absence resolutions
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);

-- artifacts holds pointers only; the bytes live in an ArtifactStore.
CREATE TABLE artifacts (
	id           TEXT PRIMARY KEY,
	scan_id      TEXT NOT NULL REFERENCES scans (id),
	unit_id      TEXT NOT NULL,
	kind         TEXT NOT NULL,
	uri          TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	size         BIGINT NOT NULL,
	content_type TEXT NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX artifacts_scan ON artifacts (scan_id, created_at);
