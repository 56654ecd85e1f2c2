package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-cspm/rampart/ingest"
)

// drain reads every record of r until EOF or a fatal error and checks the
// invariants every reader keeps whatever its input: no panic, errors are
// *RecordError naming the file, good records have a finding ID and the
// prowler source, and a reader never yields more records than it numbers.
func drain(t *testing.T, r ingest.Reader) {
	t.Helper()
	for i := 0; i < 1_000_000; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var re *ingest.RecordError
			if !errors.As(err, &re) || re.File != "fuzz" {
				t.Fatalf("error %v is not a RecordError naming the file", err)
			}
			if !re.Fatal {
				continue
			}
			return
		}
		if rec.Finding.FindingID == "" || len(rec.Finding.Sources) != 1 || rec.Number < 1 {
			t.Fatalf("record without finding ID, source or number: %+v", rec)
		}
	}
	t.Fatal("reader does not end")
}

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzOCSF(f *testing.F) {
	seed(f, "example_output_aws.ocsf.json", "example_output_kubernetes.ocsf.json", "example_output_gcp.ocsf.json")
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"class_uid":2004,"status_id":3}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		drain(t, ingest.NewOCSFReader(bytes.NewReader(b), "fuzz", opts))
	})
}

func FuzzCSV(f *testing.F) {
	seed(f, "example_output_aws.csv")
	f.Add([]byte("PROVIDER;ACCOUNT_UID;CHECK_ID;STATUS;SEVERITY;REGION;RESOURCE_UID\naws;1;x;FAIL;high;eu-west-1;r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ingest.NewCSVReader(bytes.NewReader(b), "fuzz", opts)
		if err != nil {
			var re *ingest.RecordError
			if !errors.As(err, &re) || !re.Fatal {
				t.Fatalf("header error %v is not a fatal RecordError", err)
			}
			return
		}
		drain(t, r)
	})
}

func FuzzASFF(f *testing.F) {
	seed(f, "prowler_aws.asff.json")
	f.Add([]byte(`[{"SchemaVersion":"2018-10-08"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		drain(t, ingest.NewASFFReader(bytes.NewReader(b), "fuzz", opts))
	})
}

// FuzzOpen fuzzes format detection in front of every reader.
func FuzzOpen(f *testing.F) {
	seed(f, "example_output_azure.ocsf.json", "example_output_aws.csv", "prowler_aws.asff.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := ingest.Open(bytes.NewReader(b), "fuzz", opts)
		if err != nil {
			return
		}
		drain(t, r)
	})
}
