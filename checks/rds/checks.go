package rds

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const docs = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"

func meta(m checks.Meta) checks.Meta { return modkit.Meta(Name, m) }

// defaultAdmins are the master user names engines suggest by default.
var defaultAdmins = map[string]bool{"admin": true, "postgres": true, "root": true, "sa": true, "administrator": true}

// defaultPorts are the engines' well-known ports.
var defaultPorts = map[string]int32{"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306,
	"aurora-mysql": 3306, "oracle-ee": 1521, "oracle-se2": 1521, "sqlserver-ee": 1433, "sqlserver-se": 1433, "sqlserver-ex": 1433, "sqlserver-web": 1433}

func instResult(d *Instance) checks.Result {
	ctx := map[string]string{"public": fmt.Sprint(d.Public)}
	return checks.Result{ResourceID: d.ARN, ResourceName: d.ID, Tags: d.Tags, Context: ctx}
}

// instCheck builds a check over every DB instance; cluster members are
// skipped when the cluster owns the setting (clusterOwned).
func instCheck(m checks.Meta, clusterOwned bool, ok func(d *Instance) bool, good, bad string) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, d := range st.Instances {
			if clusterOwned && d.Cluster != "" {
				continue
			}
			out = append(out, modkit.Verdict(instResult(d), ok(d), fmt.Sprintf(good, d.ID), fmt.Sprintf(bad, d.ID)))
		}
		return out
	}}
}

func clusterCheck(m checks.Meta, ok func(c *Cluster) bool, good, bad string) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, c := range st.Clusters {
			r := checks.Result{ResourceID: c.ARN, ResourceName: c.ID, Tags: c.Tags}
			out = append(out, modkit.Verdict(r, ok(c), fmt.Sprintf(good, c.ID), fmt.Sprintf(bad, c.ID)))
		}
		return out
	}}
}

