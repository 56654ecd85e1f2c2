package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rampart-cspm/rampart"
)

// ocsfRecord is the part of an OCSF Detection Finding that Rampart maps.
// The reader does not decode into it (it reads these fields straight from
// the token stream, into ocsfFields); its Go types are what a type
// mismatch says was expected, as encoding/json said when the reader used
// it, and the tests decode into it with encoding/json to check the reader
// against that decoder.
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

// The Go type names type mismatches report, one per object, array or map
// of ocsfRecord.
var (
	ocsfType            = reflect.TypeFor[ocsfRecord]()
	ocsfMetadataType    = ocsfFieldType("Metadata").String()
	ocsfUnmappedType    = ocsfFieldType("Unmapped").String()
	ocsfComplianceType  = ocsfFieldType("Unmapped", "Compliance").String()
	ocsfFindingInfoType = ocsfFieldType("FindingInfo").String()
	ocsfResourcesType   = ocsfFieldType("Resources").String()
	ocsfResourceType    = ocsfFieldType("Resources").Elem().String()
	ocsfGroupType       = ocsfResourceElem("Group").String()
	ocsfCloudType       = ocsfFieldType("Cloud").Elem().String()
	ocsfAccountType     = ocsfFieldType("Cloud").Elem().Field(0).Type.String()
	ocsfRemediationType = ocsfFieldType("Remediation").String()
	ocsfStringsType     = reflect.TypeFor[[]string]().String()
)

func ocsfFieldType(path ...string) reflect.Type {
	t := ocsfType
	for _, name := range path {
		f, _ := t.FieldByName(name)
		t = f.Type
	}
	return t
}

func ocsfResourceElem(name string) reflect.Type {
	f, _ := ocsfFieldType("Resources").Elem().FieldByName(name)
	return f.Type
}

// ocsfFields holds what the reader keeps of the record being decoded. It
// follows encoding/json's rules for a repeated key: a later scalar
// replaces an earlier one, a later object is merged into the earlier one,
// null leaves strings and numbers as they are and empties objects held by
// pointer, maps and slices.
type ocsfFields struct {
	classUID, severityID, statusID  int
	eventCode, severity, statusCode string
	status, providerUID, title      string
	statusDetail, message, timeDT   []byte // at most one of each pair is used
	createdTime, time               int64
	nResources                      int          // the length of resources
	resource                        ocsfResource // resources[0]
	hasCloud                        bool         // cloud is an object (not absent, not null)
	cloud                           ocsfCloud
	remediationDesc                 string
	references                      []string
	compliance                      []complianceEntry // one per framework name
}

type ocsfResource struct{ region, namespace, group, name, typ, uid string }

type ocsfCloud struct{ accountName, accountUID, provider, region string }

// complianceEntry is one framework of unmapped.compliance: its name, the
// first requirement listed and how many are listed.
type complianceEntry struct {
	name, first string
	n           int
}

func (r *ocsfFields) reset() {
	refs, comp := r.references, r.compliance
	sd, msg, tdt := r.statusDetail, r.message, r.timeDT
	clear(refs[:cap(refs)])
	*r = ocsfFields{references: refs[:0], compliance: comp[:0], statusDetail: sd[:0], message: msg[:0], timeDT: tdt[:0]}
}

// OCSFReader streams a json-ocsf file: one JSON array of records, read one
// element at a time from a jsontext token stream. It maps the fields of
// ocsfRecord and skips the rest without decoding them.
//
// It reads what encoding/json's Decoder read into ocsfRecord and fails
// where it failed: names match case-insensitively when no name matches
// exactly, invalid UTF-8 and lone surrogates become U+FFFD, a value of the
// wrong type is a non-fatal *RecordError naming the first such field, and
// any syntax error is fatal. Offsets are those encoding/json reported.
type OCSFReader struct {
	name    string
	opts    Options
	dec     *jsontext.Decoder
	started bool
	done    bool
	n       int

	rec     ocsfFields
	typeErr error  // the record's first type mismatch
	buf     []byte // unquoted strings that need decoding
	strs    interner
}

// NewOCSFReader reads r, a json-ocsf file called name.
func NewOCSFReader(r io.Reader, name string, opts Options) *OCSFReader {
	return &OCSFReader{name: name, opts: opts,
		dec: jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))}
}

