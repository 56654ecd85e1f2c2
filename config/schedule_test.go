package config_test

import (
	"testing"
	"time"

	"github.com/rampart-cspm/rampart/config"
)

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"@every", `"@every": @every wants a duration such as "@every 6h"`},
		{"@every soon", `"@every soon": @every wants a duration such as "@every 6h"`},
		{"@every 30s", `"@every 30s": @every interval must be at least 1m0s`},
		{"@daily", `"@daily": unknown schedule (want "@every <duration>" or 5 cron fields)`},
		{"0 2 * *", `"0 2 * *": cron expression has 4 fields, want 5 (minute hour day-of-month month day-of-week)`},
		{"60 * * * *", `"60 * * * *": minute field "60": 60 is out of range 0-59`},
		{"0 0 0 * *", `"0 0 0 * *": day-of-month field "0": 0 is out of range 1-31`},
		{"0 0 * 13 *", `"0 0 * 13 *": month field "13": 13 is out of range 1-12`},
		{"0 0 * * 8", `"0 0 * * 8": day-of-week field "8": 8 is out of range 0-7`},
		{"0 0 * * funday", `"0 0 * * funday": day-of-week field "funday": "funday" is not a number`},
		{"*/0 * * * *", `"*/0 * * * *": minute field "*/0": step "0" is not a positive number`},
		{"0 5-1 * * *", `"0 5-1 * * *": hour field "5-1": range "5-1" runs backwards`},
		{"0 0 1,,2 * *", `"0 0 1,,2 * *": day-of-month field "1,,2": empty value`},
		{"0 0 30 feb *", `"0 0 30 feb *": never fires (no chosen month has the chosen day of month)`},
	}
	for _, tt := range tests {
		_, err := config.ParseSchedule(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSchedule(%q) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestScheduleNext(t *testing.T) {
	// 2026-03-06 is a Friday.
	from := time.Date(2026, 3, 6, 10, 17, 42, 0, time.UTC)
	tests := []struct {
		spec string
		want time.Time
	}{
		{"@every 6h", from.Add(6 * time.Hour)},
		{"*/15 * * * *", time.Date(2026, 3, 6, 10, 30, 0, 0, time.UTC)},
		{"17 10 * * *", time.Date(2026, 3, 7, 10, 17, 0, 0, time.UTC)},
		{"30 2 * * mon-fri", time.Date(2026, 3, 9, 2, 30, 0, 0, time.UTC)},
		{"0 0 * * 7", time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)},
		{"0 9 1 jan,jul *", time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		{"0 0 29 2 *", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		// Day-of-month and day-of-week both restricted: either matches.
		{"0 12 20 * sat", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)},
		{"5-10/5 23 * 12 *", time.Date(2026, 12, 1, 23, 5, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := config.ParseSchedule(tt.spec)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tt.spec, err)
			continue
		}
		if got := s.Next(from); !got.Equal(tt.want) {
			t.Errorf("ParseSchedule(%q).Next(%s) = %s, want %s", tt.spec, from, got, tt.want)
		}
		if s.String() != tt.spec {
			t.Errorf("String() = %q, want %q", s.String(), tt.spec)
		}
	}
}
