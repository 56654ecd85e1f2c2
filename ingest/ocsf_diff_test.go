package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var diffOpts = Options{LandingZoneID: "lz-diff", DefaultAccount: "cluster-1"}

// outcome is what one Next call gave, in a form two readers can be
// compared by.
type outcome struct {
	rec   Record
	err   string
	fatal bool
	num   int
	off   int64
	eof   bool
}

func readOutcomes(t *testing.T, r Reader) []outcome {
	t.Helper()
	var out []outcome
	for range 100_000 {
		rec, err := r.Next()
		switch {
		case errors.Is(err, io.EOF):
			return append(out, outcome{eof: true})
		case err != nil:
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a RecordError", err)
			}
			out = append(out, outcome{err: re.Err.Error(), fatal: re.Fatal, num: re.Record, off: re.Offset})
			if re.Fatal {
				// A reader that failed for good only says EOF after.
				if _, err := r.Next(); !errors.Is(err, io.EOF) {
					t.Fatalf("Next after a fatal error: %v, want io.EOF", err)
				}
				return out
			}
		default:
			out = append(out, outcome{rec: rec})
		}
	}
	t.Fatal("reader does not end")
	return nil
}

// sameError reports whether the jsontext reader's error text matches
// encoding/json's. Syntax errors are worded by the JSON decoder, so they
// only need to be syntax errors on both sides.
func sameError(got, want string) bool {
	const malformed = "malformed JSON: "
	if strings.HasPrefix(want, malformed) {
		return strings.HasPrefix(got, malformed)
	}
	return got == want
}

// diffOCSF reads b with the jsontext reader and with the encoding/json one
// it replaced and fails on any difference: records, their numbers and
// offsets, error texts, which errors are fatal.
func diffOCSF(t *testing.T, b []byte) {
	t.Helper()
	got := readOutcomes(t, NewOCSFReader(bytes.NewReader(b), "f", diffOpts))
	want := readOutcomes(t, newV1OCSFReader(bytes.NewReader(b), "f", diffOpts))
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) {
			t.Fatalf("input %q:\nNext #%d: got %d outcomes, encoding/json %d (last got %+v, want %+v)", b, i+1, len(got), len(want), got[len(got)-1], want[len(want)-1])
		}
		g, w := got[i], want[i]
		switch {
		case g.eof != w.eof, g.fatal != w.fatal, g.num != w.num, g.off != w.off, !sameError(g.err, w.err):
			t.Fatalf("input %q:\nNext #%d: got error %q (fatal %v, record %d, byte %d, eof %v)\nencoding/json: %q (fatal %v, record %d, byte %d, eof %v)",
				b, i+1, g.err, g.fatal, g.num, g.off, g.eof, w.err, w.fatal, w.num, w.off, w.eof)
		case !g.rec.Time.Equal(w.rec.Time):
			t.Fatalf("input %q:\nNext #%d: time %v, encoding/json %v", b, i+1, g.rec.Time, w.rec.Time)
		}
		g.rec.Time = w.rec.Time
		if !reflect.DeepEqual(g.rec, w.rec) {
			t.Fatalf("input %q:\nNext #%d: record\n%+v\nencoding/json:\n%+v", b, i+1, g.rec, w.rec)
		}
	}
}

// good is a record that maps.
const good = `{"metadata":{"event_code":"s3_bucket_x","version":"1.4.0"},"severity":"High","severity_id":4,"status_code":"FAIL","status_detail":"bucket b is open","status_id":1,"status":"New","message":"m","unmapped":{"compliance":{"CIS-3.0":["2.1"],"SOC2":["cc_1"]},"provider_uid":"p"},"finding_info":{"title":"T","created_time":1739539623},"resources":[{"region":"eu-west-1","namespace":"ns","group":{"name":"s3"},"name":"b","type":"AwsS3Bucket","uid":"arn:aws:s3:::b"}],"cloud":{"account":{"name":"prod","uid":"111111111111"},"provider":"aws","region":"us-east-1"},"remediation":{"desc":"Fix it.","references":["cli","https://docs/x"]},"time":1739539623,"time_dt":"2025-02-14T14:27:03"}`

// edit replaces the first old in good.
func edit(old, new string) string {
	if !strings.Contains(good, old) {
		panic("edit: " + old)
	}
	return strings.Replace(good, old, new, 1)
}

