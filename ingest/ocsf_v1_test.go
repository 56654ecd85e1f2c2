package ingest

// The json-ocsf reader as it was when it decoded with encoding/json (v1)
// into ocsfRecord, kept verbatim as the oracle of the differential tests in
// ocsf_diff_test.go: the jsontext reader must read the same records and
// fail the same way. Only names changed (v1 prefixes); the finding ID is the
// original fmt formula.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

type v1OCSFReader struct {
	name    string
	opts    Options
	dec     *json.Decoder
	started bool
	done    bool
	n       int
}

func newV1OCSFReader(r io.Reader, name string, opts Options) *v1OCSFReader {
	return &v1OCSFReader{name: name, opts: opts, dec: json.NewDecoder(r)}
}

func (o *v1OCSFReader) fatal(err error) error {
	return &RecordError{File: o.name, Record: o.n, Offset: o.dec.InputOffset(), Fatal: true, Err: err}
}

func (o *v1OCSFReader) Next() (Record, error) {
	if o.done {
		return Record{}, io.EOF
	}
	if !o.started {
		o.started = true
		if err := v1ExpectArray(o.dec); err != nil {
			o.done = true
			return Record{}, o.fatal(err)
		}
	}
	if !o.dec.More() {
		o.done = true
		if _, err := o.dec.Token(); err != nil { // the closing ']'
			return Record{}, o.fatal(v1Truncated(err))
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
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Fatal: true, Err: v1Truncated(err)}
	}
	f, t, muted, err := rec.v1Normalize(o.opts)
	if err != nil {
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Err: err}
	}
	return Record{Finding: f, Time: t, Muted: muted, Number: o.n, Offset: off}, nil
}

func v1ExpectArray(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return v1Truncated(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("want a JSON array of records, found %v", tok)
	}
	return nil
}

func v1Truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file ends in the middle of the JSON array (truncated?)")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

