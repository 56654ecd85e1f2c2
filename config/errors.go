package config

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart"
)

// FieldError is one problem in a configuration file.
type FieldError struct {
	File    string
	Line    int    // 1-based; 0 when the problem is not tied to a line
	Path    string // field path such as "landing_zones[1].regions[0]"; "" for the whole document
	Message string
}

// Error formats the problem as "file:line: path: message", leaving out the
// line or the path when they are unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns a rampart.Error with code EINVALID, so that
// rampart.ErrorCode reports configuration problems as invalid input.
func (e *FieldError) Unwrap() error {
	return &rampart.Error{Code: rampart.EINVALID, Message: e.Error()}
}

// Errors is every problem found in one file, in line order.
type Errors []*FieldError

// Error returns one problem per line.
func (errs Errors) Error() string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems, for errors.Is and errors.As.
func (errs Errors) Unwrap() []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}
