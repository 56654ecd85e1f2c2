package risk

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"

	"github.com/rampart-cspm/rampart"
)

//go:embed policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicyYAML returns the text of the embedded default policy.
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicyYAML) }

// PolicyVersion is the policy format version this binary reads.
const PolicyVersion = 1

// Policy is a parsed, compiled risk policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	// Source names where the policy came from (a file path or "default").
	Source string
	base   ruleSet
	perLZ  map[string]*ruleSet

	tags          tagConventions
	environments  map[string]string // lower-case tag value → environment
	sensitivity   map[string]string // lower-case classification → sensitivity
	accessControl map[string]bool   // lower-case access tag value → control
}

// ruleSet is what a landing zone can override.
type ruleSet struct {
	severity map[rampart.Severity]int
	levels   []level
	slaDays  map[rampart.Severity]int
	rules    []*rule
}

type level struct {
	name string
	min  int
}

type rule struct {
	name   string
	points int
	when   cel.Program
	label  cel.Program // nil: the name is the label
}

type tagConventions struct {
	Owner              []string `yaml:"owner"`
	Environment        []string `yaml:"environment"`
	DataClassification []string `yaml:"data_classification"`
	Access             []string `yaml:"access"`
}

// policyDoc is the YAML form of a policy.
type policyDoc struct {
	Version        int                 `yaml:"version"`
	SeverityPoints map[string]int      `yaml:"severity_points"`
	Levels         map[string]int      `yaml:"levels"`
	SLADays        map[string]int      `yaml:"sla_days"`
	Tags           tagConventions      `yaml:"tags"`
	Environments   map[string][]string `yaml:"environments"`
	DataSensitive  map[string][]string `yaml:"data_sensitivity"`
	AccessControls []string            `yaml:"access_controls"`
	Rules          []ruleDoc           `yaml:"rules"`
	LandingZones   map[string]lzDoc    `yaml:"landing_zones"`
}

type ruleDoc struct {
	Name   yaml.Node `yaml:"name"`
	When   yaml.Node `yaml:"when"`
	Label  yaml.Node `yaml:"label"`
	Points int       `yaml:"points"`
}

// line is the rule's line: its name's, else its condition's.
func (r ruleDoc) line() int {
	if r.Name.Line > 0 {
		return r.Name.Line
	}
	return r.When.Line
}

type lzDoc struct {
	SeverityPoints map[string]int `yaml:"severity_points"`
	Levels         map[string]int `yaml:"levels"`
	Points         map[string]int `yaml:"points"`
	Disable        []string       `yaml:"disable"`
	Rules          []ruleDoc      `yaml:"rules"`
}

// PolicyError is a policy that could not be loaded: the file, the line
// and what is wrong.
type PolicyError struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *PolicyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadPolicy reads and compiles the policy file at path.
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("risk policy: %w", err)
	}
	return ParsePolicy(path, b)
}

var defaultPolicy = func() *Policy {
	p, err := ParsePolicy("default", defaultPolicyYAML)
	if err != nil {
		panic("risk: embedded default policy: " + err.Error())
	}
	return p
}()

// DefaultPolicy returns the embedded default policy.
func DefaultPolicy() *Policy { return defaultPolicy }