// offset is where encoding/json's Decoder stood after peeking at the next
// token: past the whitespace before it, unless the input ends first.
func (o *OCSFReader) offset() int64 {
	off := o.dec.InputOffset()
	if _, ws, ok := o.nextByte(); ok {
		off += int64(ws)
	}
	return off
}

// nextByte returns the next byte that is not whitespace among the bytes
// the decoder has buffered (after a peek, all up to the next token), and
// how much whitespace precedes it.
func (o *OCSFReader) nextByte() (c byte, ws int, ok bool) {
	ub := o.dec.UnreadBuffer()
	for i, c := range ub {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, i, true
		}
	}
	return 0, len(ub), false
}

// fatal is an error past which the file cannot be read. read: the
// decoder has just read a token (encoding/json stood right after it), not
// failed to.
func (o *OCSFReader) fatal(err error, read bool) error {
	off := o.dec.InputOffset()
	if !read {
		off = o.offset()
	}
	return &RecordError{File: o.name, Record: o.n, Offset: off, Fatal: true, Err: err}
}

// Next returns the next record, io.EOF after the last.
func (o *OCSFReader) Next() (Record, error) {
	if o.done {
		return Record{}, io.EOF
	}
	if !o.started {
		o.started = true
		if read, err := o.expectArray(); err != nil {
			o.done = true
			return Record{}, o.fatal(err, read)
		}
	}
	if !o.more() {
		o.done = true
		if _, err := o.dec.ReadToken(); err != nil { // the closing ']'
			return Record{}, o.fatal(truncated(err), false)
		}
		if _, err := o.dec.ReadToken(); !errors.Is(err, io.EOF) {
			return Record{}, o.fatal(errors.New("data after the closing ']' of the array"), err == nil)
		}
		return Record{}, io.EOF
	}
	o.n++
	off := o.offset()
	o.rec.reset()
	o.typeErr = nil
	if err := o.record(); err != nil {
		o.done = true
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Fatal: true, Err: truncated(err)}
	}
	if o.typeErr != nil {
		// The value was read whole: the file goes on.
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Err: o.typeErr}
	}
	f, t, muted, err := o.rec.normalize(o.opts, &o.strs)
	if err != nil {
		return Record{}, &RecordError{File: o.name, Record: o.n, Offset: off, Err: err}
	}
	return Record{Finding: f, Time: t, Muted: muted, Number: o.n, Offset: off}, nil
}

// kind returns the first byte of the next value (or of ']' or '}'):
// read from the decoder's buffer past whitespace and one ',' or ':', which
// the next read validates, else from PeekKind ('0' for numbers, 0 for an
// error the next read returns).
func (o *OCSFReader) kind() byte {
	ub := o.dec.UnreadBuffer()
	i := skipSpace(ub, 0)
	if i < len(ub) && (ub[i] == ',' || ub[i] == ':') {
		i = skipSpace(ub, i+1)
	}
	if i < len(ub) {
		return ub[i]
	}
	return byte(o.dec.PeekKind())
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// more reports whether an element follows, as encoding/json's
// Decoder.More did: anything but the end of the input, ']' or '}' starts
// one (and fails there if it is not a value).
func (o *OCSFReader) more() bool {
	switch o.dec.PeekKind() {
	case ']', '}': // '}' fails when read
		return false
	case 0: // a syntax or read error, returned by the next read
		c, _, ok := o.nextByte()
		return ok && c != ']' && c != '}'
	}
	return true
}

// expectArray reads the opening '[' of a JSON array; read says whether a
// token was read.
func (o *OCSFReader) expectArray() (read bool, err error) {
	tok, err := o.dec.ReadToken()
	if err != nil {
		return false, truncated(err)
	}
	var found any
	switch tok.Kind() {
	case '[':
		return true, nil
	case '{':
		found = "{"
	case 'n':
		found = nil
	case 't', 'f':
		found = tok.Bool()
	case '"':
		found = tok.String()
	case '0':
		// encoding/json's Token read a number as a float64.
		s := tok.String()
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return true, truncated(fmt.Errorf("json: cannot unmarshal number %s into Go value of type float64", s))
		}
		found = f
	}
	return true, fmt.Errorf("want a JSON array of records, found %v", found)
}