// add inserts members at the start of good's object.
func add(members string) string { return "{" + members + "," + good[1:] }

var diffCases = []string{
	// Arrays and what surrounds them.
	``, ` `, `[]`, ` [ ] `, `[`, `[ `, `]`, `}`, `{}`, `{"a":1}`, `"abc"`, `5`, `-1.5e3`, `1e400`, `5x`, `null`, `true`, `tru`, `x`,
	"\xef\xbb\xbf[]", `[]]`, `[] x`, `[]   `, `[] 5`, `[] [`, `[] {}`, `[] "`, `[]x`, `[} `, `[,]`,
	`[` + good + `]`, `[` + good + `,` + good + `]`, `[` + good, `[` + good + `,`, `[` + good + ` }`, `[` + good + ` x`,
	`[` + good + `,]`, `[` + good + ` ,  }`, `[` + good + "] \n", `[` + good + `] x`, `[` + good + `]]`,
	"[\n  " + good + ",\n  " + good + "\n]\n", `[` + good[:len(good)/2],
	// Elements that are not objects.
	`[null]`, `[1]`, `[-0]`, `["x"]`, `[true]`, `[[]]`, `[[1,2],` + good + `]`, `[1,` + good + `]`,
	// Type mismatches, each where encoding/json reported it.
	`[` + edit(`"High"`, `7`) + `,` + good + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":"4"`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":4.5`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":1e2`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":99999999999999999999`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":-9223372036854775808`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":{"a":[1]}`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":[]`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":true`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":"now"`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":1739539623000`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":0`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":null`) + `]`,
	`[` + edit(`"time":1739539623,`, ``) + `]`,
	`[` + edit(`"time":1739539623,`, `"time":-5,`) + `]`,
	`[` + edit(`"time":1739539623,"time_dt":"2025-02-14T14:27:03"`, `"time_dt":" 2025-02-14 14:27:03.5 "`) + `]`,
	`[` + edit(`"time":1739539623,"time_dt":"2025-02-14T14:27:03"`, `"time_dt":"yesterday"`) + `]`,
	`[` + edit(`"time":1739539623,"time_dt":"2025-02-14T14:27:03"`, `"time_dt":5`) + `]`,
	`[` + edit(`"metadata":{`, `"metadata":5,"x":{`) + `]`,
	`[` + edit(`"metadata":{`, `"metadata":[],"x":{`) + `]`,
	`[` + edit(`"metadata":{`, `"metadata":null,"x":{`) + `]`,
	`[` + edit(`"version":"1.4.0"`, `"version":1.4`) + `]`,
	`[` + edit(`"compliance":{`, `"compliance":[],"x":{`) + `]`,
	`[` + edit(`"compliance":{`, `"compliance":"x","x":{`) + `]`,
	`[` + edit(`["2.1"]`, `"2.1"`) + `]`,
	`[` + edit(`["2.1"]`, `[2.1]`) + `]`,
	`[` + edit(`["2.1"]`, `{"a":1}`) + `]`,
	`[` + edit(`["2.1"]`, `null`) + `]`,
	`[` + edit(`["2.1"]`, `[null,"2.2"]`) + `]`,
	`[` + edit(`["2.1"]`, `[" ","2.2"]`) + `]`,
	`[` + edit(`["2.1"]`, `[]`) + `]`,
	`[` + edit(`"CIS-3.0":["2.1"]`, `"CIS-3.0":["2.1"],"CIS-10.0":["9.9"],"CIS-3.0":[]`) + `]`,
	`[` + edit(`"CIS-3.0":["2.1"]`, `"CIS-1.4":["1.20"],"CIS-1.4":["1.21"],"cis-2.0":["2.2"]`) + `]`,
	`[` + edit(`"CIS-3.0":["2.1"],"SOC2":["cc_1"]`, `"MITRE":["T1"],"ENS":[" op.1 "],"ISO27001-2013":["A.1"],"ISO27001-2022":["A.2"]`) + `]`,
	`[` + edit(`"CIS-3.0":["2.1"],"SOC2":["cc_1"]`, `"\u017foc2":["x"],"PCI-4.0":["1.1"]`) + `]`,
	`[` + edit(`"compliance":{"CIS-3.0":["2.1"],"SOC2":["cc_1"]}`, `"compliance":{"CIS-3.0":["2.1"]},"compliance":{"SOC2":["cc_1"]},"compliance":null,"compliance":{"PCI":["p"]}`) + `]`,
	`[` + edit(`"compliance":{"CIS-3.0":["2.1"],"SOC2":["cc_1"]}`, `"compliance":{"CIS-3.0":["2.1"]},"compliance":{"PCI":["p"]}`) + `]`,
	`[` + edit(`"unmapped":{`, `"unmapped":"u","x":{`) + `]`,
	`[` + edit(`"provider_uid":"p"`, `"provider_uid":["p"]`) + `]`,
	`[` + edit(`"finding_info":{`, `"finding_info":true,"x":{`) + `]`,
	`[` + edit(`"created_time":1739539623`, `"created_time":"x"`) + `]`,
	`[` + edit(`"resources":[`, `"resources":{},"x":[`) + `]`,
	`[` + edit(`"resources":[`, `"resources":"r","x":[`) + `]`,
	`[` + edit(`"resources":[`, `"resources":[5,`) + `]`,
	`[` + edit(`"resources":[`, `"resources":[null,`) + `]`,
	`[` + edit(`"resources":[{`, `"resources":[{"region":"ap-1"},{"region":5},{`) + `]`,
	`[` + edit(`"resources":[{`, `"resources":[],"x":[{`) + `]`,
	`[` + edit(`"cloud":{`, `"resources":[{"uid":"first","name":"n1"},{"uid":"second"}],"resources":[{"uid":"merged"}],"cloud":{`) + `]`,
	`[` + edit(`"cloud":{`, `"resources":[{"uid":"first","name":"n1"}],"resources":[],"resources":[{"uid":"fresh"}],"cloud":{`) + `]`,
	`[` + edit(`"cloud":{`, `"resources":[{"uid":"first","name":"n1"}],"resources":null,"resources":[{"uid":"fresh"}],"cloud":{`) + `]`,
	`[` + edit(`"cloud":{`, `"resources":[{"uid":"first","name":"n1"}],"resources":[null],"cloud":{`) + `]`,
	`[` + edit(`"group":{"name":"s3"}`, `"group":"s3"`) + `]`,
	`[` + edit(`"group":{"name":"s3"}`, `"group":{"name":3}`) + `]`,
	`[` + edit(`"group":{"name":"s3"}`, `"group":null`) + `]`,
	`[` + edit(`"group":{"name":"s3"}`, `"group":{"name":"iam"}`) + `]`,
	`[` + edit(`"uid":"arn:aws:s3:::b"`, `"uid":""`) + `]`,
	`[` + edit(`"name":"b","type"`, `"type"`) + `]`,
	`[` + edit(`"cloud":{`, `"cloud":null,"x":{`) + `]`,
	`[` + edit(`"cloud":{`, `"cloud":[],"x":{`) + `]`,
	`[` + edit(`"cloud":{`, `"cloud":7,"x":{`) + `]`,
	`[` + edit(`"account":{`, `"account":"a","x":{`) + `]`,
	`[` + edit(`"uid":"111111111111"`, `"uid":111111111111`) + `]`,
	`[` + edit(`"uid":"111111111111"`, `"uid":""`) + `]`,
	`[` + edit(`"provider":"aws"`, `"provider":"oracle"`) + `]`,
	`[` + edit(`"provider":"aws"`, `"provider":" AWS "`) + `]`,
	`[` + edit(`"provider":"aws"`, `"provider":"kubernetes"`) + `]`,
	`[` + edit(`"provider":"aws"`, `"provider":""`) + `]`,
	`[` + edit(`"provider":"aws"`, `"provider":false`) + `]`,
	`[` + edit(`"cloud":{"account":{"name":"prod","uid":"111111111111"},"provider":"aws","region":"us-east-1"},`, ``) + `]`,
	`[` + edit(`"cloud":{"account":{"name":"prod","uid":"111111111111"},"provider":"aws","region":"us-east-1"},`, `"cloud":{"account":{"name":"prod","uid":"1"},"provider":"aws"},"cloud":{"region":"r"},`) + `]`,
	`[` + edit(`"cloud":{"account":{"name":"prod","uid":"111111111111"},"provider":"aws","region":"us-east-1"},`, `"cloud":{"account":{"name":"prod","uid":"1"},"provider":"aws"},"cloud":null,`) + `]`,
	`[` + edit(`"remediation":{`, `"remediation":[],"x":{`) + `]`,
	`[` + edit(`["cli","https://docs/x"]`, `"https://x"`) + `]`,
	`[` + edit(`["cli","https://docs/x"]`, `[1]`) + `]`,
	`[` + edit(`["cli","https://docs/x"]`, `null`) + `]`,
	`[` + edit(`["cli","https://docs/x"]`, `[" http://a "]`) + `]`,
	`[` + edit(`"references":["cli","https://docs/x"]`, `"references":["a","http://b","c"],"references":["d"],"references":[null,null,null,null]`) + `]`,
	`[` + edit(`"references":["cli","https://docs/x"]`, `"references":["a","http://b"],"references":[],"references":[null,null]`) + `]`,
	`[` + edit(`"references":["cli","https://docs/x"]`, `"references":["a","http://b"],"references":null,"references":[null,null]`) + `]`,
	`[` + edit(`"desc":"Fix it."`, `"desc":"  "`) + `]`,
	// Mapping errors and muting.
	`[` + edit(`"metadata":{"event_code":"s3_bucket_x","version":"1.4.0"},`, ``) + `]`,
	`[` + edit(`"status_code":"FAIL"`, `"status_code":"MAYBE"`) + `]`,
	`[` + edit(`"status_code":"FAIL"`, `"status_code":" pass "`) + `]`,
	`[` + edit(`"severity":"High"`, `"severity":"bad"`) + `]`,
	`[` + edit(`"severity":"High"`, `"severity":"CRITICAL"`) + `]`,
	`[` + edit(`"severity":"High","severity_id":4`, `"severity":"","severity_id":6`) + `]`,
	`[` + edit(`"severity":"High","severity_id":4`, `"severity_id":9`) + `]`,
	`[` + edit(`"severity":"High"`, `"severity":"info"`) + `]`,
	`[` + edit(`"status_id":1`, `"status_id":3`) + `]`,
	`[` + edit(`"status":"New"`, `"status":"suppressed"`) + `]`,
	`[` + edit(`"status_detail":"bucket b is open"`, `"status_detail":""`) + `]`,
	`[` + edit(`"status_detail":"bucket b is open","status_id":1`, `"status_detail":"  ","status_id":3`) + `]`,
	`[` + add(`"class_uid":2001`) + `]`,
	`[` + add(`"class_uid":2004`) + `]`,
	`[` + add(`"class_uid":"2004"`) + `]`,
	`[{"class_uid": 2001}]`, `[{}]`, `[{"cloud":{"provider":"kubernetes"},"metadata":{"event_code":"k"},"severity":"low","status_code":"PASS"}]`,
	// Names: exact first, then case-insensitive, as encoding/json matched them.
	`[` + add(`"SEVERITY":"low"`) + `]`,
	`[` + edit(`"severity":"High"`, `"Severity":"Low"`) + `]`,
	`[` + edit(`"severity":"High"`, `"Severity":"Low","severity":"High","SEVERITY":"Critical"`) + `]`,
	`[` + edit(`"status_code":"FAIL"`, `"\u017ftatus_code":"PASS"`) + `]`,
	`[` + edit(`"status_code":"FAIL"`, `"STATUS_CODE":"PASS"`) + `]`,
	`[` + edit(`"title":"T"`, `"t\u0131tle":"dotless"`) + `]`,
	`[` + edit(`"title":"T"`, `"t\u0130tle":"dotted"`) + `]`,
	`[` + edit(`"title":"T"`, `"t\u00eftle":"no"`) + `]`,
	`[` + edit(`"event_code":"s3_bucket_x"`, `"event_\u212aode":"kelvin"`) + `]`,
	`[` + edit(`"event_code":"s3_bucket_x"`, `"\u0065vent_code":"escaped"`) + `]`,
	`[` + edit(`"event_code":"s3_bucket_x"`, `"event_code\u0000":"nul"`) + `]`,
	`[` + edit(`"event_code":"s3_bucket_x"`, "\"event_code\xff\":\"invalid\"") + `]`,
	`[` + edit(`"resources":[`, `"Resources":[`) + `]`,
	`[` + edit(`"cloud":{`, `"CLOUD":{`) + `]`,
	`[` + edit(`"uid":"arn:aws:s3:::b"`, `"UID":"upper"`) + `]`,
	// Strings: escapes, invalid UTF-8, lone surrogates.
	`[` + edit(`"title":"T"`, `"title":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`) + `]`,
	`[` + edit(`"title":"T"`, `"title":"lone \ud800 high"`) + `]`,
	`[` + edit(`"title":"T"`, `"title":"lone \udc00 low"`) + `]`,
	`[` + edit(`"title":"T"`, `"title":"pair? \ud800\u0041"`) + `]`,
	`[` + edit(`"title":"T"`, `"title":"two highs \ud800\ud800"`) + `]`,
	`[` + edit(`"title":"T"`, "\"title\":\"bad \xff\xfe utf8 \xe2\x82 \xed\xa0\x80\"") + `]`,
	`[` + edit(`"title":"T"`, "\"title\":\"ctl \x01\"") + `]`,
	`[` + edit(`"title":"T"`, `"title":"bad \x escape"`) + `]`,
	`[` + edit(`"title":"T"`, "\"title\":\"é ü 日本\"") + `]`,
	`[` + edit(`"uid":"arn:aws:s3:::b"`, "\"uid\":\"arn\\u003a\xff\"") + `]`,
	`[` + edit(`"CIS-3.0":["2.1"]`, "\"CIS-3.0\xff\":[\"\\u0032.1\xfe\"]") + `]`,
	// Syntax errors inside a record.
	`[` + edit(`"title":"T"`, `"title":"T",`) + `]`,
	`[` + edit(`"title":"T"`, `"title" "T"`) + `]`,
	`[` + edit(`"title":"T"`, `title:"T"`) + `]`,
	`[` + edit(`"title":"T"`, `"title":T`) + `]`,
	`[` + edit(`"High"`, `7`) + `,` + good[:100],
	`[` + edit(`"High"`, `7 x`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":01`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":1.`) + `]`,
	`[` + edit(`"time":1739539623`, `"time":-`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":{"a" 1}`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":[1 2]`) + `]`,
	`[` + edit(`"severity_id":4`, `"severity_id":{"a":1,"a":2}`) + `]`,
	`[` + edit(`"severity":"High"`, `"severity":"High","severity":"Low"`) + `]`,
	`[{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]`,
	`[` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `]`,
}