// ParsePolicy parses and compiles a policy; name is used in errors. Every
// error is a *PolicyError naming the file and, where known, the line.
func ParsePolicy(name string, data []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	if len(root.Content) == 0 {
		return nil, &PolicyError{File: name, Msg: "empty policy"}
	}
	var doc policyDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(name, err)
	}
	if doc.Version != PolicyVersion {
		return nil, &PolicyError{File: name, Line: keyLine(root.Content[0], "version"),
			Msg: fmt.Sprintf("version %d: this binary reads policy version %d", doc.Version, PolicyVersion)}
	}
	p := &Policy{Source: name, tags: doc.Tags, perLZ: map[string]*ruleSet{},
		environments: map[string]string{}, sensitivity: map[string]string{}, accessControl: map[string]bool{}}
	top := root.Content[0]
	for env, vals := range doc.Environments {
		for _, v := range vals {
			p.environments[strings.ToLower(v)] = env
		}
	}
	for s, vals := range doc.DataSensitive {
		if !slices.Contains([]string{"pii", "confidential", "internal", "public"}, s) {
			return nil, &PolicyError{File: name, Line: keyLine(top, "data_sensitivity"),
				Msg: fmt.Sprintf("data_sensitivity.%s: want pii, confidential, internal or public", s)}
		}
		for _, v := range vals {
			p.sensitivity[strings.ToLower(v)] = s
		}
	}
	for _, v := range doc.AccessControls {
		p.accessControl[strings.ToLower(v)] = true
	}
	env, err := celEnv()
	if err != nil {
		return nil, err
	}
	c := compiler{file: name, env: env}
	if p.base.severity, err = c.severities(top, "severity_points", doc.SeverityPoints, true); err != nil {
		return nil, err
	}
	if p.base.slaDays, err = c.severities(top, "sla_days", doc.SLADays, false); err != nil {
		return nil, err
	}
	if p.base.levels, err = c.levels(top, doc.Levels); err != nil {
		return nil, err
	}
	if p.base.rules, err = c.rules(doc.Rules); err != nil {
		return nil, err
	}
	lzNode := valueOf(top, "landing_zones")
	for id, lz := range doc.LandingZones {
		n := valueOf(lzNode, id)
		rs := &ruleSet{severity: p.base.severity, levels: p.base.levels, slaDays: p.base.slaDays}
		if lz.SeverityPoints != nil {
			if rs.severity, err = c.severities(n, "severity_points", lz.SeverityPoints, false); err != nil {
				return nil, err
			}
			rs.severity = merge(p.base.severity, rs.severity)
		}
		if lz.Levels != nil {
			if rs.levels, err = c.levels(n, lz.Levels); err != nil {
				return nil, err
			}
		}
		known := map[string]bool{}
		for _, r := range p.base.rules {
			known[r.name] = true
		}
		for _, list := range []struct {
			key   string
			names []string
		}{{"disable", lz.Disable}, {"points", keys(lz.Points)}} {
			for _, nm := range list.names {
				if !known[nm] {
					return nil, &PolicyError{File: name, Line: keyLine(n, list.key),
						Msg: fmt.Sprintf("landing_zones.%s.%s: no rule named %q", id, list.key, nm)}
				}
			}
		}
		for _, r := range p.base.rules {
			if slices.Contains(lz.Disable, r.name) {
				continue
			}
			cp := *r
			if pts, ok := lz.Points[r.name]; ok {
				cp.points = pts
			}
			rs.rules = append(rs.rules, &cp)
		}
		extra, err := c.rules(lz.Rules)
		if err != nil {
			return nil, err
		}
		rs.rules = append(rs.rules, extra...)
		p.perLZ[id] = rs
	}
	return p, nil
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func merge(base, over map[rampart.Severity]int) map[rampart.Severity]int {
	out := map[rampart.Severity]int{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

type compiler struct {
	file string
	env  *cel.Env
}

func (c compiler) severities(n *yaml.Node, key string, m map[string]int, all bool) (map[rampart.Severity]int, error) {
	out := map[rampart.Severity]int{}
	for k, v := range m {
		s, err := rampart.ParseSeverity(k)
		if err != nil {
			return nil, &PolicyError{File: c.file, Line: keyLine(n, key), Msg: fmt.Sprintf("%s.%s: %v", key, k, err)}
		}
		out[s] = v
	}
	if all {
		for _, s := range rampart.Severities {
			if _, ok := out[s]; !ok {
				return nil, &PolicyError{File: c.file, Line: keyLine(n, key), Msg: fmt.Sprintf("%s: missing %s", key, s)}
			}
		}
	}
	return out, nil
}

func (c compiler) levels(n *yaml.Node, m map[string]int) ([]level, error) {
	var out []level
	for _, name := range []string{"critical", "high", "medium"} {
		v, ok := m[name]
		if !ok {
			return nil, &PolicyError{File: c.file, Line: keyLine(n, "levels"), Msg: "levels: want critical, high and medium minimums"}
		}
		out = append(out, level{name, v})
	}
	if len(m) != 3 {
		return nil, &PolicyError{File: c.file, Line: keyLine(n, "levels"), Msg: "levels: only critical, high and medium (low is everything below medium)"}
	}
	if !(out[0].min > out[1].min && out[1].min > out[2].min) {
		return nil, &PolicyError{File: c.file, Line: keyLine(n, "levels"), Msg: "levels: want critical > high > medium"}
	}
	return out, nil
}

func (c compiler) rules(docs []ruleDoc) ([]*rule, error) {
	var out []*rule
	seen := map[string]bool{}
	for _, d := range docs {
		name := d.Name.Value
		if name == "" {
			return nil, &PolicyError{File: c.file, Line: d.line(), Msg: "rule without a name"}
		}
		if seen[name] {
			return nil, &PolicyError{File: c.file, Line: d.line(), Msg: fmt.Sprintf("rule %q: duplicate name", name)}
		}
		seen[name] = true
		if d.When.Value == "" {
			return nil, &PolicyError{File: c.file, Line: d.line(), Msg: fmt.Sprintf("rule %q: missing when", name)}
		}
		r := &rule{name: name, points: d.Points}
		var err error
		if r.when, err = c.compile(name, "when", &d.When, cel.BoolType); err != nil {
			return nil, err
		}
		if d.Label.Value != "" {
			if r.label, err = c.compile(name, "label", &d.Label, cel.StringType); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (c compiler) compile(rule, key string, n *yaml.Node, want *cel.Type) (cel.Program, error) {
	ast, iss := c.env.Compile(n.Value)
	if iss != nil && iss.Err() != nil {
		msg := strings.ReplaceAll(iss.Err().Error(), "\n", " ")
		return nil, &PolicyError{File: c.file, Line: n.Line, Msg: fmt.Sprintf("rule %q: %s: %s", rule, key, msg)}
	}
	if !ast.OutputType().IsExactType(want) {
		return nil, &PolicyError{File: c.file, Line: n.Line,
			Msg: fmt.Sprintf("rule %q: %s must be a %s expression, %q is %s", rule, key, want, n.Value, ast.OutputType())}
	}
	prg, err := c.env.Program(ast)
	if err != nil {
		return nil, &PolicyError{File: c.file, Line: n.Line, Msg: fmt.Sprintf("rule %q: %s: %v", rule, key, err)}
	}
	return prg, nil
}

// celEnv declares the variables rules may use (see policy.yaml).
func celEnv() (*cel.Env, error) {
	str := []string{"severity", "status", "service", "control_id", "resource_type", "region", "account_id",
		"landing_zone_id", "environment", "data_sensitivity", "owner", "owner_source"}
	var opts []cel.EnvOption
	for _, s := range str {
		opts = append(opts, cel.Variable(s, cel.StringType))
	}
	for _, b := range []string{"production", "public", "privileged", "overdue"} {
		opts = append(opts, cel.Variable(b, cel.BoolType))
	}
	opts = append(opts,
		cel.Variable("age_days", cel.IntType), cel.Variable("sla_days", cel.IntType),
		cel.Variable("compensating", cel.ListType(cel.StringType)),
		cel.Variable("tags", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("facts", cel.MapType(cel.StringType, cel.StringType)),
	)
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("risk: CEL environment: %w", err)
	}
	return env, nil
}

// keyLine returns the line of key in mapping n, or n's line.
func keyLine(n *yaml.Node, key string) int {
	if n == nil {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return n.Line
}

// valueOf returns the value node of key in mapping n.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// yamlError turns a yaml.v3 error ("yaml: line 3: ...") into a PolicyError.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
	}
	return &PolicyError{File: file, Line: line, Msg: msg}
}