// truncated names an unexpected end of input for what it is.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file ends in the middle of the JSON array (truncated?)")
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// mismatch records v, read whole, as a value of the wrong type for field
// (the record's first mismatch is the one reported), worded as
// encoding/json's UnmarshalTypeError: want is the Go type.
func (o *OCSFReader) mismatch(field string, v jsontext.Value, want string) {
	if o.typeErr != nil {
		return
	}
	var got string
	switch v[0] {
	case '"':
		got = "string"
	case 't', 'f':
		got = "bool"
	case '{':
		got = "object"
	case '[':
		got = "array"
	default:
		got = "number"
		if want == "int" || want == "int64" { // out of range or not an integer
			got = "number " + string(v)
		}
	}
	o.typeErr = fmt.Errorf("field %s: %s where %s was expected", field, got, want)
}

// skipOr reads a value that is not the object or array a field wants:
// null leaves the field as it is (nullFn, if any, empties it), anything
// else is a type mismatch.
func (o *OCSFReader) skipOr(field, want string, nullFn func()) error {
	v, err := o.dec.ReadValue()
	if err != nil {
		return err
	}
	if v[0] == 'n' {
		if nullFn != nil {
			nullFn()
		}
		return nil
	}
	o.mismatch(field, v, want)
	return nil
}

// str reads a string field into *dst (nil: checked and dropped); intern
// keeps one copy of values that repeat across records.
func (o *OCSFReader) str(field string, dst *string, intern bool) error {
	v, err := o.dec.ReadValue()
	if err != nil {
		return err
	}
	switch v[0] {
	case '"':
		if dst != nil {
			b := o.unquote(v)
			if intern {
				*dst = o.strs.get(b)
			} else {
				*dst = string(b)
			}
		}
	case 'n':
	default:
		o.mismatch(field, v, "string")
	}
	return nil
}

// bytesField reads a string field into *dst, reusing its memory.
func (o *OCSFReader) bytesField(field string, dst *[]byte) error {
	v, err := o.dec.ReadValue()
	if err != nil {
		return err
	}
	switch v[0] {
	case '"':
		*dst = append((*dst)[:0], o.unquote(v)...)
	case 'n':
	default:
		o.mismatch(field, v, "string")
	}
	return nil
}

// integer reads an int64 field (bits 64) or an int field (bits 0).
func (o *OCSFReader) integer(field string, bits int, dst *int64) error {
	v, err := o.dec.ReadValue()
	if err != nil {
		return err
	}
	want := "int64"
	if bits == 0 {
		want, bits = "int", strconv.IntSize
	}
	switch v[0] {
	case '"', 't', 'f', '{', '[':
		o.mismatch(field, v, want)
	case 'n':
	default:
		n, ok := parseInt(v, bits)
		if !ok {
			o.mismatch(field, v, want)
			return nil
		}
		*dst = n
	}
	return nil
}

func (o *OCSFReader) intField(field string, dst *int) error {
	n := int64(*dst)
	err := o.integer(field, 0, &n)
	*dst = int(n)
	return err
}

// parseInt reads a JSON number as an integer of the given size, as
// strconv.ParseInt does: no fraction, no exponent, in range.
func parseInt(b []byte, bits int) (int64, bool) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		n, err := strconv.ParseInt(string(b), 10, bits)
		return n, err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) != len(b) {
		n = -n
	}
	if bits < 64 && n != int64(int32(n)) {
		return 0, false
	}
	return n, true
}

// unquote returns the content of the JSON string v, escapes decoded and
// invalid UTF-8 replaced by U+FFFD. The bytes are valid until the next
// read.
func (o *OCSFReader) unquote(v jsontext.Value) []byte {
	raw := v[1 : len(v)-1]
	if plainASCII(raw) || bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw
	}
	o.buf, _ = jsontext.AppendUnquote(o.buf[:0], v) // the error only says U+FFFD replaced invalid UTF-8
	return o.buf
}

