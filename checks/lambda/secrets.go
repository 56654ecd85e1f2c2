package lambda

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

func sortStrings(s []string) { sort.Strings(s) }

var (
	secretName = regexp.MustCompile(`(?i)(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential|auth[_-]?key|access[_-]?key)`)
	// secretValue matches values shaped like well-known credentials.
	secretValue = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$|^gh[pousr]_[A-Za-z0-9]{36,}$|^xox[abpr]-[A-Za-z0-9-]{10,}$|` +
		`^sk_(live|test)_[A-Za-z0-9]{16,}$|-----BEGIN [A-Z ]*PRIVATE KEY-----|^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.|` +
		`://[^/:@\s]+:[^/@\s]+@`)
	// references are values that point at a secret store rather than hold
	// a secret.
	reference = regexp.MustCompile(`^(arn:aws[a-z-]*:(secretsmanager|ssm|kms):|\{\{resolve:|/aws/reference/)`)
)

// LooksSecret reports whether an environment variable looks like it holds a
// secret: a credential-shaped value, or a secret-sounding name with a
// non-trivial literal value that is not a reference to a secret store.
func LooksSecret(name, value string) bool {
	v := strings.TrimSpace(value)
	if v == "" || reference.MatchString(v) {
		return false
	}
	if secretValue.MatchString(v) {
		return true
	}
	if !secretName.MatchString(name) {
		return false
	}
	lv := strings.ToLower(v)
	if len(v) < 8 || lv == "true" || lv == "false" || strings.HasPrefix(lv, "http") && !strings.Contains(lv, "@") {
		return false
	}
	return true
}

// Runtime is a deprecated Lambda runtime and the date AWS deprecated it
// (no more security patches).
type Runtime struct {
	ID         string
	Deprecated time.Time
}

func day(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }

// DeprecatedRuntimes are the runtimes AWS has deprecated or announced for
// deprecation, with the deprecation date (AWS Lambda runtimes page).
var DeprecatedRuntimes = map[string]time.Time{
	"python2.7": day("2021-07-15"), "python3.6": day("2022-07-18"), "python3.7": day("2023-12-04"), "python3.8": day("2024-10-14"),
	"python3.9": day("2025-12-15"),
	"nodejs":    day("2016-10-31"), "nodejs4.3": day("2020-03-05"), "nodejs6.10": day("2019-08-12"), "nodejs8.10": day("2020-03-06"),
	"nodejs10.x": day("2021-07-30"), "nodejs12.x": day("2023-03-31"), "nodejs14.x": day("2023-12-04"), "nodejs16.x": day("2024-06-12"),
	"nodejs18.x": day("2025-09-01"),
	"java8":      day("2024-01-08"), "go1.x": day("2024-01-08"), "ruby2.5": day("2021-07-30"), "ruby2.7": day("2023-12-07"),
	"ruby3.2":       day("2026-03-31"),
	"dotnetcore1.0": day("2019-07-30"), "dotnetcore2.0": day("2019-05-30"), "dotnetcore2.1": day("2022-01-05"),
	"dotnetcore3.1": day("2023-04-03"), "dotnet5.0": day("2022-05-10"), "dotnet6": day("2024-12-20"), "dotnet7": day("2024-05-14"),
	"provided": day("2023-12-31"),
}
