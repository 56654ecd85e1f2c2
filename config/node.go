package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree, collecting every problem it meets.
type decoder struct {
	file string
	errs Errors
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.file, Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	return d.errs
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// root decodes data into its single document's root node. It returns nil,
// having recorded the problem, for syntax errors and empty files.
func (d *decoder) root(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(0, "", "file is empty (want a mapping with landing_zones)")
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(extra.Line, "", "more than one YAML document (remove the extra \"---\")")
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		d.errorf(0, "", "file is empty (want a mapping with landing_zones)")
		return nil
	}
	return doc.Content[0]
}

func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.errorf(line, "", "invalid YAML: %s", m[2])
		return
	}
	d.errorf(0, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// field joins a field path and a key.
func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index joins a field path and a sequence index.
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

// isNull reports whether n is an explicit or implicit null ("key:" alone).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// fields walks the mapping n at path, calling the handler of each known key
// with the key's value. It reports unknown and repeated keys and returns
// the key node of every key present, for required-field checks and for
// problems best reported on the key's line.
func (d *decoder) fields(n *yaml.Node, path string, handlers map[string]func(v *yaml.Node, path string)) map[string]*yaml.Node {
	n = resolve(n)
	seen := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		if !isNull(n) {
			d.errorf(n.Line, path, "want a mapping, got %s", kindName(n))
		}
		return seen
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		p := field(path, k.Value)
		h, ok := handlers[k.Value]
		if !ok {
			d.errorf(k.Line, p, "unknown field%s", suggest(k.Value, handlers))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k.Line, p, "repeated field (first set on line %d)", prev.Line)
			continue
		}
		seen[k.Value] = k
		h(v, p)
	}
	return seen
}

// required reports key as missing when it is absent from seen or empty.
// The line is the key's when present, else the mapping's.
// seen is what fields returned.
func (d *decoder) required(n *yaml.Node, seen map[string]*yaml.Node, path, key string, empty bool) {
	if !empty {
		return
	}
	line := resolve(n).Line
	if k, ok := seen[key]; ok {
		line = k.Line
	}
	d.errorf(line, field(path, key), "is required")
}

// str returns the text of a scalar. Numbers keep their spelling, so an
// unquoted account id such as 012345678901 keeps its leading zero.
func (d *decoder) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "want a string, got %s", kindName(n))
		return ""
	}
	if isNull(n) {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// integer returns an integer scalar; ok is false after reporting a problem.
func (d *decoder) integer(n *yaml.Node, path string) (v int, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		d.errorf(n.Line, path, "want a whole number, got %s", kindName(n))
		return 0, false
	}
	return v, true
}

// intRange returns an integer scalar within [lo, hi].
func (d *decoder) intRange(n *yaml.Node, path string, lo, hi int) (int, bool) {
	v, ok := d.integer(n, path)
	if ok && (v < lo || v > hi) {
		d.errorf(n.Line, path, "%d is out of range (want %d to %d)", v, lo, hi)
		return 0, false
	}
	return v, ok
}

func (d *decoder) boolean(n *yaml.Node, path string) (v bool, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		d.errorf(n.Line, path, "want true or false, got %s", kindName(n))
		return false, false
	}
	return v, true
}

// duration returns a positive duration written like "10m" or "1h30m".
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n.Line, path, "want a duration such as \"10m\" or \"30s\", got %s", kindName(n))
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		d.errorf(n.Line, path, "%q is not a duration (want e.g. \"10m\" or \"30s\")", n.Value)
		return 0, false
	}
	if v <= 0 {
		d.errorf(n.Line, path, "duration must be positive, got %q", n.Value)
		return 0, false
	}
	return v, true
}

// list calls fn for every item of the sequence n. A null value is an empty
// list.
func (d *decoder) list(n *yaml.Node, path string, fn func(i int, item *yaml.Node, path string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "want a list, got %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		fn(i, resolve(item), index(path, i))
	}
}

// strings returns a list of non-empty strings.
func (d *decoder) strings(n *yaml.Node, path string) []string {
	var out []string
	d.list(n, path, func(_ int, item *yaml.Node, p string) {
		s := d.str(item, p)
		if s == "" && item.Kind == yaml.ScalarNode {
			d.errorf(item.Line, p, "empty value")
			return
		}
		if s != "" {
			out = append(out, s)
		}
	})
	return out
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// or "" when none is close.
func suggest(key string, known map[string]func(*yaml.Node, string)) string {
	best, bestDist := "", 3
	for k := range known {
		if dist := editDistance(key, k); dist < bestDist || (dist == bestDist && best != "" && k < best) {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
