package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// ocsfRecord holds the fields of an OCSF Detection Finding that Rampart
// maps; the decoder skips the rest. Every key is optional.
type ocsfRecord struct {
	ClassUID int `json:"class_uid"`
	Metadata struct {
		EventCode string `json:"event_code"`
		Version   string `json:"version"`
	} `json:"metadata"`
	Severity     string `json:"severity"`
	SeverityID   int    `json:"severity_id"`
	StatusCode   string `json:"status_code"`
	StatusDetail string `json:"status_detail"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	Message      string `json:"message"`
	Unmapped     struct {
		Compliance  map[string][]string `json:"compliance"`
		ProviderUID string              `json:"provider_uid"`
	} `json:"unmapped"`
	FindingInfo struct {
		Title       string `json:"title"`
		CreatedTime int64  `json:"created_time"`
	} `json:"finding_info"`
	Resources []struct {
		Region    string `json:"region"`
		Namespace string `json:"namespace"`
		Group     struct {
			Name string `json:"name"`
		} `json:"group"`
		Name string `json:"name"`
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"resources"`
	Cloud *struct {
		Account struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"account"`
		Provider string `json:"provider"`
		Region   string `json:"region"`
	} `json:"cloud"`
	Remediation struct {
		Desc       string   `json:"desc"`
		References []string `json:"references"`
	} `json:"remediation"`
	Time   int64  `json:"time"`
	TimeDT string `json:"time_dt"`
}

// OCSFReader streams a json-ocsf file: one JSON array of records, decoded
// one element at a time.
type OCSFReader struct {
	name    string
	opts    Options
	dec     *json.Decoder
	started bool
	done    bool
	n       int
}

// NewOCSFReader reads r, a json-ocsf file called name.
func NewOCSFReader(r io.Reader, name string, opts Options) *OCSFReader {
	return &OCSFReader{name: name, opts: opts, dec: json.NewDecoder(r)}
}

func (o *OCSFReader) fatal(err error) error {
	return &RecordError{File: o.name, Record: o.n, Offset: o.dec.InputOffset(), Fatal: true, Err: err}
}

// Next returns the next record, io.EOF after the last.
func (o *OCSFReader) Next() (Record, error) {
	if o.done {
		return Record{}, io.EOF
	}
	if !o.started {
		o.started = true
		if err := expectArray(o.dec); err != nil {
			o.done = true
			return Record{}, o.fatal(err)
		}
	}
	if !o.dec.More() {
		o.done = true
		if _, err := o.dec.Token(); err != nil { // the closing ']'
			return Record{}, o.fatal(truncated(err))
		}
		if _, err := o.dec.Token(); !errors.Is(err, io.EOF) {
			return Record{}, o.fatal(errors.New("data after the closing ']' of the array"))
		}
		return Record{}, io.EOF
	}
	o.n++
	off := o.dec.InputOffset()
	var rec ocsfRecord
	if err := o.dec.Decode(&rec); err != nil {
		o.done = true
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// The value was read whole: the file goes on.
			o.done = false
			return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off,
				Err: fmt.Errorf("field %s: %s where %s was expected", te.Field, te.Value, te.Type)}
		}
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Fatal: true, Err: truncated(err)}
	}
	f, t, muted, err := rec.normalize(o.opts)
	if err != nil {
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Err: err}
	}
	return Record{Finding: f, Time: t, Muted: muted, Number: o.n, Offset: off}, nil
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

// truncated names an unexpected end of input for what it is.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file ends in the middle of the JSON array (truncated?)")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

func (r *ocsfRecord) normalize(opts Options) (f rampart.Finding, t time.Time, muted bool, err error) {
	if r.ClassUID != 0 && r.ClassUID != 2004 {
		return f, t, false, fmt.Errorf("class_uid %d is not an OCSF Detection Finding (2004)", r.ClassUID)
	}
	x := raw{
		checkID: r.Metadata.EventCode, title: r.FindingInfo.Title,
		severity: r.Severity, severityID: r.SeverityID, status: r.StatusCode,
		statusExt: r.StatusDetail, compliance: r.Unmapped.Compliance,
		muted: r.StatusID == 3 || strings.EqualFold(r.Status, "Suppressed"),
		remed: remediation(r.Remediation.Desc, r.Remediation.References...),
	}
	if x.statusExt == "" {
		x.statusExt = r.Message
	}
	if r.Cloud != nil {
		x.provider, x.account, x.accountName, x.region = r.Cloud.Provider, r.Cloud.Account.UID, r.Cloud.Account.Name, r.Cloud.Region
	} else {
		x.provider = "kubernetes" // Prowler writes no cloud object for Kubernetes
	}
	if x.provider == "kubernetes" && r.Unmapped.ProviderUID != "" {
		x.account = r.Unmapped.ProviderUID
	}
	if len(r.Resources) > 0 {
		res := r.Resources[0]
		if res.Region != "" {
			x.region = res.Region
		}
		x.namespace = res.Namespace
		x.resourceID, x.resourceName, x.resourceType, x.service = res.UID, res.Name, res.Type, res.Group.Name
	}
	switch {
	case r.Time > 1e11:
		// OCSF defines timestamps in milliseconds; Prowler writes seconds.
		t = time.UnixMilli(r.Time).UTC()
	case r.Time > 0:
		t = time.Unix(r.Time, 0).UTC()
	case r.TimeDT != "":
		t, _ = parseTimestamp(r.TimeDT)
	case r.FindingInfo.CreatedTime > 0:
		t = time.Unix(r.FindingInfo.CreatedTime, 0).UTC()
	}
	f, err = normalize(&x, opts)
	return f, t, x.muted, err
}

// parseTimestamp reads Prowler's timestamps: RFC 3339, or ISO 8601 without
// a zone ("2025-02-14T14:27:03.913874", "2025-02-14 14:27:03.913874"),
// taken as UTC.
func parseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want ISO 8601", s)
}
