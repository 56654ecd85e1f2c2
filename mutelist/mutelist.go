// Package mutelist decides which findings are muted: accepted risks and
// known exceptions that a Security Operations team does not want in its
// queue. A muted finding is kept, stored and listed as muted with the
// entry's reason; it is never dropped.
//
// The file follows the shape of Prowler's mutelist, so an existing Prowler
// mutelist needs at most a Reason (or Description) per entry:
//
//	Mutelist:
//	  Accounts:
//	    "111122223333":                 # an account id, or "*" for every account
//	      Checks:
//	        "s3_bucket_default_encryption":   # a check id, or a pattern with "*"
//	          Regions: ["eu-west-1"]    # region names or "*"; "global" for global services
//	          Resources: ["^logs-"]     # regular expressions searched in the resource id and name
//	          Tags: ["env=dev"]         # optional; every pattern must match one "key=value" tag
//	          Expires: 2027-01-31       # optional; a date (muted through that day, UTC) or RFC 3339
//	          Reason: "log buckets use SSE-S3 by design (RISK-142)"
//
// Matching: an entry mutes a finding when its account key equals the
// finding's account (or is "*"), its check key matches the control id (an
// exact id, "*", or a pattern whose "*" stands for any characters), one of
// Regions matches the region, one of Resources is found in the resource id
// or name (Go regular expressions, unanchored as in Prowler; "*" alone
// matches anything), every Tags pattern is found in one of the resource's
// "key=value" tags, and the entry has not expired. Entries of the finding's
// own account are tried before "*" entries, each in file order; the first
// match gives the reason.
package mutelist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

// Entry is one mutelist rule.
type Entry struct {
	Account   string     // account id or "*"
	Check     string     // check id, "*" or a pattern with "*"
	Regions   []string   // region names or "*"
	Resources []string   // regular expressions, or "*"
	Tags      []string   // "key=value" regular expressions, all must match
	Expires   *time.Time // the entry no longer mutes at or after this instant; nil never expires
	Reason    string
	Line      int // line of the check key in the file

	check     *regexp.Regexp
	resources []*regexp.Regexp
	tags      []*regexp.Regexp
}

// List is a parsed mutelist. The zero value (and nil) mutes nothing.
type List struct {
	File    string
	Entries []Entry
}

// Error is one problem in a mutelist file, named by file and line.
type Error struct {
	File    string
	Line    int
	Path    string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap reports the problem as invalid input.
func (e *Error) Unwrap() error { return &rampart.Error{Code: rampart.EINVALID, Message: e.Error()} }

// Errors is every problem of one file, in line order.
type Errors []*Error

func (errs Errors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems.
func (errs Errors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

// Load reads and parses the mutelist at path.
func Load(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mutelist: %w", err)
	}
	return Parse(data, path)
}

// Parse parses a mutelist; file names it in errors. Every problem of the
// file is reported at once, each with its line.
func Parse(data []byte, file string) (*List, error) {
	p := &parser{file: file}
	l := &List{File: file}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: file, Message: "file is empty (want Mutelist: Accounts: ...)"}}
		}
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
			fmt.Sscanf(m[1], "%d", &line)
			msg = m[2]
		}
		return nil, Errors{{File: file, Line: line, Message: "invalid YAML: " + msg}}
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: file, Message: "file is empty (want Mutelist: Accounts: ...)"}}
	}
	root := p.mapping(doc.Content[0], "", []string{"Mutelist"})
	if _, ok := root["Mutelist"]; !ok && len(p.errs) == 0 {
		p.errorf(doc.Content[0].Line, "", "missing Mutelist")
	}
	ml := p.mapping(root["Mutelist"], "Mutelist", []string{"Accounts"})
	accounts := ml["Accounts"]
	if root["Mutelist"] != nil && accounts == nil {
		p.errorf(root["Mutelist"].Line, "Mutelist", "missing Accounts")
	}
	p.pairs(accounts, "Mutelist.Accounts", func(ak, an *yaml.Node, path string) {
		acct := ak.Value
		if acct != "*" && !accountRE.MatchString(acct) {
			p.errorf(ak.Line, path, "account %q is not a 12-digit account id or \"*\"", acct)
		}
		checks := p.mapping(an, path, []string{"Checks"})["Checks"]
		if checks == nil {
			p.errorf(ak.Line, path, "missing Checks")
		}
		p.pairs(checks, path+".Checks", func(ck, cn *yaml.Node, path string) {
			if e, ok := p.entry(acct, ck, cn, path); ok {
				l.Entries = append(l.Entries, e)
			}
		})
	})
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	// The finding's own account first, then "*"; file order within each.
	sort.SliceStable(l.Entries, func(i, j int) bool {
		return l.Entries[i].Account != "*" && l.Entries[j].Account == "*"
	})
	return l, nil
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

type parser struct {
	file string
	errs Errors
}

func (p *parser) errorf(line int, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// mapping returns the values of n's keys, reporting unknown keys and
// non-mapping nodes. A nil n returns an empty map.
func (p *parser) mapping(n *yaml.Node, path string, known []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, path, "want a mapping with %s", strings.Join(known, ", "))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		found := false
		for _, want := range known {
			if k.Value == want {
				found = true
			}
		}
		if !found {
			p.errorf(k.Line, join(path, k.Value), "unknown key (want one of %s)", strings.Join(known, ", "))
			continue
		}
		out[k.Value] = v
	}
	return out
}