func snapshotCheck(m checks.Meta, needsAttrs bool, ok func(s *Snapshot) bool, good, bad string) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, s := range st.Snapshots {
			r := checks.Result{ResourceID: s.ARN, ResourceName: s.ID}
			if needsAttrs && s.AttrErr != nil {
				out = append(out, modkit.NotEvaluated(r, "restore attribute", s.AttrErr))
				continue
			}
			out = append(out, modkit.Verdict(r, ok(s), fmt.Sprintf(good, s.ID), fmt.Sprintf(bad, s.ID)))
		}
		return out
	}}
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	instCheck(checks.Meta{ID: "rds_instance_no_public_access",
		Title:          "RDS instances are not reachable from the internet",
		Description:    "Fails a DB instance whose PubliclyAccessible flag is set, which gives its endpoint a public DNS name and address.",
		Risk:           "A database endpoint on the internet is one weak password or unpatched engine away from a breach.",
		Remediation:    "Modify the instance with PubliclyAccessible=false and reach it through private subnets, a bastion or a VPN.",
		RemediationURL: docs + "USER_VPC.WorkingWithRDSInstanceinaVPC.html", Categories: []string{"internet-exposed"}},
		false, func(d *Instance) bool { return !d.Public }, "DB instance %s is not publicly accessible.", "DB instance %s is publicly accessible."),
	instCheck(checks.Meta{ID: "rds_instance_storage_encrypted",
		Title:          "RDS instances encrypt their storage",
		Description:    "Passes a DB instance whose storage, automated backups, replicas and snapshots are encrypted at rest with KMS.",
		Risk:           "Unencrypted volumes and snapshots expose the data to anyone who obtains a copy of them.",
		Remediation:    "Encryption cannot be enabled in place: snapshot the instance, copy the snapshot with encryption, restore it and switch over.",
		RemediationURL: docs + "Overview.Encryption.html", Categories: []string{"encryption"}},
		true, func(d *Instance) bool { return d.Encrypted }, "DB instance %s encrypts its storage.", "DB instance %s stores data unencrypted."),
	instCheck(checks.Meta{ID: "rds_instance_backup_enabled",
		Title:          "RDS instances keep automated backups",
		Description:    "Passes a DB instance whose automated backup retention period is at least one day.",
		Risk:           "Without automated backups there is no point-in-time restore after corruption, deletion or ransomware.",
		Remediation:    "Set BackupRetentionPeriod to at least 7 days (35 for production).",
		RemediationURL: docs + "USER_WorkingWithAutomatedBackups.html", Categories: []string{"resilience"}},
		true, func(d *Instance) bool { return d.BackupRetention > 0 }, "DB instance %s keeps automated backups.", "DB instance %s has automated backups turned off (retention 0)."),
	instCheck(checks.Meta{ID: "rds_instance_deletion_protection",
		Title:          "RDS instances are protected against deletion",
		Description:    "Passes a DB instance with deletion protection on.",
		Risk:           "An accidental or malicious DeleteDBInstance destroys the database in one call.",
		Remediation:    "Modify the instance with DeletionProtection=true.",
		RemediationURL: docs + "USER_DeleteInstance.html", Categories: []string{"resilience"}},
		true, func(d *Instance) bool { return d.DeletionProtection }, "DB instance %s has deletion protection.", "DB instance %s can be deleted without first turning off deletion protection."),
	instCheck(checks.Meta{ID: "rds_instance_minor_version_upgrade_enabled",
		Title:          "RDS instances take minor engine upgrades automatically",
		Description:    "Passes a DB instance with AutoMinorVersionUpgrade on, so security patches of the engine are applied in the maintenance window.",
		Risk:           "Engines left on old minor versions keep known, exploitable vulnerabilities.",
		Remediation:    "Modify the instance with AutoMinorVersionUpgrade=true and pick a maintenance window.",
		RemediationURL: docs + "USER_UpgradeDBInstance.Upgrading.html", Categories: []string{"vulnerabilities"}},
		false, func(d *Instance) bool { return d.AutoMinorUpgrade }, "DB instance %s upgrades minor versions automatically.", "DB instance %s does not take minor version upgrades automatically."),
	instCheck(checks.Meta{ID: "rds_instance_multi_az",
		Title:          "RDS instances run Multi-AZ",
		Description:    "Passes a DB instance with a synchronous standby in another Availability Zone.",
		Risk:           "A single-AZ database is down for as long as its zone or host is.",
		Remediation:    "Modify the instance with MultiAZ=true.",
		RemediationURL: docs + "Concepts.MultiAZ.html", Categories: []string{"resilience"}},
		true, func(d *Instance) bool { return d.MultiAZ }, "DB instance %s is Multi-AZ.", "DB instance %s runs in a single Availability Zone."),
	instCheck(checks.Meta{ID: "rds_instance_iam_authentication_enabled",
		Title:          "RDS instances accept IAM database authentication",
		Description:    "Passes a MySQL, MariaDB or PostgreSQL DB instance with IAM database authentication enabled.",
		Risk:           "Only long-lived database passwords protect the data; they are shared, rarely rotated and not tied to people.",
		Remediation:    "Modify the instance with EnableIAMDatabaseAuthentication=true and grant rds-db:connect to roles.",
		RemediationURL: docs + "UsingWithRDS.IAMDBAuth.html"},
		true, func(d *Instance) bool { return d.IAMAuth }, "DB instance %s accepts IAM authentication.", "DB instance %s accepts only database passwords."),
	instCheck(checks.Meta{ID: "rds_instance_enhanced_monitoring_enabled",
		Title:          "RDS instances have enhanced monitoring",
		Description:    "Passes a DB instance with an enhanced monitoring interval greater than zero.",
		Risk:           "OS-level metrics needed to investigate incidents and performance problems are missing.",
		Remediation:    "Modify the instance with a MonitoringInterval (e.g. 60) and a monitoring role.",
		RemediationURL: docs + "USER_Monitoring.OS.html", Categories: []string{"logging"}},
		false, func(d *Instance) bool { return d.MonitoringInterval > 0 }, "DB instance %s has enhanced monitoring.", "DB instance %s has no enhanced monitoring."),
	instCheck(checks.Meta{ID: "rds_instance_copy_tags_to_snapshots",
		Title:          "RDS instances copy their tags to snapshots",
		Description:    "Passes a DB instance with CopyTagsToSnapshot on.",
		Risk:           "Snapshots without owner and classification tags escape tag-based access control and cost allocation.",
		Remediation:    "Modify the instance with CopyTagsToSnapshot=true.",
		RemediationURL: docs + "USER_Tagging.html"},
		true, func(d *Instance) bool { return d.CopyTags }, "DB instance %s copies tags to snapshots.", "DB instance %s does not copy tags to snapshots."),
	instCheck(checks.Meta{ID: "rds_instance_integration_cloudwatch_logs",
		Title:          "RDS instances export their logs to CloudWatch Logs",
		Description:    "Passes a DB instance that publishes at least one log type (error, audit, general, postgresql...) to CloudWatch Logs.",
		Risk:           "Database logs stay on the instance, expire quickly and cannot feed detection or investigations.",
		Remediation:    "Modify the instance with CloudwatchLogsExportConfiguration enabling the engine's log types.",
		RemediationURL: docs + "USER_LogAccess.Procedural.UploadtoCloudWatch.html", Categories: []string{"logging"}},
		false, func(d *Instance) bool { return len(d.LogExports) > 0 }, "DB instance %s exports logs to CloudWatch Logs.", "DB instance %s exports no logs to CloudWatch Logs."),
	instCheck(checks.Meta{ID: "rds_instance_default_admin",
		Title:          "RDS instances do not use a default master user name",
		Description:    "Fails a DB instance whose master user is a well-known default (admin, postgres, root, sa, administrator).",
		Risk:           "A predictable administrator name halves the work of a password-guessing attack.",
		Remediation:    "Create a new instance from a snapshot with a non-default master user name, or rename the user where the engine allows.",
		RemediationURL: docs + "UsingWithRDS.MasterAccounts.html"},
		true, func(d *Instance) bool { return !defaultAdmins[strings.ToLower(d.MasterUsername)] },
		"DB instance %s uses a non-default master user name.", "DB instance %s uses a default master user name."),
	instCheck(checks.Meta{ID: "rds_instance_non_default_port",
		Title:          "RDS instances listen on a non-default port",
		Description:    "Fails a DB instance listening on its engine's well-known port.",
		Risk:           "Default ports are what mass scanners probe first.",
		Remediation:    "Modify the instance with a non-standard DBPortNumber and update clients.",
		RemediationURL: docs + "Overview.DBInstance.Modifying.html"},
		false, func(d *Instance) bool { p, ok := defaultPorts[d.Engine]; return !ok || p != d.Port },
		"DB instance %s listens on a non-default port.", "DB instance %s listens on its engine's default port."),
	clusterCheck(checks.Meta{ID: "rds_cluster_storage_encrypted",
		Title:          "RDS clusters encrypt their storage",
		Description:    "Passes a DB cluster whose storage is encrypted at rest.",
		Risk:           "Unencrypted cluster volumes and snapshots expose the data to anyone who obtains a copy.",
		Remediation:    "Restore an encrypted copy of the cluster from a snapshot and switch over.",
		RemediationURL: docs + "Overview.Encryption.html", Categories: []string{"encryption"}},
		func(c *Cluster) bool { return c.Encrypted }, "DB cluster %s encrypts its storage.", "DB cluster %s stores data unencrypted."),
	clusterCheck(checks.Meta{ID: "rds_cluster_deletion_protection",
		Title:          "RDS clusters are protected against deletion",
		Description:    "Passes a DB cluster with deletion protection on.",
		Risk:           "One DeleteDBCluster call destroys the cluster.",
		Remediation:    "Modify the cluster with DeletionProtection=true.",
		RemediationURL: docs + "USER_DeleteInstance.html", Categories: []string{"resilience"}},
		func(c *Cluster) bool { return c.DeletionProtection }, "DB cluster %s has deletion protection.", "DB cluster %s has no deletion protection."),
	clusterCheck(checks.Meta{ID: "rds_cluster_multi_az",
		Title:          "RDS clusters span several Availability Zones",
		Description:    "Passes a DB cluster whose instances are spread over more than one Availability Zone.",
		Risk:           "A cluster in one zone is down for as long as that zone is.",
		Remediation:    "Add a reader instance in another Availability Zone.",
		RemediationURL: docs + "Concepts.MultiAZ.html", Categories: []string{"resilience"}},
		func(c *Cluster) bool { return c.MultiAZ }, "DB cluster %s is Multi-AZ.", "DB cluster %s runs in a single Availability Zone."),
	clusterCheck(checks.Meta{ID: "rds_cluster_iam_authentication_enabled",
		Title:          "RDS clusters accept IAM database authentication",
		Description:    "Passes a DB cluster with IAM database authentication enabled.",
		Risk:           "Only shared, long-lived database passwords protect the data.",
		Remediation:    "Modify the cluster with EnableIAMDatabaseAuthentication=true.",
		RemediationURL: docs + "UsingWithRDS.IAMDBAuth.html"},
		func(c *Cluster) bool { return c.IAMAuth }, "DB cluster %s accepts IAM authentication.", "DB cluster %s accepts only database passwords."),
	clusterCheck(checks.Meta{ID: "rds_cluster_copy_tags_to_snapshots",
		Title:          "RDS clusters copy their tags to snapshots",
		Description:    "Passes a DB cluster with CopyTagsToSnapshot on.",
		Risk:           "Untagged snapshots escape tag-based access control and ownership tracking.",
		Remediation:    "Modify the cluster with CopyTagsToSnapshot=true.",
		RemediationURL: docs + "USER_Tagging.html"},
		func(c *Cluster) bool { return c.CopyTags }, "DB cluster %s copies tags to snapshots.", "DB cluster %s does not copy tags to snapshots."),
	clusterCheck(checks.Meta{ID: "rds_cluster_default_admin",
		Title:          "RDS clusters do not use a default master user name",
		Description:    "Fails a DB cluster whose master user is a well-known default (admin, postgres, root...).",
		Risk:           "A predictable administrator name makes password guessing easier.",
		Remediation:    "Restore the cluster with a non-default master user name.",
		RemediationURL: docs + "UsingWithRDS.MasterAccounts.html"},
		func(c *Cluster) bool { return !defaultAdmins[strings.ToLower(c.MasterUsername)] },
		"DB cluster %s uses a non-default master user name.", "DB cluster %s uses a default master user name."),
	snapshotCheck(checks.Meta{ID: "rds_snapshots_public_access",
		Title:          "RDS snapshots are not shared publicly",
		Description:    "Fails a manual DB snapshot whose restore attribute includes \"all\": any AWS account can restore it.",
		Risk:           "Anyone can restore the snapshot into their own account and read the whole database.",
		Remediation:    "Remove \"all\" from the snapshot's restore attribute; share with named accounts only.",
		RemediationURL: docs + "USER_ShareSnapshot.html", Categories: []string{"internet-exposed"}},
		true, func(s *Snapshot) bool { return s.Public != nil && !*s.Public }, "DB snapshot %s is not public.", "DB snapshot %s can be restored by any AWS account."),
	snapshotCheck(checks.Meta{ID: "rds_snapshots_encrypted",
		Title:          "RDS snapshots are encrypted",
		Description:    "Passes a manual DB snapshot that is encrypted.",
		Risk:           "A copied or shared unencrypted snapshot exposes all its data.",
		Remediation:    "Copy the snapshot with encryption and delete the unencrypted one.",
		RemediationURL: docs + "USER_CopySnapshot.html", Categories: []string{"encryption"}},
		false, func(s *Snapshot) bool { return s.Encrypted }, "DB snapshot %s is encrypted.", "DB snapshot %s is not encrypted."),
}