// plainASCII reports whether b is ASCII without a backslash, eight bytes
// at a time.
func plainASCII(b []byte) bool {
	const ones, highs, backslashes = 0x0101010101010101, 0x8080808080808080, 0x5c5c5c5c5c5c5c5c
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		y := x ^ backslashes // a zero byte where b has '\\'
		if (x|(y-ones)&^y)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

// object reads the members of an object whose '{' is next, calling member
// with each name's index in names (-1 for a name not in it); member reads
// the value.
func (o *OCSFReader) object(names *names, member func(i int) error) error {
	if _, err := o.dec.ReadToken(); err != nil {
		return err
	}
	for {
		v, err := o.nextName()
		if v == nil {
			return err
		}
		i := o.member(v, names)
		if i < 0 {
			if _, err := o.dec.ReadValue(); err != nil {
				return err
			}
			continue
		}
		if err := member(i); err != nil {
			return err
		}
	}
}

// nextName reads the next member name of an object, or its closing '}'
// (nil, nil). Anything else fails where it is, as encoding/json's scanner
// did, not at the end of the value it may start.
func (o *OCSFReader) nextName() (jsontext.Value, error) {
	switch o.kind() {
	case '"':
		return o.dec.ReadValue()
	case '}':
		_, err := o.dec.ReadToken()
		return nil, err
	}
	if o.dec.PeekKind() == 0 { // a syntax or read error
		_, err := o.dec.ReadToken()
		return nil, err
	}
	// A value that is not a string: jsontext would read it before saying
	// it cannot be a name, and report the end of a truncated file instead.
	c, _, _ := o.nextByte()
	return nil, fmt.Errorf("invalid character %q at start of object member name (expecting '\"')", c)
}

// names is the member names of one object of ocsfRecord, indexed by
// length for the exact match.
type names struct {
	list  []string
	byLen [16][]uint8
}

func newNames(list ...string) *names {
	t := &names{list: list}
	for i, n := range list {
		t.byLen[len(n)] = append(t.byLen[len(n)], uint8(i))
	}
	return t
}

// member finds the name v among t: the exact name, else one equal under
// encoding/json's case folding.
func (o *OCSFReader) member(v jsontext.Value, t *names) int {
	name := v[1 : len(v)-1]
	if len(name) < len(t.byLen) {
		for _, i := range t.byLen[len(name)] {
			if n := t.list[i]; name[0] == n[0] && string(name) == n {
				return int(i)
			}
		}
	}
	if !lowerASCII(name) {
		return o.memberFold(v, t)
	}
	return -1
}

// lowerASCII reports whether b is ASCII without upper-case letters or
// backslashes: a name that matches no field exactly then matches none
// under case folding either. Eight bytes at a time.
func lowerASCII(b []byte) bool {
	const ones, highs, backslashes = 0x0101010101010101, 0x8080808080808080, 0x5c5c5c5c5c5c5c5c
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		y := x ^ backslashes // a zero byte where b has '\\'
		// With no high bit set, adding 0x80-'A' sets it in bytes >= 'A',
		// adding 0x80-'Z'-1 in bytes > 'Z'.
		upper := (x + (0x80-'A')*ones) &^ (x + (0x80-'Z'-1)*ones)
		if (x|(y-ones)&^y|upper)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// memberFold is member for names with escapes, upper case or non-ASCII.
func (o *OCSFReader) memberFold(v jsontext.Value, t *names) int {
	name := o.unquote(v)
	for i, n := range t.list {
		if string(name) == n {
			return i
		}
	}
	for i, n := range t.list {
		if foldEqual(name, n) {
			return i
		}
	}
	return -1
}

// foldEqual reports whether name matches the lower-case ASCII want the way
// encoding/json matched a JSON name to a field name: ASCII letters in any
// case, and a rune whose case folding orbit's smallest member is the
// letter ("ſ" matches "s", the Kelvin sign "k").
func foldEqual(name []byte, want string) bool {
	j := 0
	for i := 0; i < len(name); {
		r, size := rune(name[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(name[i:])
			r = smallestFold(r)
			if r >= utf8.RuneSelf {
				return false
			}
		}
		i += size
		if j == len(want) || upper(byte(r)) != upper(want[j]) {
			return false
		}
		j++
	}
	return j == len(want)
}

// smallestFold returns the smallest rune that r folds to.
func smallestFold(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

var (
	recordNames = newNames("class_uid", "metadata", "severity", "severity_id", "status_code", "status_detail",
		"status_id", "status", "message", "unmapped", "finding_info", "resources", "cloud", "remediation", "time", "time_dt")
	metadataNames    = newNames("event_code", "version")
	unmappedNames    = newNames("compliance", "provider_uid")
	findingInfoNames = newNames("title", "created_time")
	resourceNames    = newNames("region", "namespace", "group", "name", "type", "uid")
	groupNames       = newNames("name")
	cloudNames       = newNames("account", "provider", "region")
	accountNames     = newNames("name", "uid")
	remediationNames = newNames("desc", "references")
)

// record reads one element of the array into o.rec. It returns an error
// only when the input cannot be read past it; type mismatches are left in
// o.typeErr.
func (o *OCSFReader) record() error {
	if o.kind() != '{' {
		return o.skipOr("", ocsfType.String(), nil)
	}
	r := &o.rec
	return o.object(recordNames, func(i int) error {
		switch i {
		case 0:
			return o.intField("class_uid", &r.classUID)
		case 1:
			return o.metadata()
		case 2:
			return o.str("severity", &r.severity, true)
		case 3:
			return o.intField("severity_id", &r.severityID)
		case 4:
			return o.str("status_code", &r.statusCode, true)
		case 5:
			return o.bytesField("status_detail", &r.statusDetail)
		case 6:
			return o.intField("status_id", &r.statusID)
		case 7:
			return o.str("status", &r.status, true)
		case 8:
			return o.bytesField("message", &r.message)
		case 9:
			return o.unmapped()
		case 10:
			return o.findingInfo()
		case 11:
			return o.resources()
		case 12:
			return o.cloud()
		case 13:
			return o.remediation()
		case 14:
			return o.integer("time", 64, &r.time)
		default:
			return o.bytesField("time_dt", &r.timeDT)
		}
	})
}

func (o *OCSFReader) metadata() error {
	if o.kind() != '{' {
		return o.skipOr("metadata", ocsfMetadataType, nil)
	}
	return o.object(metadataNames, func(i int) error {
		if i == 0 {
			return o.str("metadata.event_code", &o.rec.eventCode, true)
		}
		return o.str("metadata.version", nil, false)
	})
}

func (o *OCSFReader) unmapped() error {
	if o.kind() != '{' {
		return o.skipOr("unmapped", ocsfUnmappedType, nil)
	}
	return o.object(unmappedNames, func(i int) error {
		if i == 0 {
			return o.complianceMap()
		}
		return o.str("unmapped.provider_uid", &o.rec.providerUID, true)
	})
}

// complianceMap reads unmapped.compliance, a map of framework names to
// requirement lists, keeping each framework's first requirement.
func (o *OCSFReader) complianceMap() error {
	const field = "unmapped.compliance"
	r := &o.rec
	if o.kind() != '{' {
		return o.skipOr(field, ocsfComplianceType, func() { r.compliance = r.compliance[:0] })
	}
	if _, err := o.dec.ReadToken(); err != nil {
		return err
	}
	for {
		v, err := o.nextName()
		if v == nil {
			return err
		}
		// A repeated name replaces the earlier list, as a map key does.
		e := complianceEntry{name: o.strs.get(o.unquote(v))}
		if o.kind() != '[' {
			if err := o.skipOr(field, ocsfStringsType, nil); err != nil {
				return err
			}
		} else {
			if _, err := o.dec.ReadToken(); err != nil {
				return err
			}
			for o.kind() != ']' {
				var dst *string
				if e.n == 0 {
					dst = &e.first
				}
				if err := o.str(field, dst, true); err != nil {
					return err
				}
				e.n++
			}
			if _, err := o.dec.ReadToken(); err != nil {
				return err
			}
		}
		r.setCompliance(e)
	}
}

func (r *ocsfFields) setCompliance(e complianceEntry) {
	for i := range r.compliance {
		if r.compliance[i].name == e.name {
			r.compliance[i] = e
			return
		}
	}
	r.compliance = append(r.compliance, e)
}

func (o *OCSFReader) findingInfo() error {
	if o.kind() != '{' {
		return o.skipOr("finding_info", ocsfFindingInfoType, nil)
	}
	return o.object(findingInfoNames, func(i int) error {
		if i == 0 {
			return o.str("finding_info.title", &o.rec.title, true)
		}
		return o.integer("finding_info.created_time", 64, &o.rec.createdTime)
	})
}

// resources reads the resources array: the first element into
// o.rec.resource, the others checked and dropped. As encoding/json reused
// a slice's elements, a repeated resources key merges into the first
// element unless an empty array or null came between.
func (o *OCSFReader) resources() error {
	r := &o.rec
	empty := func() { r.nResources, r.resource = 0, ocsfResource{} }
	if o.kind() != '[' {
		return o.skipOr("resources", ocsfResourcesType, empty)
	}
	if _, err := o.dec.ReadToken(); err != nil {
		return err
	}
	n := 0
	for ; o.kind() != ']'; n++ {
		var dst *ocsfResource
		if n == 0 {
			dst = &r.resource
		}
		if err := o.resource(dst); err != nil {
			return err
		}
	}
	if _, err := o.dec.ReadToken(); err != nil {
		return err
	}
	if n == 0 {
		empty()
	} else {
		r.nResources = n
	}
	return nil
}

// resource reads one element of resources into dst (nil: checked only).
func (o *OCSFReader) resource(dst *ocsfResource) error {
	if o.kind() != '{' {
		return o.skipOr("resources", ocsfResourceType, nil)
	}
	return o.object(resourceNames, func(i int) error { return o.resourceMember(i, dst) })
}

func (o *OCSFReader) resourceMember(i int, dst *ocsfResource) error {
	var p *string
	switch i {
	case 0:
		if dst != nil {
			p = &dst.region
		}
		return o.str("resources.region", p, true)
	case 1:
		if dst != nil {
			p = &dst.namespace
		}
		return o.str("resources.namespace", p, true)
	case 2:
		if o.kind() != '{' {
			return o.skipOr("resources.group", ocsfGroupType, nil)
		}
		if dst != nil {
			p = &dst.group
		}
		return o.object(groupNames, func(int) error { return o.str("resources.group.name", p, true) })
	case 3:
		if dst != nil {
			p = &dst.name
		}
		return o.str("resources.name", p, false)
	case 4:
		if dst != nil {
			p = &dst.typ
		}
		return o.str("resources.type", p, true)
	default:
		if dst != nil {
			p = &dst.uid
		}
		return o.str("resources.uid", p, false)
	}
}

func (o *OCSFReader) cloud() error {
	r := &o.rec
	switch o.kind() {
	case '{':
	case 'n':
		return o.skipOr("cloud", ocsfCloudType, func() { r.hasCloud, r.cloud = false, ocsfCloud{} })
	default:
		return o.skipOr("cloud", ocsfCloudType, nil)
	}
	r.hasCloud = true
	c := &r.cloud
	return o.object(cloudNames, func(i int) error {
		switch i {
		case 0:
			if o.kind() != '{' {
				return o.skipOr("cloud.account", ocsfAccountType, nil)
			}
			return o.object(accountNames, func(i int) error {
				if i == 0 {
					return o.str("cloud.account.name", &c.accountName, true)
				}
				return o.str("cloud.account.uid", &c.accountUID, true)
			})
		case 1:
			return o.str("cloud.provider", &c.provider, true)
		default:
			return o.str("cloud.region", &c.region, true)
		}
	})
}

// remediation reads remediation.desc and .references. References follow
// encoding/json's reuse of a slice: a repeated key overwrites the earlier
// list element by element (null elements keep what was there) and
// shortens it to its own length.
func (o *OCSFReader) remediation() error {
	r := &o.rec
	if o.kind() != '{' {
		return o.skipOr("remediation", ocsfRemediationType, nil)
	}
	return o.object(remediationNames, func(i int) error {
		if i == 0 {
			return o.str("remediation.desc", &r.remediationDesc, true)
		}
		const field = "remediation.references"
		empty := func() {
			clear(r.references[:cap(r.references)])
			r.references = r.references[:0]
		}
		if o.kind() != '[' {
			return o.skipOr(field, ocsfStringsType, empty)
		}
		if _, err := o.dec.ReadToken(); err != nil {
			return err
		}
		n := 0
		for ; o.kind() != ']'; n++ {
			switch {
			case n < len(r.references):
			case n < cap(r.references):
				r.references = r.references[:n+1]
			default:
				r.references = append(r.references, "")
			}
			if err := o.str(field, &r.references[n], true); err != nil {
				return err
			}
		}
		if _, err := o.dec.ReadToken(); err != nil {
			return err
		}
		if n == 0 {
			empty()
		} else {
			r.references = r.references[:n]
		}
		return nil
	})
}

func (r *ocsfFields) normalize(opts Options, in *interner) (f rampart.Finding, t time.Time, muted bool, err error) {
	if r.classUID != 0 && r.classUID != 2004 {
		return f, t, false, fmt.Errorf("class_uid %d is not an OCSF Detection Finding (2004)", r.classUID)
	}
	x := raw{
		checkID: r.eventCode, title: r.title,
		severity: r.severity, severityID: r.severityID, status: r.statusCode,
		muted: r.statusID == 3 || strings.EqualFold(r.status, "Suppressed"),
		remed: r.remediation(in),
	}
	if len(r.statusDetail) > 0 {
		x.statusExt = string(r.statusDetail)
	} else {
		x.statusExt = string(r.message)
	}
	x.mapped = true
	x.framework, x.requirement = r.primaryMapping()
	if r.hasCloud {
		x.provider, x.account, x.accountName, x.region = r.cloud.provider, r.cloud.accountUID, r.cloud.accountName, r.cloud.region
	} else {
		x.provider = "kubernetes" // Prowler writes no cloud object for Kubernetes
	}
	if x.provider == "kubernetes" && r.providerUID != "" {
		x.account = r.providerUID
	}
	if r.nResources > 0 {
		res := &r.resource
		if res.region != "" {
			x.region = res.region
		}
		x.namespace = res.namespace
		x.resourceID, x.resourceName, x.resourceType, x.service = res.uid, res.name, res.typ, res.group
	}
	switch {
	case r.time > 1e11:
		// OCSF defines timestamps in milliseconds; Prowler writes seconds.
		t = time.UnixMilli(r.time).UTC()
	case r.time > 0:
		t = time.Unix(r.time, 0).UTC()
	case len(r.timeDT) > 0:
		t, _ = parseTimestamp(string(r.timeDT))
	case r.createdTime > 0:
		t = time.Unix(r.createdTime, 0).UTC()
	}
	f, err = normalize(&x, opts)
	return f, t, x.muted, err
}

// remediation is remediation(desc, references...), interned: the text
// and its link repeat for every finding of a check.
func (r *ocsfFields) remediation(in *interner) string {
	desc := strings.TrimSpace(r.remediationDesc)
	for _, ref := range r.references {
		ref = strings.TrimSpace(ref)
		if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
			if desc == "" {
				return ref
			}
			b := append(append(append(append(in.buf[:0], desc...), " ("...), ref...), ')')
			in.buf = b
			return in.get(b)
		}
	}
	return desc
}

// primaryMapping is PrimaryMapping over the record's compliance entries.
func (r *ocsfFields) primaryMapping() (string, string) {
	var buf [16]mapping
	m := buf[:0]
	for _, e := range r.compliance {
		if e.n > 0 {
			m = append(m, mapping{e.name, e.first})
		}
	}
	return primaryMapping(m)
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

// interner keeps one copy of the strings that repeat from record to record
// (providers, accounts, regions, check ids, titles, frameworks), so they
// are not allocated per record: a direct-mapped cache of internSlots
// strings of at most internLen bytes, indexed by a hash of the length and
// the first, middle and last eight bytes. A string that collides with another is
// allocated and takes the slot.
type interner struct {
	slots *[internSlots]string
	buf   []byte // for strings made of others
}

const (
	internBits  = 12
	internSlots = 1 << internBits
	internLen   = 256
)

func (in *interner) get(b []byte) string {
	if len(b) == 0 || len(b) > internLen {
		return string(b)
	}
	if in.slots == nil {
		in.slots = new([internSlots]string)
	}
	var head, mid, tail uint64
	if len(b) >= 8 {
		head = binary.LittleEndian.Uint64(b)
		mid = binary.LittleEndian.Uint64(b[len(b)/2-4:])
		tail = binary.LittleEndian.Uint64(b[len(b)-8:])
	} else {
		for i, c := range b {
			head |= uint64(c) << (8 * i)
		}
	}
	h := head*0x9e3779b97f4a7c15 ^ mid*0xbf58476d1ce4e5b9 ^ tail*0xc2b2ae3d27d4eb4f ^ uint64(len(b))*0x94d049bb133111eb
	h ^= h >> 31
	h *= 0xd6e8feb86659fd93
	h >>= 64 - internBits
	slot := &in.slots[h%internSlots]
	if *slot == string(b) {
		return *slot
	}
	s := string(b)
	*slot = s
	return s
}
