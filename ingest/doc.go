// Package ingest reads Prowler's output into Rampart's shared finding
// schema: json-ocsf (Prowler v4 and v5: one JSON array of OCSF 1.x
// Detection Finding records), the ';'-delimited CSV (columns found by
// header name, so older and newer column sets both read) and json-asff (one
// JSON array of AWS Security Finding Format records).
//
// Readers stream: they hold one record at a time, whatever the file's size.
// Every record becomes a rampart.Finding with its dedup key computed for
// the landing zone it is ingested into; a record that cannot be mapped is a
// *RecordError naming the file, the record number and its byte offset.
//
// Mapping (OCSF; CSV and ASFF carry the same facts under other names):
//
//	cloud.provider (aws, azure, gcp; no cloud object = kubernetes) → cloud_provider
//	cloud.account.uid (AWS account, Azure subscription, GCP project);
//	  Kubernetes: unmapped.provider_uid or Options.DefaultAccount (the cluster) → account_id
//	cloud.account.name                      → account_name
//	resources[0].region, else cloud.region; Kubernetes: resources[0].namespace,
//	  else "global"; AWS global services (iam, organizations, account,
//	  cloudfront, route53) use "global", as native findings do → region
//	resources[0].uid / .name / .type        → resource_id / resource_name / resource_type
//	resources[0].group.name                 → service
//	metadata.event_code                     → control_id
//	finding_info.title                      → title
//	severity (or severity_id 1-6)           → severity
//	status_code PASS / FAIL / MANUAL        → status
//	status_detail (or message)              → status_extended
//	status_id 3 ("Suppressed")              → muted: kept, status_extended says so
//	remediation.desc + first reference URL  → remediation
//	unmapped.compliance {"CIS-5.0": ["2.1.4"], ...}: the primary mapping,
//	  CIS first (newest version), then PCI, SOC2, NIST 800-53, ISO 27001,
//	  then the first framework by name → framework / requirement_id
//	time (the scan time)                    → the observation time; the store
//	  keeps first_seen_at across ingests
//
// finding_info.uid is not used as a key: Prowler does not keep it unique
// across regions and resources.
package ingest