// pairs calls fn for each key of the mapping n.
func (p *parser) pairs(n *yaml.Node, path string, fn func(key, v *yaml.Node, path string)) {
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, path, "want a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fn(k, v, join(path, k.Value))
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *parser) strings(n *yaml.Node, path string) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, path, "want a list of strings")
		return nil
	}
	var out []string
	for _, it := range n.Content {
		if it.Kind != yaml.ScalarNode {
			p.errorf(it.Line, path, "want a string")
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

func (p *parser) entry(acct string, ck, n *yaml.Node, path string) (Entry, bool) {
	before := len(p.errs)
	check := ck.Value
	e := Entry{Account: acct, Check: check, Line: ck.Line}
	f := p.mapping(n, path, []string{"Regions", "Resources", "Tags", "Expires", "Reason", "Description"})
	e.Regions = p.strings(f["Regions"], path+".Regions")
	e.Resources = p.strings(f["Resources"], path+".Resources")
	e.Tags = p.strings(f["Tags"], path+".Tags")
	if len(e.Regions) == 0 {
		p.errorf(ck.Line, path, "missing Regions (use [\"*\"] for every region)")
	}
	if len(e.Resources) == 0 {
		p.errorf(ck.Line, path, "missing Resources (use [\"*\"] for every resource)")
	}
	for _, k := range []string{"Reason", "Description"} {
		if v := f[k]; v != nil && e.Reason == "" {
			e.Reason = strings.TrimSpace(v.Value)
		}
	}
	if e.Reason == "" {
		p.errorf(ck.Line, path, "missing Reason: every muted finding must say why")
	}
	var err error
	if e.check, err = regexp.Compile("^" + globToRegexp(check) + "$"); err != nil {
		p.errorf(ck.Line, path, "check %q: %v", check, err)
	}
	for _, r := range e.Resources {
		re, err := compileSearch(r)
		if err != nil {
			p.errorf(f["Resources"].Line, path+".Resources", "%q is not a regular expression: %v", r, err)
		}
		e.resources = append(e.resources, re)
	}
	for _, t := range e.Tags {
		re, err := compileSearch(t)
		if err != nil {
			p.errorf(f["Tags"].Line, path+".Tags", "%q is not a regular expression: %v", t, err)
		}
		e.tags = append(e.tags, re)
	}
	if x := f["Expires"]; x != nil {
		t, err := parseExpiry(x.Value)
		if err != nil {
			p.errorf(x.Line, path+".Expires", "%v", err)
		} else {
			e.Expires = &t
		}
	}
	return e, len(p.errs) == before
}

// parseExpiry accepts a date (the entry mutes through the end of that day,
// UTC) or an RFC 3339 instant.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24 * time.Hour), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2027-01-31) or an RFC 3339 time", s)
}

// globToRegexp quotes s except for "*", which stands for any characters.
func globToRegexp(s string) string {
	parts := strings.Split(s, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, ".*")
}

// compileSearch compiles an unanchored pattern; "*" alone, or a leading
// "*" (Prowler's habit), stands for any characters.
func compileSearch(s string) (*regexp.Regexp, error) {
	if strings.HasPrefix(s, "*") {
		s = ".*" + s[1:]
	}
	return regexp.Compile(s)
}

// Match returns the first entry that mutes f at now.
func (l *List) Match(f *rampart.Finding, now time.Time) (Entry, bool) {
	if l == nil {
		return Entry{}, false
	}
	for _, e := range l.Entries {
		if e.matches(f, now) {
			return e, true
		}
	}
	return Entry{}, false
}

// Apply mutes f when an entry matches it at now, setting Muted and
// MuteReason, and reports whether it did. A finding no entry matches is
// left as it is (a scanner may have muted it already).
func (l *List) Apply(f *rampart.Finding, now time.Time) bool {
	e, ok := l.Match(f, now)
	if ok {
		f.Muted, f.MuteReason = true, e.Reason
	}
	return ok
}

func (e *Entry) matches(f *rampart.Finding, now time.Time) bool {
	if e.Expires != nil && !now.Before(*e.Expires) {
		return false
	}
	if e.Account != "*" && e.Account != f.AccountID {
		return false
	}
	if !e.check.MatchString(f.ControlID) {
		return false
	}
	if !anyRegion(e.Regions, f.Region) {
		return false
	}
	found := false
	for _, re := range e.resources {
		if re.MatchString(f.ResourceID) || (f.ResourceName != "" && re.MatchString(f.ResourceName)) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	if len(e.tags) > 0 {
		var tags []string
		for k, v := range f.Context {
			if t, ok := strings.CutPrefix(k, risk.TagPrefix); ok {
				tags = append(tags, t+"="+v)
			}
		}
		for _, re := range e.tags {
			hit := false
			for _, t := range tags {
				if re.MatchString(t) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
		}
	}
	return true
}

func anyRegion(regions []string, region string) bool {
	for _, r := range regions {
		if r == "*" || r == region {
			return true
		}
	}
	return false
}
