package lambda

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const docs = "https://docs.aws.amazon.com/lambda/latest/dg/"

// fnCheck evaluates eval on every function, NOT_EVALUATED when an attribute
// it needs is missing. now is the evaluation clock.
func fnCheck(m checks.Meta, attr string, eval func(f *Function) (bool, string)) checks.Check[*State] {
	return checks.Check[*State]{Meta: modkit.Meta(Name, m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, f := range st.Functions {
			r := checks.Result{ResourceID: f.ARN, ResourceName: f.Name}
			if e := f.Errors[attr]; attr != "" && e != nil {
				out = append(out, modkit.NotEvaluated(r, attr, e))
				continue
			}
			ok, msg := eval(f)
			out = append(out, modkit.Verdict(r, ok, msg, msg))
		}
		return out
	}}
}

// PublicPolicy reports whether a resource policy lets any principal invoke
// the function without a condition that narrows the caller (source account,
// source ARN or organization).
func PublicPolicy(doc string) bool {
	if doc == "" {
		return false
	}
	var p struct{ Statement []map[string]any }
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	for _, s := range p.Statement {
		if s["Effect"] != "Allow" || !anyone(s["Principal"]) {
			continue
		}
		cond, _ := json.Marshal(s["Condition"])
		c := strings.ToLower(string(cond))
		if strings.Contains(c, "aws:sourceaccount") || strings.Contains(c, "aws:sourcearn") || strings.Contains(c, "aws:principalorgid") ||
			strings.Contains(c, "aws:sourceowner") {
			continue
		}
		return true
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

// Now is the clock runtime end-of-life is judged against; tests replace it.
var Now = time.Now

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	fnCheck(checks.Meta{ID: "awslambda_function_not_publicly_accessible",
		Title:          "Lambda functions cannot be invoked by anyone",
		Description:    "Fails a function whose resource-based policy allows the principal \"*\" without a source account, source ARN or organization condition.",
		Risk:           "Anyone with an AWS account can invoke the function, run its code with its role's permissions and run up its cost.",
		Remediation:    "Remove the public statement (RemovePermission) or add aws:SourceAccount / aws:SourceArn / aws:PrincipalOrgID conditions.",
		RemediationURL: docs + "access-control-resource-based.html", Categories: []string{"internet-exposed"}},
		"resource policy", func(f *Function) (bool, string) {
			if PublicPolicy(f.Policy) {
				return false, fmt.Sprintf("Function %s has a resource policy allowing any principal to invoke it.", f.Name)
			}
			return true, fmt.Sprintf("Function %s is not publicly invocable through its resource policy.", f.Name)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_url_public",
		Title:          "Lambda function URLs require authentication",
		Description:    "Fails a function whose function URL has AuthType NONE; functions without a URL, or with AWS_IAM auth, pass.",
		Risk:           "An unauthenticated HTTPS endpoint runs the function for anyone on the internet.",
		Remediation:    "Set the function URL's AuthType to AWS_IAM, or delete the URL and front the function with an authenticated API.",
		RemediationURL: docs + "urls-auth.html", Categories: []string{"internet-exposed"}},
		"function URL", func(f *Function) (bool, string) {
			switch f.URLAuth {
			case "NONE":
				return false, fmt.Sprintf("Function %s has a function URL without authentication.", f.Name)
			case "":
				return true, fmt.Sprintf("Function %s has no function URL.", f.Name)
			}
			return true, fmt.Sprintf("Function %s's URL requires %s authentication.", f.Name, f.URLAuth)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_url_cors_policy",
		Title:          "Lambda function URLs do not allow every origin",
		Description:    "Fails a function URL whose CORS configuration allows the origin \"*\".",
		Risk:           "Any website can call the function from its visitors' browsers.",
		Remediation:    "List the exact origins allowed in the URL's CORS configuration.",
		RemediationURL: docs + "urls-configuration.html#urls-cors"},
		"function URL", func(f *Function) (bool, string) {
			for _, o := range f.URLCorsOrigins {
				if o == "*" {
					return false, fmt.Sprintf("Function %s's URL allows every origin.", f.Name)
				}
			}
			return true, fmt.Sprintf("Function %s's URL does not allow every origin.", f.Name)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_using_supported_runtimes",
		Title:          "Lambda functions run on a supported runtime",
		Description:    "Fails a function whose runtime has reached AWS's deprecation date (no more security patches). Container-image functions have no managed runtime and pass.",
		Risk:           "Deprecated runtimes get no security fixes and soon cannot be updated.",
		Remediation:    "Upgrade the function to a supported runtime version and redeploy.",
		RemediationURL: docs + "lambda-runtimes.html", Categories: []string{"vulnerabilities"}},
		"", func(f *Function) (bool, string) {
			if d, ok := DeprecatedRuntimes[f.Runtime]; ok && !Now().Before(d) {
				return false, fmt.Sprintf("Function %s runs %s, deprecated since %s.", f.Name, f.Runtime, d.Format("2006-01-02"))
			}
			if f.Runtime == "" {
				return true, fmt.Sprintf("Function %s is a container image without a managed runtime.", f.Name)
			}
			return true, fmt.Sprintf("Function %s runs supported runtime %s.", f.Name, f.Runtime)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_no_secrets_in_variables",
		Title:          "Lambda environment variables hold no secrets",
		Description:    "Fails a function with an environment variable that looks like a secret: a credential-shaped value (AWS key, token, private key, password in a URL) or a secret-sounding name with a literal value. Only variable names are reported; values are never stored.",
		Risk:           "Anyone allowed to read the function configuration (lambda:GetFunction) reads the secret in clear.",
		Remediation:    "Move the secret to Secrets Manager or SSM Parameter Store (SecureString), read it at runtime, and rotate the exposed value.",
		RemediationURL: docs + "configuration-envvars.html#configuration-envvars-encryption", Categories: []string{"secrets"}},
		"", func(f *Function) (bool, string) {
			if len(f.SecretVars) > 0 {
				return false, fmt.Sprintf("Function %s has environment variables that look like secrets: %s.", f.Name, strings.Join(f.SecretVars, ", "))
			}
			return true, fmt.Sprintf("No secret-like environment variables in function %s.", f.Name)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_inside_vpc",
		Title:          "Lambda functions run inside a VPC",
		Description:    "Passes a function attached to VPC subnets.",
		Risk:           "Functions outside a VPC cannot be reached by VPC controls (security groups, flow logs, endpoints) and reach the internet directly.",
		Remediation:    "Attach the function to private subnets with security groups and VPC endpoints for the AWS services it calls.",
		RemediationURL: docs + "configuration-vpc.html"},
		"", func(f *Function) (bool, string) {
			if len(f.VPCSubnets) > 0 {
				return true, fmt.Sprintf("Function %s runs in a VPC.", f.Name)
			}
			return false, fmt.Sprintf("Function %s does not run in a VPC.", f.Name)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_no_dead_letter_queue",
		Title:          "Lambda functions have a dead-letter queue",
		Description:    "Passes a function with a dead-letter target (SQS queue or SNS topic) for failed asynchronous invocations.",
		Risk:           "Failed asynchronous events are dropped silently after retries.",
		Remediation:    "Configure a dead-letter queue or an on-failure destination.",
		RemediationURL: docs + "invocation-async-retain-records.html"},
		"", func(f *Function) (bool, string) {
			if f.DeadLetter != "" {
				return true, fmt.Sprintf("Function %s sends failed events to %s.", f.Name, f.DeadLetter)
			}
			return false, fmt.Sprintf("Function %s has no dead-letter queue.", f.Name)
		}),
	fnCheck(checks.Meta{ID: "awslambda_function_env_vars_not_encrypted_with_cmk",
		Title:          "Lambda environment variables are encrypted with a customer managed key",
		Description:    "Fails a function with environment variables that are encrypted only with the AWS managed key.",
		Risk:           "Anyone who can read the function configuration can read the variables; a customer managed key lets the key policy restrict decryption.",
		Remediation:    "Set the function's KMSKeyArn to a customer managed key.",
		RemediationURL: docs + "configuration-envvars.html#configuration-envvars-encryption", Categories: []string{"encryption"}},
		"", func(f *Function) (bool, string) {
			switch {
			case len(f.EnvVarNames) == 0:
				return true, fmt.Sprintf("Function %s has no environment variables.", f.Name)
			case f.EnvKMSKey != "":
				return true, fmt.Sprintf("Function %s encrypts its environment with %s.", f.Name, f.EnvKMSKey)
			}
			return false, fmt.Sprintf("Function %s's environment variables are encrypted with the AWS managed key only.", f.Name)
		}),
}