func (r *ocsfRecord) v1Normalize(opts Options) (f rampart.Finding, t time.Time, muted bool, err error) {
	if r.ClassUID != 0 && r.ClassUID != 2004 {
		return f, t, false, fmt.Errorf("class_uid %d is not an OCSF Detection Finding (2004)", r.ClassUID)
	}
	x := raw{
		checkID: r.Metadata.EventCode, title: r.FindingInfo.Title,
		severity: r.Severity, severityID: r.SeverityID, status: r.StatusCode,
		statusExt: r.StatusDetail, compliance: r.Unmapped.Compliance,
		muted: r.StatusID == 3 || strings.EqualFold(r.Status, "Suppressed"),
		remed: v1Remediation(r.Remediation.Desc, r.Remediation.References...),
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
	f, err = v1NormalizeRaw(&x, opts)
	return f, t, x.muted, err
}

func v1NormalizeRaw(r *raw, opts Options) (rampart.Finding, error) {
	var f rampart.Finding
	provider := strings.ToLower(strings.TrimSpace(r.provider))
	if !slices.Contains(Providers, provider) {
		if provider == "" {
			return f, errors.New("no provider (cloud.provider)")
		}
		return f, fmt.Errorf("unknown provider %q (want one of %s)", r.provider, strings.Join(Providers, ", "))
	}
	if r.checkID == "" {
		return f, errors.New("no check id (metadata.event_code)")
	}
	account := r.account
	if account == "" && provider == "kubernetes" {
		account = opts.DefaultAccount
	}
	if account == "" {
		if provider == "kubernetes" {
			return f, errors.New("kubernetes record names no cluster (unmapped.provider_uid): give the cluster as the default account")
		}
		return f, errors.New("no account (cloud.account.uid)")
	}
	// Prowler writes PASS, FAIL or MANUAL; Rampart's own OCSF export may
	// also carry NOT_EVALUATED.
	status, err := rampart.ParseStatus(r.status)
	if err != nil {
		return f, fmt.Errorf("status_code %q: want PASS, FAIL or MANUAL", r.status)
	}
	sev, err := v1Severity(r.severity, r.severityID)
	if err != nil {
		return f, err
	}
	service := r.service
	if service == "" {
		service, _, _ = strings.Cut(r.checkID, "_")
	}
	region := r.region
	switch {
	case provider == "kubernetes":
		region = r.namespace
	case provider == "aws" && slices.Contains(awsGlobalServices, service):
		region = rampart.GlobalRegion
	}
	if region == "" {
		region = rampart.GlobalRegion
	}
	ext := r.statusExt
	if r.muted {
		ext = "Muted in Prowler. " + ext
	}
	f = rampart.Finding{
		LandingZoneID: opts.LandingZoneID, AccountID: account, AccountName: r.accountName,
		Region: region, CloudProvider: provider,
		ResourceID: r.resourceID, ResourceType: r.resourceType, ResourceName: r.resourceName,
		Service: service, ControlID: r.checkID, Title: r.title, Severity: sev, Status: status,
		Remediation: r.remed, StatusExtended: strings.TrimSpace(ext),
		Scope: region, Sources: []string{rampart.SourceProwler},
	}
	if r.muted {
		f.Muted, f.MuteReason = true, "muted in Prowler"
	}
	if f.ResourceID == "" {
		f.ResourceID = f.ResourceName
	}
	if f.ResourceName == "" {
		f.ResourceName = f.ResourceID
	}
	f.Framework, f.RequirementID = v1PrimaryMapping(r.compliance)
	f.FindingID = v1FindingID(f.CloudProvider, f.LandingZoneID, f.AccountID, f.Region, f.Service, f.ResourceID, f.ControlID)
	return f, nil
}

func v1Severity(name string, id int) (rampart.Severity, error) {
	if name != "" {
		if s, err := rampart.ParseSeverity(name); err == nil {
			return s, nil
		}
	}
	switch {
	case id == 1:
		return rampart.SeverityInformational, nil
	case id == 2:
		return rampart.SeverityLow, nil
	case id == 3:
		return rampart.SeverityMedium, nil
	case id == 4:
		return rampart.SeverityHigh, nil
	case id == 5 || id == 6: // 6 is OCSF's "Fatal"
		return rampart.SeverityCritical, nil
	}
	if name == "" {
		return "", errors.New("no severity")
	}
	return "", fmt.Errorf("unknown severity %q (want Informational, Low, Medium, High or Critical)", name)
}

var v1FallbackFrameworks = []string{"PCI", "SOC2", "NIST-800-53", "ISO27001"}

func v1PrimaryMapping(c map[string][]string) (string, string) {
	var names []string
	for k, v := range c {
		if len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return "", ""
	}
	// Newest version first within a family: sort by name descending with
	// numeric-aware comparison, then pick by family preference.
	slices.SortFunc(names, func(a, b string) int { return -versionCompare(a, b) })
	pick := func(prefix string) string {
		for _, n := range names {
			if strings.HasPrefix(strings.ToUpper(n), prefix) {
				return n
			}
		}
		return ""
	}
	for _, p := range append([]string{"CIS-"}, v1FallbackFrameworks...) {
		if n := pick(p); n != "" {
			return n, strings.TrimSpace(c[n][0])
		}
	}
	slices.Sort(names)
	return names[0], strings.TrimSpace(c[names[0]][0])
}

func v1Remediation(desc string, refs ...string) string {
	desc = strings.TrimSpace(desc)
	for _, r := range refs {
		r = strings.TrimSpace(r)
		if strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") {
			if desc == "" {
				return r
			}
			return desc + " (" + r + ")"
		}
	}
	return desc
}

func v1FindingID(cloud, lz, account, region, service, resourceID, controlID string) string {
	h := sha256.New()
	for _, p := range []string{cloud, lz, account, region, service, resourceID, controlID} {
		fmt.Fprintf(h, "%d:%s|", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
