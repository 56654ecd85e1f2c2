package kms

import (
	"encoding/json"
	"fmt"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const docs = "https://docs.aws.amazon.com/kms/latest/developerguide/"

// keyCheck evaluates eval on every customer managed key that applies.
func keyCheck(m checks.Meta, applies func(k *Key) bool, attr string, eval func(k *Key) (bool, string)) checks.Check[*State] {
	return checks.Check[*State]{Meta: modkit.Meta(Name, m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, k := range st.Keys {
			r := checks.Result{ResourceID: k.ARN, ResourceName: k.ID}
			if e := k.Errors["metadata"]; e != nil {
				out = append(out, modkit.NotEvaluated(r, "metadata", e))
				continue
			}
			if k.Manager != "CUSTOMER" || !applies(k) {
				continue
			}
			if e := k.Errors[attr]; attr != "" && e != nil {
				out = append(out, modkit.NotEvaluated(r, attr, e))
				continue
			}
			ok, msg := eval(k)
			out = append(out, modkit.Verdict(r, ok, msg, msg))
		}
		return out
	}}
}

func always(*Key) bool { return true }

// PublicPolicy reports whether a key policy allows any principal ("*")
// without a condition.
func PublicPolicy(doc string) bool {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	var stmts []map[string]any
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]any{one}
	}
	for _, s := range stmts {
		if s["Effect"] != "Allow" || s["Condition"] != nil {
			continue
		}
		if anyone(s["Principal"]) {
			return true
		}
	}
	return false
}

func anyone(p any) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		for _, x := range v {
			if anyone(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if anyone(x) {
				return true
			}
		}
	}
	return false
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	keyCheck(checks.Meta{ID: "kms_cmk_rotation_enabled",
		Title:          "Customer managed KMS keys rotate their key material",
		Description:    "Passes an enabled symmetric customer managed key with automatic key rotation on.",
		Risk:           "Key material used for years widens the impact of a compromised key and breaks cryptoperiod requirements.",
		Remediation:    "Enable automatic rotation on the key (EnableKeyRotation).",
		RemediationURL: docs + "rotate-keys.html", Categories: []string{"encryption"}},
		func(k *Key) bool { return k.Spec == "SYMMETRIC_DEFAULT" && k.State == "Enabled" }, "rotation status",
		func(k *Key) (bool, string) {
			if k.Rotation != nil && *k.Rotation {
				return true, fmt.Sprintf("Key %s rotates automatically.", k.ID)
			}
			return false, fmt.Sprintf("Key %s does not rotate its key material.", k.ID)
		}),
	keyCheck(checks.Meta{ID: "kms_key_not_publicly_accessible",
		Title:          "KMS key policies do not grant access to everyone",
		Description:    "Fails a customer managed key whose policy allows the principal \"*\" without a condition.",
		Risk:           "Any AWS principal can use or manage the key, and so decrypt whatever it protects.",
		Remediation:    "Replace the \"*\" principal with named accounts or roles, or add conditions such as aws:PrincipalOrgID.",
		RemediationURL: docs + "key-policies.html", Categories: []string{"internet-exposed", "encryption"}},
		always, "key policy",
		func(k *Key) (bool, string) {
			if PublicPolicy(k.Policy) {
				return false, fmt.Sprintf("Key %s has a policy allowing any principal.", k.ID)
			}
			return true, fmt.Sprintf("Key %s is not exposed to everyone by its policy.", k.ID)
		}),
	keyCheck(checks.Meta{ID: "kms_cmk_not_deleted_unintentionally",
		Title:          "Customer managed KMS keys are not scheduled for deletion",
		Description:    "Fails a customer managed key in the PendingDeletion state.",
		Risk:           "Once the waiting period ends, every piece of data encrypted under the key is unrecoverable.",
		Remediation:    "If the deletion is not intended, cancel it (CancelKeyDeletion) and re-enable the key.",
		RemediationURL: docs + "deleting-keys.html", Categories: []string{"resilience"}},
		always, "",
		func(k *Key) (bool, string) {
			if k.State == "PendingDeletion" {
				return false, fmt.Sprintf("Key %s is scheduled for deletion.", k.ID)
			}
			return true, fmt.Sprintf("Key %s is not scheduled for deletion (%s).", k.ID, k.State)
		}),
	keyCheck(checks.Meta{ID: "kms_cmk_are_used",
		Title:          "Customer managed KMS keys are enabled",
		Description:    "Fails a customer managed key that is disabled: it costs money and blocks every decryption of data it protects.",
		Risk:           "A disabled key either is unused clutter or silently breaks access to data encrypted under it.",
		Remediation:    "Re-enable the key if data depends on it, or schedule its deletion after checking nothing does.",
		RemediationURL: docs + "enabling-keys.html"},
		func(k *Key) bool { return k.State != "PendingDeletion" }, "",
		func(k *Key) (bool, string) {
			if k.State == "Disabled" {
				return false, fmt.Sprintf("Key %s is disabled.", k.ID)
			}
			return true, fmt.Sprintf("Key %s is enabled.", k.ID)
		}),
	keyCheck(checks.Meta{ID: "kms_cmk_not_multi_region",
		Title:          "Customer managed KMS keys are single-Region",
		Description:    "Fails a multi-Region customer managed key; its replicas share key material across Regions.",
		Risk:           "Key material replicated to other Regions widens where data can be decrypted and where the key must be protected.",
		Remediation:    "Use single-Region keys unless a documented cross-Region need exists.",
		RemediationURL: docs + "multi-region-keys-overview.html", Categories: []string{"encryption"}},
		always, "",
		func(k *Key) (bool, string) {
			if k.MultiRegion {
				return false, fmt.Sprintf("Key %s is a multi-Region key.", k.ID)
			}
			return true, fmt.Sprintf("Key %s is a single-Region key.", k.ID)
		}),
}