func TestOCSFReaderMatchesEncodingJSON(t *testing.T) {
	for i, c := range diffCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { diffOCSF(t, []byte(c)) })
	}
	for _, name := range []string{"example_output_aws.ocsf.json", "example_output_azure.ocsf.json", "example_output_gcp.ocsf.json", "example_output_kubernetes.ocsf.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			diffOCSF(t, b)
		})
	}
	t.Run("generated", func(t *testing.T) {
		var b bytes.Buffer
		if _, err := Generate(&b, 256<<10, 3); err != nil {
			t.Fatal(err)
		}
		diffOCSF(t, b.Bytes())
	})
}

// Every prefix of a file, and the file with every byte replaced by a byte
// that changes what it means: truncations and syntax errors everywhere.
func TestOCSFReaderMatchesEncodingJSONCut(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "example_output_kubernetes.ocsf.json"))
	if err != nil {
		t.Fatal(err)
	}
	b = b[:4096] // records 1 and 2 and part of 3: whole, cut and malformed
	step := 1
	if testing.Short() {
		step = 7
	}
	for i := 0; i <= len(b); i += step {
		diffOCSF(t, b[:i])
	}
	for i := 0; i < len(b); i += step {
		for _, c := range []byte{'"', '}', ']', ',', ':', '0', ' ', 'x', '\\', 0xff} {
			if b[i] == c {
				continue
			}
			m := bytes.Clone(b)
			m[i] = c
			diffOCSF(t, m)
		}
	}
}

// FuzzOCSFMatchesEncodingJSON checks the jsontext reader against the
// encoding/json reader on any input.
func FuzzOCSFMatchesEncodingJSON(f *testing.F) {
	for _, c := range diffCases {
		f.Add([]byte(c))
	}
	for _, name := range []string{"example_output_aws.ocsf.json", "example_output_kubernetes.ocsf.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { diffOCSF(t, b) })
}
