package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvRequired are the columns a Prowler CSV must have.
var csvRequired = []string{"PROVIDER", "ACCOUNT_UID", "CHECK_ID", "STATUS", "SEVERITY", "REGION", "RESOURCE_UID"}

// CSVReader streams Prowler's ';'-delimited CSV, finding columns by their
// header names (Prowler adds columns between versions).
type CSVReader struct {
	name string
	opts Options
	r    *csv.Reader
	col  map[string]int
	rec  []string
	n    int
}

// NewCSVReader reads the header of r, a Prowler CSV file called name. A
// header missing a required column is a fatal *RecordError.
func NewCSVReader(r io.Reader, name string, opts Options) (*CSVReader, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	c := &CSVReader{name: name, opts: opts, r: cr, col: map[string]int{}}
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty CSV: no header")
		}
		return nil, &RecordError{File: name, Fatal: true, Err: fmt.Errorf("CSV header: %w", err)}
	}
	for i, h := range header {
		h = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := c.col[h]; !dup {
			c.col[h] = i
		}
	}
	var missing []string
	for _, h := range csvRequired {
		if _, ok := c.col[h]; !ok {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return nil, &RecordError{File: name, Fatal: true, Err: fmt.Errorf("CSV header lacks column(s) %s", strings.Join(missing, ", "))}
	}
	return c, nil
}

func (c *CSVReader) get(col string) string {
	i, ok := c.col[col]
	if !ok || i >= len(c.rec) {
		return ""
	}
	return c.rec[i]
}

// Next returns the next record, io.EOF after the last.
func (c *CSVReader) Next() (Record, error) {
	off := c.r.InputOffset()
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return Record{}, io.EOF
	}
	c.n++
	if err != nil {
		// encoding/csv resynchronises at the next line: only this record is lost.
		return Record{}, &RecordError{File: c.name, Record: c.n, Offset: off, Err: err}
	}
	c.rec = rec
	if len(rec) != len(c.col) && len(rec) < len(c.col) {
		return Record{}, &RecordError{File: c.name, Record: c.n, Offset: off,
			Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(c.col))}
	}
	x := raw{
		provider: c.get("PROVIDER"), account: c.get("ACCOUNT_UID"), accountName: c.get("ACCOUNT_NAME"),
		region: c.get("REGION"), resourceID: c.get("RESOURCE_UID"), resourceName: c.get("RESOURCE_NAME"),
		resourceType: c.get("RESOURCE_TYPE"), service: c.get("SERVICE_NAME"), checkID: c.get("CHECK_ID"),
		title: c.get("CHECK_TITLE"), severity: c.get("SEVERITY"), status: c.get("STATUS"),
		statusExt:  c.get("STATUS_EXTENDED"),
		muted:      strings.EqualFold(strings.TrimSpace(c.get("MUTED")), "true"),
		remed:      remediation(c.get("REMEDIATION_RECOMMENDATION_TEXT"), c.get("REMEDIATION_RECOMMENDATION_URL")),
		compliance: parseCompliance(strings.Split(c.get("COMPLIANCE"), "|")),
	}
	if strings.EqualFold(x.provider, "kubernetes") {
		x.namespace = x.region
	}
	if ts := c.get("TIMESTAMP"); ts != "" {
		x.time, _ = parseTimestamp(ts)
	}
	f, err := normalize(&x, c.opts)
	if err != nil {
		return Record{}, &RecordError{File: c.name, Record: c.n, Offset: off, Err: err}
	}
	return Record{Finding: f, Time: x.time, Muted: x.muted, Number: c.n, Offset: off}, nil
}
