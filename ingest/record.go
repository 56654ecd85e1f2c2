package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Format names a Prowler output format.
type Format string

// Formats Prowler writes.
const (
	FormatOCSF Format = "json-ocsf"
	FormatCSV  Format = "csv"
	FormatASFF Format = "json-asff"
)

// Options say where ingested findings belong.
type Options struct {
	// LandingZoneID is part of every finding's dedup key.
	LandingZoneID string
	// DefaultAccount is the account of Kubernetes records that name no
	// cluster (Prowler's Kubernetes OCSF records carry no cloud object).
	DefaultAccount string
}

// Record is one Prowler record in the shared schema.
type Record struct {
	// Finding has its dedup key computed and Scope set to its region;
	// owner, environment and risk are left to Enrich.
	Finding rampart.Finding
	// Time is when Prowler evaluated the record (its scan time); zero when
	// the record does not say.
	Time time.Time
	// Muted: Prowler muted the finding (OCSF status_id 3, CSV MUTED True,
	// ASFF workflow SUPPRESSED).
	Muted bool
	// Number is the record's 1-based position in its file; Offset the byte
	// offset where it starts (CSV: where its line starts).
	Number int
	Offset int64
}

// Reader yields a file's records in order. Next returns io.EOF after the
// last one. A *RecordError with Fatal false concerns that record only and
// the reader can go on; any other error ends the file.
type Reader interface {
	Next() (Record, error)
}

// RecordError is a record that cannot be read or mapped.
type RecordError struct {
	File   string
	Record int   // 1-based; 0 when the error is not in a record (header, array start)
	Offset int64 // byte offset in the file
	Fatal  bool  // the file cannot be read past this point
	Err    error
}

