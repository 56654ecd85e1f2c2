package dynamodb

import (
	"fmt"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const docs = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"

func tableCheck(m checks.Meta, attrs []string, eval func(t *Table) (bool, string)) checks.Check[*State] {
	return checks.Check[*State]{Meta: modkit.Meta(Name, m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, t := range st.Tables {
			r := checks.Result{ResourceID: t.ARN, ResourceName: t.Name}
			if a, e := firstErr(t, attrs); e != nil {
				out = append(out, modkit.NotEvaluated(r, a, e))
				continue
			}
			ok, msg := eval(t)
			out = append(out, modkit.Verdict(r, ok, msg, msg))
		}
		return out
	}}
}

func firstErr(t *Table, attrs []string) (string, *modkit.AttrError) {
	for _, a := range attrs {
		if e := t.Errors[a]; e != nil {
			return a, e
		}
	}
	return "", nil
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	tableCheck(checks.Meta{ID: "dynamodb_tables_pitr_enabled",
		Title:          "DynamoDB tables have point-in-time recovery",
		Description:    "Passes a table with point-in-time recovery (continuous backups) enabled.",
		Risk:           "A bad write, a buggy deployment or a malicious delete of items cannot be rolled back.",
		Remediation:    "Enable point-in-time recovery on the table (UpdateContinuousBackups).",
		RemediationURL: docs + "PointInTimeRecovery.html", Categories: []string{"resilience"}},
		[]string{"continuous backups"}, func(t *Table) (bool, string) {
			if t.PITR {
				return true, fmt.Sprintf("Table %s has point-in-time recovery.", t.Name)
			}
			return false, fmt.Sprintf("Table %s has no point-in-time recovery.", t.Name)
		}),
	tableCheck(checks.Meta{ID: "dynamodb_tables_kms_cmk_encryption_enabled",
		Title:          "DynamoDB tables are encrypted with a customer managed KMS key",
		Description:    "Passes a table encrypted with a KMS key the customer manages; the AWS owned default key and the AWS managed key aws/dynamodb fail.",
		Risk:           "With an AWS-controlled key you cannot restrict who may decrypt the table through the key policy, audit key use per principal or revoke access by disabling the key.",
		Remediation:    "Update the table's SSE specification to KMS with a customer managed key.",
		RemediationURL: docs + "EncryptionAtRest.html", Categories: []string{"encryption"}},
		[]string{"description", "key"}, func(t *Table) (bool, string) {
			switch {
			case t.KMSKeyARN == "":
				return false, fmt.Sprintf("Table %s is encrypted with the AWS owned default key.", t.Name)
			case t.KeyManager == "CUSTOMER":
				return true, fmt.Sprintf("Table %s is encrypted with customer managed key %s.", t.Name, t.KMSKeyARN)
			}
			return false, fmt.Sprintf("Table %s is encrypted with the AWS managed key %s, not a customer managed key.", t.Name, t.KMSKeyARN)
		}),
	tableCheck(checks.Meta{ID: "dynamodb_table_deletion_protection_enabled",
		Title:          "DynamoDB tables are protected against deletion",
		Description:    "Passes a table with deletion protection enabled.",
		Risk:           "One DeleteTable call destroys the table and its data.",
		Remediation:    "Update the table with DeletionProtectionEnabled=true.",
		RemediationURL: docs + "WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection", Categories: []string{"resilience"}},
		[]string{"description"}, func(t *Table) (bool, string) {
			if t.DeletionProtection {
				return true, fmt.Sprintf("Table %s has deletion protection.", t.Name)
			}
			return false, fmt.Sprintf("Table %s has no deletion protection.", t.Name)
		}),
}
