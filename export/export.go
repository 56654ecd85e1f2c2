// Package export writes findings in the shared schema for people and tools:
// an aligned table for a terminal, a JSON array, CSV, OCSF Detection
// Findings (Security Lake, SIEMs) and ASFF batches (Security Hub). The JSON and CSV
// field names are rampart.Finding's JSON names, a public contract.
package export

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rampart-cspm/rampart"
)

// Format names accepted by Write.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatCSV   = "csv"
	FormatOCSF  = "ocsf" // a JSON array of OCSF 1.x Detection Findings
	FormatASFF  = "asff" // JSON Lines, one BatchImportFindings batch (≤100) per line
)

// Formats returns the accepted format names, the default (table) first.
func Formats() []string {
	return []string{FormatTable, FormatJSON, FormatCSV, FormatOCSF, FormatASFF}
}

// Write writes findings to w in the named format (see Formats; case does
// not matter). An unknown format is a rampart EINVALID error naming it and
// the accepted ones; nothing is written then.
func Write(w io.Writer, format string, findings []rampart.Finding) error {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatTable:
		return writeTable(w, findings)
	case FormatJSON:
		return writeJSON(w, findings)
	case FormatCSV:
		return writeCSV(w, findings)
	case FormatOCSF:
		return writeOCSF(w, findings)
	case FormatASFF:
		return writeASFF(w, findings)
	}
	return rampart.Errorf(rampart.EINVALID, "unknown export format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// Column widths of the table; longer values are cut with an ellipsis.
// Resource ids keep their end, where an ARN names the resource.
const (
	maxLZ       = 24
	maxAccount  = 40
	maxControl  = 40
	maxResource = 48
	maxTitle    = 64
)

func writeTable(w io.Writer, findings []rampart.Finding) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tSTATUS\tLZ\tACCOUNT\tREGION\tSERVICE\tCONTROL\tRESOURCE\tTITLE")
	for _, f := range findings {
		account := f.AccountID
		if f.AccountName != "" {
			account += " (" + f.AccountName + ")"
		}
		resource := f.ResourceID
		if resource == "" {
			resource = f.ResourceName
		}
		fmt.Fprintln(tw, strings.Join([]string{
			cell(string(f.Severity)),
			cell(string(f.Status)),
			head(cell(f.LandingZoneID), maxLZ),
			head(cell(account), maxAccount),
			cell(f.Region),
			cell(f.Service),
			head(cell(f.ControlID), maxControl),
			tail(cell(resource), maxResource),
			head(cell(f.Title), maxTitle),
		}, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("export: table: %w", err)
	}
	return nil
}

// cell makes s safe for one tabwriter cell: control characters, tabs and
// newlines become spaces; an empty value becomes "-".
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" {
		return "-"
	}
	return s
}

// head keeps the first n runes of s, ending with "…" when cut.
func head(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// tail keeps the last n runes of s, starting with "…" when cut.
func tail(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

func writeJSON(w io.Writer, findings []rampart.Finding) error {
	if findings == nil {
		findings = []rampart.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(findings); err != nil {
		return fmt.Errorf("export: json: %w", err)
	}
	return nil
}

// column is one CSV column: a JSON field name of rampart.Finding and the
// index of the struct field it comes from.
type column struct {
	name  string
	index int
}

// csvColumns lists rampart.Finding's JSON fields in declaration order.
var csvColumns = func() []column {
	t := reflect.TypeFor[rampart.Finding]()
	var cols []column
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		cols = append(cols, column{name: name, index: i})
	}
	return cols
}()

// CSVHeader returns the CSV header: rampart.Finding's JSON field names, in
// the order the struct declares them.
func CSVHeader() []string {
	out := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		out[i] = c.name
	}
	return out
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

// csvValue formats one field: strings as they are, integers in decimal,
// times in RFC 3339, and zero times and nil pointers as empty cells.
func csvValue(v reflect.Value) (string, error) {
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return "", nil
		}
		return t.Format(time.RFC3339), nil
	case v.Type() == timePtrType:
		if v.IsNil() {
			return "", nil
		}
		return csvValue(v.Elem())
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			// A list of names (sources): comma-separated in one cell.
			return strings.Join(v.Interface().([]string), ","), nil
		}
	case reflect.Map:
		// Context facts: one JSON object per cell (keys sorted by
		// encoding/json), empty when there are none.
		if v.Len() == 0 {
			return "", nil
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return "", fmt.Errorf("export: csv: %w", err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("export: csv: no format for %s", v.Type())
}

func writeCSV(w io.Writer, findings []rampart.Finding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	row := make([]string, len(csvColumns))
	for _, f := range findings {
		v := reflect.ValueOf(f)
		for i, c := range csvColumns {
			s, err := csvValue(v.Field(c.index))
			if err != nil {
				return fmt.Errorf("%w (field %s)", err, c.name)
			}
			row[i] = s
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}
