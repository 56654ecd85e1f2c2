package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/ingest"
)

// benchFile is a generated json-ocsf file of about 4 MiB (~2,100 records),
// made once for every benchmark of the package.
var benchFile = sync.OnceValues(func() ([]byte, int) {
	var b bytes.Buffer
	n, err := ingest.Generate(&b, 4<<20, 7)
	if err != nil {
		panic(err)
	}
	return b.Bytes(), n
})

// BenchmarkOCSFReader reads the generated file with the json-ocsf reader
// and reports the cost per record: "read" is Next alone, "read+enrich"
// adds Enrich (risk scoring), which is what the ingest's reader goroutine
// does per record.
func BenchmarkOCSFReader(b *testing.B) {
	file, n := benchFile()
	lz := rampart.LandingZone{ID: "lz-bench", OwnerTeam: "platform", Environment: "prod"}
	for _, bc := range []struct {
		name   string
		enrich bool
	}{{"read", false}, {"read+enrich", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu0 := cpuTime()
			files := 0
			for b.Loop() {
				r := ingest.NewOCSFReader(bytes.NewReader(file), "bench.ocsf.json", ingest.Options{LandingZoneID: lz.ID})
				got := 0
				for {
					rec, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if bc.enrich {
						ingest.Enrich(&rec.Finding, lz, rampart.Account{})
					}
					got++
				}
				if got != n {
					b.Fatalf("read %d records, generated %d", got, n)
				}
				files++
			}
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			recs := float64(files * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/recs, "ns/record")
			if cpu > 0 {
				// CPU time of the process (GC included): steadier than
				// wall time on a shared machine.
				b.ReportMetric(float64(cpu.Nanoseconds())/recs, "cpu-ns/record")
			}
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/recs, "allocs/record")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/recs, "B/record")
		})
	}
}

// BenchmarkOCSFJSONTextFloor reads each element of the generated file
// with one jsontext ReadValue (the syntax check every record needs, no
// mapping): the floor under BenchmarkOCSFReader/read.
func BenchmarkOCSFJSONTextFloor(b *testing.B) {
	file, n := benchFile()
	for b.Loop() {
		d := jsontext.NewDecoder(bytes.NewReader(file), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
		if _, err := d.ReadToken(); err != nil {
			b.Fatal(err)
		}
		for d.PeekKind() != ']' {
			if _, err := d.ReadValue(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
