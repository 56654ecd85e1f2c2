package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampart-cspm/rampart"
)

var (
	lzIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	// regionRE matches AWS region names: us-east-1, ap-southeast-1,
	// us-gov-west-1, cn-north-1, us-iso-east-1, us-isob-east-1, ...
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]{1,2}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	// ouRE matches organizational unit ids (ou-xxxx-xxxxxxxx) and root ids (r-xxxx).
	ouRE         = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)
	roleNameRE   = regexp.MustCompile(`^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$`)
	externalIDRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@:/_-]+$`)
)

// document decodes and validates the whole file.
func (d *decoder) document(data []byte) *Config {
	root := d.root(data)
	if root == nil {
		return nil
	}
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		d.errorf(root.Line, "", "want a mapping with landing_zones at the top level, got %s", kindName(root))
		return nil
	}
	cfg := &Config{
		AWS: AWS{HomeRegion: DefaultHomeRegion},
		Scan: Scan{
			UnitTimeout:        DefaultUnitTimeout,
			MaxAttempts:        DefaultMaxAttempts,
			MaxBackoff:         DefaultMaxBackoff,
			UnitRetries:        DefaultUnitRetries,
			MaxConcurrentUnits: DefaultMaxConcurrentUnits,
			RateControl:        "adaptive",
		},
	}
	var idLines []int // line of each landing zone's id
	seen := d.fields(root, "", map[string]func(*yaml.Node, string){
		"landing_zones": func(n *yaml.Node, p string) {
			d.list(n, p, func(i int, item *yaml.Node, p string) {
				lz, line := d.landingZone(item, p)
				cfg.LandingZones = append(cfg.LandingZones, lz)
				idLines = append(idLines, line)
			})
		},
		"aws":  func(n *yaml.Node, p string) { d.aws(n, p, &cfg.AWS) },
		"scan": func(n *yaml.Node, p string) { d.scan(n, p, &cfg.Scan) },
		"data_dir": func(n *yaml.Node, p string) {
			cfg.DataDir = expandHome(d.str(n, p))
		},
		"mutelist": func(n *yaml.Node, p string) {
			cfg.Mutelist = expandHome(d.str(n, p))
			if cfg.Mutelist != "" && !filepath.IsAbs(cfg.Mutelist) {
				// Relative to the configuration file, not the working directory.
				cfg.Mutelist = filepath.Join(filepath.Dir(d.file), cfg.Mutelist)
			}
		},
		"artifacts": func(n *yaml.Node, p string) {
			cfg.Artifacts = d.str(n, p)
			if cfg.Artifacts != "" {
				if _, err := url.Parse(cfg.Artifacts); err != nil {
					d.errorf(n.Line, p, "%q is not a URL or path", cfg.Artifacts)
				}
			}
		},
	})
	if k, ok := seen["landing_zones"]; !ok {
		d.errorf(root.Line, "landing_zones", "is required: define at least one landing zone")
	} else if len(cfg.LandingZones) == 0 {
		d.errorf(k.Line, "landing_zones", "is empty: define at least one landing zone")
	}
	first := map[string]int{}
	for i, lz := range cfg.LandingZones {
		if lz.ID == "" {
			continue
		}
		if j, dup := first[lz.ID]; dup {
			d.errorf(idLines[i], index("landing_zones", i)+".id",
				"duplicate landing zone id %q (also landing_zones[%d] on line %d)", lz.ID, j, idLines[j])
			continue
		}
		first[lz.ID] = i
	}
	return cfg
}

func (d *decoder) aws(n *yaml.Node, path string, a *AWS) {
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"endpoint_url": func(n *yaml.Node, p string) {
			a.EndpointURL = d.str(n, p)
			if a.EndpointURL != "" {
				d.httpURL(n, p, a.EndpointURL)
			}
		},
		"shared_config_files": func(n *yaml.Node, p string) {
			a.SharedConfigFiles = expandHomes(d.strings(n, p))
		},
		"shared_credentials_files": func(n *yaml.Node, p string) {
			a.SharedCredentialsFiles = expandHomes(d.strings(n, p))
		},
		"home_region": func(n *yaml.Node, p string) {
			if r := d.str(n, p); r != "" {
				if d.region(n, p, r) {
					a.HomeRegion = r
				}
			}
		},
	})
}

func (d *decoder) scan(n *yaml.Node, path string, s *Scan) {
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"unit_timeout": func(n *yaml.Node, p string) {
			if v, ok := d.duration(n, p); ok {
				s.UnitTimeout = v
			}
		},
		"max_attempts": func(n *yaml.Node, p string) {
			if v, ok := d.intRange(n, p, 1, 50); ok {
				s.MaxAttempts = v
			}
		},
		"max_backoff": func(n *yaml.Node, p string) {
			if v, ok := d.duration(n, p); ok {
				s.MaxBackoff = v
			}
		},
		"unit_retries": func(n *yaml.Node, p string) {
			if v, ok := d.intRange(n, p, 0, 10); ok {
				s.UnitRetries = v
			}
		},
		"max_concurrent_units": func(n *yaml.Node, p string) {
			if v, ok := d.intRange(n, p, 1, 1000); ok {
				s.MaxConcurrentUnits = v
			}
		},
		"rate_control": func(n *yaml.Node, p string) {
			switch v := d.str(n, p); v {
			case "adaptive", "fixed":
				s.RateControl = v
			default:
				d.errorf(n.Line, p, "must be adaptive or fixed, not %q", v)
			}
		},
		"prowler": func(n *yaml.Node, p string) { d.prowler(n, p, &s.Prowler) },
	})
}

func (d *decoder) prowler(n *yaml.Node, path string, pr *Prowler) {
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"enabled": func(n *yaml.Node, p string) {
			if v, ok := d.boolean(n, p); ok {
				pr.Enabled = &v
			}
		},
		"path": func(n *yaml.Node, p string) {
			pr.Path = expandHome(d.str(n, p))
			if strings.ContainsRune(pr.Path, filepath.Separator) && !filepath.IsAbs(pr.Path) {
				// Relative to the configuration file, not the working directory.
				pr.Path = filepath.Join(filepath.Dir(d.file), pr.Path)
			}
		},
		"timeout": func(n *yaml.Node, p string) {
			if v, ok := d.duration(n, p); ok {
				pr.Timeout = v
			}
		},
		"args": func(n *yaml.Node, p string) { pr.Args = d.strings(n, p) },
	})
}

// landingZone decodes one landing zone and returns it with the line of its id.
func (d *decoder) landingZone(n *yaml.Node, path string) (rampart.LandingZone, int) {
	lz := rampart.LandingZone{
		Cloud:                        rampart.CloudAWS,
		Environment:                  DefaultEnvironment,
		ScanEnabled:                  true,
		MaxConcurrentAccounts:        DefaultMaxConcurrentAccounts,
		MaxConcurrentUnitsPerAccount: DefaultMaxConcurrentUnitsPerAccount,
		SLADays:                      DefaultSLADays(),
		Accounts:                     rampart.AccountSource{Source: rampart.AccountSourceOrganizations},
	}
	var idLine int
	var regionsNode *yaml.Node
	seen := d.fields(n, path, map[string]func(*yaml.Node, string){
		"id": func(n *yaml.Node, p string) {
			lz.ID, idLine = d.str(n, p), n.Line
			if lz.ID != "" && !lzIDRE.MatchString(lz.ID) {
				d.errorf(n.Line, p, "%q is not a valid id (use lowercase letters, digits and dashes)", lz.ID)
			}
		},
		"name": func(n *yaml.Node, p string) { lz.Name = d.str(n, p) },
		"cloud": func(n *yaml.Node, p string) {
			if c := d.str(n, p); c != "" {
				lz.Cloud = c
				if c != rampart.CloudAWS {
					d.errorf(n.Line, p, "cloud %q is not supported for scanning (only %q is)", c, rampart.CloudAWS)
				}
			}
		},
		"profile": func(n *yaml.Node, p string) { lz.Profile = d.str(n, p) },
		"sso_start_url": func(n *yaml.Node, p string) {
			lz.SSOStartURL = d.str(n, p)
			if lz.SSOStartURL != "" {
				d.httpURL(n, p, lz.SSOStartURL)
			}
		},
		"audit_role_name": func(n *yaml.Node, p string) {
			lz.AuditRoleName = d.str(n, p)
			if lz.AuditRoleName != "" && !roleNameRE.MatchString(lz.AuditRoleName) {
				d.errorf(n.Line, p, "%q is not an IAM role name (want the name, not the ARN, e.g. SecurityAuditRole)", lz.AuditRoleName)
			}
		},
		"external_id": func(n *yaml.Node, p string) {
			lz.ExternalID = d.str(n, p)
			if l := len(lz.ExternalID); l > 0 && (l < 2 || l > 1224 || !externalIDRE.MatchString(lz.ExternalID)) {
				d.errorf(n.Line, p, "not a valid external id (2 to 1224 characters of letters, digits and +=,.@:/_-)")
			}
		},
		"regions": func(n *yaml.Node, p string) {
			regionsNode = n
			first := map[string]int{}
			d.list(n, p, func(_ int, item *yaml.Node, p string) {
				r := d.str(item, p)
				if item.Kind != yaml.ScalarNode || !d.region(item, p, r) {
					return
				}
				if line, dup := first[r]; dup {
					d.errorf(item.Line, p, "region %q is listed twice (first on line %d)", r, line)
					return
				}
				first[r] = item.Line
				lz.Regions = append(lz.Regions, r)
			})
		},
		"owner_team":    func(n *yaml.Node, p string) { lz.OwnerTeam = d.str(n, p) },
		"business_unit": func(n *yaml.Node, p string) { lz.BusinessUnit = d.str(n, p) },
		"environment": func(n *yaml.Node, p string) {
			if e := d.environment(n, p); e != "" {
				lz.Environment = e
			}
		},
		"scan_enabled": func(n *yaml.Node, p string) {
			if v, ok := d.boolean(n, p); ok {
				lz.ScanEnabled = v
			}
		},
		"schedule": func(n *yaml.Node, p string) {
			lz.Schedule = d.str(n, p)
			if lz.Schedule != "" {
				if _, err := ParseSchedule(lz.Schedule); err != nil {
					d.errorf(n.Line, p, "%v", err)
				}
			}
		},
		"max_concurrent_accounts": func(n *yaml.Node, p string) {
			if v, ok := d.intRange(n, p, 1, 100); ok {
				lz.MaxConcurrentAccounts = v
			}
		},
		"max_concurrent_units_per_account": func(n *yaml.Node, p string) {
			if v, ok := d.intRange(n, p, 1, 50); ok {
				lz.MaxConcurrentUnitsPerAccount = v
			}
		},
		"sla_days": func(n *yaml.Node, p string) { d.slaDays(n, p, lz.SLADays) },
		"accounts": func(n *yaml.Node, p string) { d.accounts(n, p, &lz.Accounts) },
	})
	if n.Kind != yaml.MappingNode {
		if isNull(n) {
			d.errorf(n.Line, path, "empty landing zone")
		}
		return lz, idLine
	}
	d.required(n, seen, path, "id", lz.ID == "")
	d.required(n, seen, path, "name", lz.Name == "")
	d.required(n, seen, path, "audit_role_name", lz.AuditRoleName == "")
	d.required(n, seen, path, "regions", regionsNode == nil || isEmptyList(regionsNode))
	return lz, idLine
}

func (d *decoder) slaDays(n *yaml.Node, path string, sla map[rampart.Severity]int) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping of severity to days, got %s", kindName(n))
		return
	}
	first := map[rampart.Severity]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		p := field(path, k.Value)
		sev, err := rampart.ParseSeverity(k.Value)
		if err != nil {
			d.errorf(k.Line, p, "%q is not a severity (want one of critical, high, medium, low, informational)", k.Value)
			continue
		}
		if line, dup := first[sev]; dup {
			d.errorf(k.Line, p, "severity %s is set twice (first on line %d)", sev, line)
			continue
		}
		first[sev] = k.Line
		if days, ok := d.intRange(v, p, 1, 3650); ok {
			sla[sev] = days
		}
	}
}

func (d *decoder) accounts(n *yaml.Node, path string, src *rampart.AccountSource) {
	var ousNode, staticNode *yaml.Node
	seen := d.fields(n, path, map[string]func(*yaml.Node, string){
		"source": func(n *yaml.Node, p string) {
			s := d.str(n, p)
			switch s {
			case "":
			case rampart.AccountSourceOrganizations, rampart.AccountSourceStatic:
				src.Source = s
			default:
				d.errorf(n.Line, p, "%q is not an account source (want organizations or static)", s)
			}
		},
		"ous": func(n *yaml.Node, p string) {
			ousNode = n
			first := map[string]int{}
			d.list(n, p, func(_ int, item *yaml.Node, p string) {
				ou := d.str(item, p)
				if item.Kind != yaml.ScalarNode {
					return
				}
				if !ouRE.MatchString(ou) {
					d.errorf(item.Line, p, "%q is not an organizational unit or root id (want ou-xxxx-xxxxxxxx or r-xxxx)", ou)
					return
				}
				if line, dup := first[ou]; dup {
					d.errorf(item.Line, p, "%q is listed twice (first on line %d)", ou, line)
					return
				}
				first[ou] = item.Line
				src.OUs = append(src.OUs, ou)
			})
		},
		"static": func(n *yaml.Node, p string) {
			staticNode = n
			src.Static = d.accountList(n, p)
		},
		"overrides": func(n *yaml.Node, p string) { src.Overrides = d.accountList(n, p) },
	})
	switch src.Source {
	case rampart.AccountSourceStatic:
		d.required(n, seen, path, "static", staticNode == nil || isEmptyList(staticNode))
		if ousNode != nil && !isNull(ousNode) {
			d.errorf(seen["ous"].Line, field(path, "ous"), "only applies to source: organizations")
		}
	case rampart.AccountSourceOrganizations:
		if staticNode != nil && !isNull(staticNode) {
			d.errorf(seen["static"].Line, field(path, "static"), "only applies to source: static (use overrides to rename accounts found in Organizations)")
		}
	}
}

// accountList decodes a list of {id, name, environment, owner_team}.
func (d *decoder) accountList(n *yaml.Node, path string) []rampart.AccountOverride {
	var out []rampart.AccountOverride
	first := map[string]int{}
	d.list(n, path, func(_ int, item *yaml.Node, p string) {
		var a rampart.AccountOverride
		badID := false
		seen := d.fields(item, p, map[string]func(*yaml.Node, string){
			"id": func(n *yaml.Node, p string) {
				a.ID = d.str(n, p)
				if a.ID != "" && !accountIDRE.MatchString(a.ID) {
					d.errorf(n.Line, p, "%q is not an AWS account id (want 12 digits; quote ids with leading zeros)", a.ID)
					a.ID, badID = "", true
				}
			},
			"name":        func(n *yaml.Node, p string) { a.Name = d.str(n, p) },
			"environment": func(n *yaml.Node, p string) { a.Environment = d.environment(n, p) },
			"owner_team":  func(n *yaml.Node, p string) { a.OwnerTeam = d.str(n, p) },
		})
		d.required(item, seen, p, "id", a.ID == "" && !badID && item.Kind == yaml.MappingNode)
		if a.ID == "" {
			return
		}
		if line, dup := first[a.ID]; dup {
			d.errorf(item.Line, field(p, "id"), "account %s is listed twice (first on line %d)", a.ID, line)
			return
		}
		first[a.ID] = item.Line
		out = append(out, a)
	})
	return out
}

// region reports r and returns false unless it is an AWS region name.
func (d *decoder) region(n *yaml.Node, path, r string) bool {
	if !regionRE.MatchString(r) {
		d.errorf(n.Line, path, "%q is not an AWS region name", r)
		return false
	}
	return true
}

// environment returns a valid environment name or "" after reporting it.
func (d *decoder) environment(n *yaml.Node, path string) string {
	e := d.str(n, path)
	if e == "" || slices.Contains(Environments, e) {
		return e
	}
	d.errorf(n.Line, path, "%q is not an environment (want one of %s)", e, strings.Join(Environments, ", "))
	return ""
}

// httpURL reports s unless it is an absolute http or https URL.
func (d *decoder) httpURL(n *yaml.Node, path, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errorf(n.Line, path, "%q is not an http(s) URL", s)
	}
}

// expandHome replaces a leading "~/" with the user's home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func expandHomes(ps []string) []string {
	for i, p := range ps {
		ps[i] = expandHome(p)
	}
	return ps
}

// isEmptyList reports whether n is null or a list with no items.
func isEmptyList(n *yaml.Node) bool {
	return isNull(n) || (n.Kind == yaml.SequenceNode && len(n.Content) == 0)
}
