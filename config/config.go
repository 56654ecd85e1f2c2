// Package config loads and validates rampart.yaml: the landing zones to
// scan, optional overrides for the AWS SDK and the dispatcher's limits.
//
// Decoding walks the yaml.v3 node tree by hand so that every problem is
// reported with the file, the line and the field path, for example
//
//	rampart.yaml:14: landing_zones[1].regions[0]: "us-east-9x" is not an AWS region name
//
// and so that all problems of a file are reported at once. docs/config.md
// documents the schema for people deploying Rampart.
package config

import (
	"fmt"
	"os"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Defaults applied to fields that are absent from the file.
const (
	DefaultHomeRegion                   = "us-east-1"
	DefaultUnitTimeout                  = 10 * time.Minute
	DefaultMaxAttempts                  = 8
	DefaultMaxBackoff                   = 20 * time.Second
	DefaultUnitRetries                  = 2
	DefaultMaxConcurrentUnits           = 16
	DefaultMaxConcurrentAccounts        = 3
	DefaultMaxConcurrentUnitsPerAccount = 2
	// DefaultEnvironment is assumed for a landing zone that does not say:
	// treating unknown accounts as production never understates risk.
	DefaultEnvironment = "production"
)

// Environments lists the accepted values of every environment field.
var Environments = []string{"production", "staging", "development", "sandbox", "test", "shared"}

// DefaultSLADays returns the remediation SLA, in days per severity, used for
// severities a landing zone's sla_days does not mention. Informational
// findings have no SLA unless one is configured.
func DefaultSLADays() map[rampart.Severity]int {
	return map[rampart.Severity]int{
		rampart.SeverityCritical: 7,
		rampart.SeverityHigh:     30,
		rampart.SeverityMedium:   90,
		rampart.SeverityLow:      180,
	}
}

// Config is a validated rampart.yaml with every default applied.
type Config struct {
	// LandingZones are the landing zones to scan, in file order; never empty.
	LandingZones []rampart.LandingZone
	// AWS holds optional overrides for the AWS SDK.
	AWS AWS
	// Scan holds the dispatcher's limits.
	Scan Scan
	// DataDir is the default for --data; "" when the file does not set it.
	DataDir string
	// Artifacts is the artifact store URL; "" means <data>/artifacts.
	Artifacts string
	// Mutelist is the path of the mutelist file (package mutelist), relative
	// paths resolved against the configuration file's directory; "" for none.
	Mutelist string
}

// AWS holds overrides for the AWS SDK. Empty fields leave the SDK's own
// environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE, ...) in charge.
type AWS struct {
	// EndpointURL replaces every service endpoint, like AWS_ENDPOINT_URL:
	// for simulators, VPC endpoints and proxies.
	EndpointURL string
	// SharedConfigFiles replace the SDK's shared config files, like AWS_CONFIG_FILE.
	SharedConfigFiles []string
	// SharedCredentialsFiles replace the SDK's shared credentials files,
	// like AWS_SHARED_CREDENTIALS_FILE.
	SharedCredentialsFiles []string
	// HomeRegion is the region used for global services (IAM,
	// Organizations, STS); DefaultHomeRegion unless set.
	HomeRegion string
}

// Scan holds the dispatcher's settings.
type Scan struct {
	// UnitTimeout bounds one scan unit (one account and region).
	UnitTimeout time.Duration
	// MaxAttempts is the SDK's attempts per API call, retries included.
	MaxAttempts int
	// MaxBackoff caps the SDK's exponential backoff between attempts.
	MaxBackoff time.Duration
	// UnitRetries is how many times a unit that failed on throttling is run again.
	UnitRetries int
	// MaxConcurrentUnits caps the units running at once across all landing zones.
	MaxConcurrentUnits int
	// RateControl is "adaptive" (default: client-side rate limiters that
	// learn each API family's quota, adaptive account concurrency per
	// landing zone) or "fixed" (SDK standard retries and each landing
	// zone's max_concurrent_accounts).
	RateControl string
	// Prowler runs Prowler in every scan unit beside the native modules.
	Prowler Prowler
}

// Prowler configures Prowler as a scanner (scan.prowler). With the key
// absent, a prowler executable found on PATH is used; enabled: false turns
// it off; a path or enabled: true requires the executable.
type Prowler struct {
	// Enabled is nil when the file does not say.
	Enabled *bool
	// Path is the executable; "" looks "prowler" up on PATH.
	Path string
	// Timeout bounds one run (one unit); 0 is the pipeline's default.
	Timeout time.Duration
	// Args are added to every run (e.g. --compliance cis_4.0_aws).
	Args []string
}

// Resolve returns the executable to run, "" when Prowler is off.
// lookPath is exec.LookPath (injected by tests). It fails when the file
// asks for Prowler (a path, or enabled: true) and it cannot be found.
func (p Prowler) Resolve(lookPath func(string) (string, error)) (string, error) {
	if p.Enabled != nil && !*p.Enabled {
		return "", nil
	}
	name := p.Path
	if name == "" {
		name = "prowler"
	}
	path, err := lookPath(name)
	if err != nil {
		if p.Path == "" && p.Enabled == nil {
			return "", nil // not configured and not installed: off
		}
		return "", fmt.Errorf("config: scan.prowler: executable %q: %w", name, err)
	}
	return path, nil
}

// LandingZone returns the landing zone with the given id.
func (c *Config) LandingZone(id string) (rampart.LandingZone, bool) {
	for _, lz := range c.LandingZones {
		if lz.ID == id {
			return lz, true
		}
	}
	return rampart.LandingZone{}, false
}

// Load reads and parses the file at path. Problems in the file are returned
// as Errors, each naming path, line and field.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse parses and validates a rampart.yaml document. filename is used only
// in error messages. On any problem it returns nil and Errors listing every
// problem found, in line order.
func Parse(data []byte, filename string) (*Config, error) {
	d := &decoder{file: filename}
	cfg := d.document(data)
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}