func (e *RecordError) Error() string {
	if e.Record == 0 {
		return fmt.Sprintf("%s: byte %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: record %d (byte %d): %v", e.File, e.Record, e.Offset, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// Skippable reports whether err concerns one record only.
func Skippable(err error) bool {
	var re *RecordError
	return errors.As(err, &re) && !re.Fatal
}

// Open detects r's format from its first bytes and returns a reader for it.
// name is the file name errors carry.
func Open(r io.Reader, name string, opts Options) (Reader, Format, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	f, err := Detect(br)
	if err != nil {
		return nil, "", &RecordError{File: name, Fatal: true, Err: err}
	}
	var rd Reader
	switch f {
	case FormatOCSF:
		rd = NewOCSFReader(br, name, opts)
	case FormatASFF:
		rd = NewASFFReader(br, name, opts)
	case FormatCSV:
		rd, err = NewCSVReader(br, name, opts)
	}
	if err != nil {
		return nil, "", err
	}
	return rd, f, nil
}

// Detect peeks at br (consuming nothing) and names the format: a JSON
// array whose first record has "SchemaVersion" is ASFF, any other JSON
// array OCSF (an empty array too), and a first line naming the CHECK_ID
// column CSV.
func Detect(br *bufio.Reader) (Format, error) {
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("read: %w", err)
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "", errors.New("empty file: want Prowler json-ocsf, csv or json-asff output")
	case trimmed[0] == '[':
		if bytes.Contains(head, []byte(`"SchemaVersion"`)) && !bytes.Contains(head, []byte(`"class_uid"`)) {
			return FormatASFF, nil
		}
		return FormatOCSF, nil
	case trimmed[0] == '{':
		return "", errors.New("a JSON object, not an array: Prowler json-ocsf and json-asff files are one JSON array of records")
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.Contains(line, []byte("CHECK_ID")) && bytes.Contains(line, []byte(";")) {
		return FormatCSV, nil
	}
	return "", errors.New("unknown format: want Prowler json-ocsf (a JSON array), json-asff (a JSON array) or csv (';'-delimited with a CHECK_ID column)")
}

// Providers Prowler scans that Rampart ingests.
var Providers = []string{"aws", "azure", "gcp", "kubernetes"}

// awsGlobalServices are AWS services whose findings are global: native
// findings of these services use region "global", so Prowler's must too for
// the two to be one finding.
var awsGlobalServices = []string{"iam", "organizations", "account", "cloudfront", "route53"}

// raw is what every format yields before the shared normalization.
type raw struct {
	provider, account, accountName, region, namespace  string
	resourceID, resourceName, resourceType, service    string
	checkID, title, severity, status, statusExt, remed string
	severityID                                         int
	muted                                              bool
	compliance                                         map[string][]string
	// mapped: the reader chose framework and requirement itself (with
	// primaryMapping) instead of handing over compliance.
	mapped                 bool
	framework, requirement string
	time                   time.Time
}

// normalize maps r into the shared schema or says which field is wrong.
func normalize(r *raw, opts Options) (rampart.Finding, error) {
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
	sev, err := severity(r.severity, r.severityID)
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
	if r.mapped {
		f.Framework, f.RequirementID = r.framework, r.requirement
	} else {
		f.Framework, f.RequirementID = PrimaryMapping(r.compliance)
	}
	f.ComputeID()
	return f, nil
}

// severity reads the severity name, or the OCSF severity_id when the name
// is absent or unknown.
func severity(name string, id int) (rampart.Severity, error) {
	switch name { // the spellings Prowler writes, without allocating
	case "Critical", "critical":
		return rampart.SeverityCritical, nil
	case "High", "high":
		return rampart.SeverityHigh, nil
	case "Medium", "medium":
		return rampart.SeverityMedium, nil
	case "Low", "low":
		return rampart.SeverityLow, nil
	case "Informational", "informational":
		return rampart.SeverityInformational, nil
	}
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

// primaryFamilies are the framework name prefixes PrimaryMapping prefers,
// in order.
var primaryFamilies = []string{"CIS-", "PCI", "SOC2", "NIST-800-53", "ISO27001"}

// PrimaryMapping picks the framework and requirement a finding shows from
// Prowler's compliance map: CIS first (the newest version), then PCI DSS,
// SOC 2, NIST 800-53, ISO 27001 (newest of each), then the first framework
// by name. Frameworks with no requirement are ignored.
func PrimaryMapping(c map[string][]string) (string, string) {
	var buf [16]mapping
	m := buf[:0]
	for k, v := range c {
		if len(v) > 0 {
			m = append(m, mapping{k, v[0]})
		}
	}
	return primaryMapping(m)
}

// mapping is a framework of a compliance map and the first requirement it
// lists.
type mapping struct{ framework, first string }

// primaryMapping is PrimaryMapping over each framework's first
// requirement: the newest framework (by versionCompare) of the first
// family that has one, else the first name in byte order.
func primaryMapping(m []mapping) (string, string) {
	var upperBuf [16]string
	upper := upperBuf[:0]
	n := 0
	for _, e := range m {
		if strings.TrimSpace(e.first) != "" {
			m[n] = e
			upper = append(upper, strings.ToUpper(e.framework))
			n++
		}
	}
	m = m[:n]
	if n == 0 {
		return "", ""
	}
	for _, p := range primaryFamilies {
		best := -1
		for i, e := range m {
			if strings.HasPrefix(upper[i], p) && (best < 0 || versionCompare(e.framework, m[best].framework) > 0) {
				best = i
			}
		}
		if best >= 0 {
			return m[best].framework, strings.TrimSpace(m[best].first)
		}
	}
	first := 0
	for i, e := range m {
		if e.framework < m[first].framework {
			first = i
		}
	}
	return m[first].framework, strings.TrimSpace(m[first].first)
}

// versionCompare compares strings piecewise, digit runs as numbers:
// "CIS-10.0" > "CIS-3.0" > "CIS-1.5".
func versionCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := digits(a)
			nb, rb := digits(b)
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) (uint64, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n, _ := strconv.ParseUint(s[:min(i, 18)], 10, 64)
	return n, s[i:]
}

// parseCompliance reads Prowler's textual compliance list, as CSV writes
// it ("CIS-1.4: 1.20 | KISA: 2.5.6, 2.6.4") and ASFF's related
// requirements do (one "FRAMEWORK: id, id" per entry).
func parseCompliance(entries []string) map[string][]string {
	out := map[string][]string{}
	for _, e := range entries {
		fw, reqs, ok := strings.Cut(e, ":")
		if !ok {
			fw, reqs, ok = strings.Cut(strings.TrimSpace(e), " ")
		}
		fw = strings.TrimSpace(fw)
		if !ok || fw == "" {
			continue
		}
		for _, r := range strings.Split(reqs, ",") {
			if r = strings.TrimSpace(r); r != "" {
				out[fw] = append(out[fw], r)
			}
		}
	}
	return out
}

// remediation joins the text and the first URL among refs.
func remediation(desc string, refs ...string) string {
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
