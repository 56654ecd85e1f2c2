// Package prowlerfacts holds facts about Prowler's AWS checks that Rampart's
// native checks reuse when they implement the same control: the severity,
// the resource type and the compliance requirements each Prowler check ID is
// mapped to (CIS-5.0, SOC2, PCI-4.0, NIST-800-53-r5, ISO27001-2022).
//
// The table in facts_gen.go is generated from the TSV files under
// testdata/prowler by the tool in ./gen; only the services Rampart ships
// modules for are kept. Titles, descriptions and remediation text are not
// facts and are never taken from Prowler.
package prowlerfacts

//go:generate go run ./gen -src testdata/prowler -out facts_gen.go -services accessanalyzer,account,awslambda,cloudtrail,cloudwatch,config,dynamodb,ec2,guardduty,iam,kms,organizations,rds,s3,securityhub,ssm,vpc

import (
	"slices"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// Fact is what Prowler records about one of its checks.
type Fact struct {
	Service      string
	Severity     rampart.Severity
	ResourceType string
	Compliance   []checks.Mapping
}

// Services are the Prowler services kept in facts_gen.go; they must match
// the -services list of the go:generate line above (a test checks it).
var Services = []string{"accessanalyzer", "account", "awslambda", "cloudtrail", "cloudwatch", "config", "dynamodb", "ec2",
	"guardduty", "iam", "kms", "organizations", "rds", "s3", "securityhub", "ssm", "vpc"}

// Frameworks are the framework names used in checks.Mapping, in the order
// mappings are listed.
var Frameworks = []string{"CIS-5.0", "SOC2", "PCI-4.0", "NIST-800-53-r5", "ISO27001-2022"}

// Lookup returns the facts of Prowler check id, or false when the generated
// table does not know it.
func Lookup(id string) (Fact, bool) {
	f, ok := facts[id]
	if !ok {
		return Fact{}, false
	}
	f.Compliance = slices.Clone(f.Compliance)
	return f, true
}

// Fill completes m with the facts of Prowler check m.ID: Severity and
// ResourceType when they are empty, Compliance when it is nil. Fields the
// caller set are kept. It returns m unchanged when the ID is not a Prowler
// check.
func Fill(m checks.Meta) checks.Meta {
	f, ok := Lookup(m.ID)
	if !ok {
		return m
	}
	if m.Severity == "" {
		m.Severity = f.Severity
	}
	if m.ResourceType == "" {
		m.ResourceType = f.ResourceType
	}
	if m.Compliance == nil {
		m.Compliance = f.Compliance
	}
	return m
}
