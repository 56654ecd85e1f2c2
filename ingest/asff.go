package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// asffRecord holds the fields of an AWS Security Finding Format record that
// Rampart maps.
type asffRecord struct {
	SchemaVersion string            `json:"SchemaVersion"`
	GeneratorID   string            `json:"GeneratorId"`
	AwsAccountID  string            `json:"AwsAccountId"`
	Region        string            `json:"Region"`
	Title         string            `json:"Title"`
	Description   string            `json:"Description"`
	UpdatedAt     string            `json:"UpdatedAt"`
	ProductFields map[string]string `json:"ProductFields"`
	Severity      struct {
		Label string `json:"Label"`
	} `json:"Severity"`
	Resources []struct {
		Type   string `json:"Type"`
		ID     string `json:"Id"`
		Region string `json:"Region"`
	} `json:"Resources"`
	Compliance struct {
		Status              string   `json:"Status"`
		RelatedRequirements []string `json:"RelatedRequirements"`
	} `json:"Compliance"`
	Workflow struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	Remediation struct {
		Recommendation struct {
			Text string `json:"Text"`
			URL  string `json:"Url"`
		} `json:"Recommendation"`
	} `json:"Remediation"`
}

// ASFFReader streams a json-asff file: one JSON array of ASFF records.
type ASFFReader struct {
	name    string
	opts    Options
	dec     *json.Decoder
	started bool
	done    bool
	n       int
}

// NewASFFReader reads r, a json-asff file called name.
func NewASFFReader(r io.Reader, name string, opts Options) *ASFFReader {
	return &ASFFReader{name: name, opts: opts, dec: json.NewDecoder(r)}
}

// Next returns the next record, io.EOF after the last.
func (a *ASFFReader) Next() (Record, error) {
	if a.done {
		return Record{}, io.EOF
	}
	fatal := func(err error) error {
		a.done = true
		return &RecordError{File: a.name, Record: a.n, Offset: a.dec.InputOffset(), Fatal: true, Err: err}
	}
	if !a.started {
		a.started = true
		if err := expectArray(a.dec); err != nil {
			return Record{}, fatal(err)
		}
	}
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil {
			return Record{}, fatal(truncated(err))
		}
		if _, err := a.dec.Token(); !errors.Is(err, io.EOF) {
			return Record{}, fatal(errors.New("data after the closing ']' of the array"))
		}
		a.done = true
		return Record{}, io.EOF
	}
	a.n++
	off := a.dec.InputOffset()
	var rec asffRecord
	if err := a.dec.Decode(&rec); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Record{}, &RecordError{File: a.name, Record: a.n, Offset: off,
				Err: fmt.Errorf("field %s: %s where %s was expected", te.Field, te.Value, te.Type)}
		}
		return Record{}, fatal(truncated(err))
	}
	x := raw{
		provider: "aws", account: rec.AwsAccountID, region: rec.Region, title: rec.Title,
		severity: rec.Severity.Label, statusExt: rec.Description,
		muted:      strings.EqualFold(rec.Workflow.Status, "SUPPRESSED"),
		compliance: parseCompliance(rec.Compliance.RelatedRequirements),
		remed:      remediation(rec.Remediation.Recommendation.Text, rec.Remediation.Recommendation.URL),
	}
	if rec.SchemaVersion == "" {
		return Record{}, &RecordError{File: a.name, Record: a.n, Offset: off, Err: errors.New("no SchemaVersion: not an ASFF record")}
	}
	// Prowler's generator id is "prowler-<check id>"; Rampart's export
	// writes the control id there too, and keeps it in ProductFields.
	x.checkID = rec.ProductFields["rampart/control_id"]
	if x.checkID == "" {
		x.checkID = strings.TrimPrefix(rec.GeneratorID, "prowler-")
	}
	x.service = rec.ProductFields["rampart/service"]
	if len(rec.Resources) > 0 {
		x.resourceType, x.resourceID = rec.Resources[0].Type, rec.Resources[0].ID
		if rec.Resources[0].Region != "" {
			x.region = rec.Resources[0].Region
		}
	}
	x.resourceName = rec.ProductFields["ProwlerResourceName"]
	if x.resourceName == "" {
		x.resourceName = rec.ProductFields["rampart/resource_name"]
	}
	switch strings.ToUpper(rec.Compliance.Status) {
	case "PASSED":
		x.status = "PASS"
	case "FAILED":
		x.status = "FAIL"
	case "WARNING", "NOT_AVAILABLE":
		x.status = "MANUAL"
	default:
		x.status = rec.Compliance.Status
	}
	if rec.UpdatedAt != "" {
		x.time, _ = parseTimestamp(rec.UpdatedAt)
	}
	f, err := normalize(&x, a.opts)
	if err != nil {
		return Record{}, &RecordError{File: a.name, Record: a.n, Offset: off, Err: err}
	}
	return Record{Finding: f, Time: x.time, Muted: x.muted, Number: a.n, Offset: off}, nil
}

// expectArray reads the opening '[' of a JSON array.
func expectArray(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return truncated(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want a JSON array of records, found %v", tok)
	}
	return nil
}
