package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed landing zone schedule: either "@every <duration>" or
// a standard 5-field cron expression (minute hour day-of-month month
// day-of-week). Fields accept *, lists (1,15), ranges (1-5), steps (*/15,
// 0-30/10), month names (jan-dec) and weekday names (sun-sat; 0 and 7 are
// both Sunday). As in Vixie cron, when both day-of-month and day-of-week are
// restricted a time matches if either does.
type Schedule struct {
	// Every is the interval of an "@every" schedule; zero for cron.
	Every time.Duration

	spec                          string
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

// MinEvery is the shortest interval accepted by "@every".
const MinEvery = time.Minute

// ParseSchedule parses a schedule. The error says what is wrong in words
// fit to follow a field path.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	s := Schedule{spec: spec}
	if rest, ok := strings.CutPrefix(spec, "@every"); ok {
		rest = strings.TrimSpace(rest)
		d, err := time.ParseDuration(rest)
		if err != nil || rest == "" {
			return Schedule{}, fmt.Errorf("%q: @every wants a duration such as \"@every 6h\"", spec)
		}
		if d < MinEvery {
			return Schedule{}, fmt.Errorf("%q: @every interval must be at least %s", spec, MinEvery)
		}
		s.Every = d
		return s, nil
	}
	if strings.HasPrefix(spec, "@") {
		return Schedule{}, fmt.Errorf("%q: unknown schedule (want \"@every <duration>\" or 5 cron fields)", spec)
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return Schedule{}, fmt.Errorf("%q: cron expression has %d fields, want 5 (minute hour day-of-month month day-of-week)", spec, len(f))
	}
	var err error
	parse := func(i int, name string, lo, hi int, names []string) uint64 {
		if err != nil {
			return 0
		}
		var bits uint64
		bits, err = cronField(f[i], lo, hi, names)
		if err != nil {
			err = fmt.Errorf("%q: %s field %q: %v", spec, name, f[i], err)
		}
		return bits
	}
	s.minute = parse(0, "minute", 0, 59, nil)
	s.hour = parse(1, "hour", 0, 23, nil)
	s.dom = parse(2, "day-of-month", 1, 31, nil)
	s.month = parse(3, "month", 1, 12, monthNames)
	s.dow = parse(4, "day-of-week", 0, 7, dayNames)
	if err != nil {
		return Schedule{}, err
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	s.domStar = f[2] == "*" || strings.HasPrefix(f[2], "*/")
	s.dowStar = f[4] == "*" || strings.HasPrefix(f[4], "*/")
	if s.dowStar && !s.possibleDay() {
		return Schedule{}, fmt.Errorf("%q: never fires (no chosen month has the chosen day of month)", spec)
	}
	return s, nil
}

// String returns the schedule as written.
func (s Schedule) String() string { return s.spec }

// Next returns the first time after t that the schedule fires, in t's
// location, or the zero time if it fires in none of the next five years.
func (s Schedule) Next(t time.Time) time.Time {
	if s.Every > 0 {
		return t.Add(s.Every)
	}
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		y, mo, d := t.Date()
		switch {
		case s.month&(1<<uint(mo)) == 0:
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, loc)
		case !s.dayMatches(t):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = time.Date(y, mo, d, t.Hour()+1, 0, 0, 0, loc)
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (s Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// possibleDay reports whether some chosen month has some chosen day of month.
func (s Schedule) possibleDay() bool {
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if s.month&(1<<uint(m)) == 0 {
			continue
		}
		for d := 1; d <= days[m]; d++ {
			if s.dom&(1<<uint(d)) != 0 {
				return true
			}
		}
	}
	return false
}

var (
	monthNames = []string{"", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// cronField parses one comma-separated cron field into a bit set.
func cronField(field string, lo, hi int, names []string) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(field, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		var from, to int
		switch {
		case rng == "*":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = cronValue(a, lo, hi, names); err != nil {
				return 0, err
			}
			if to, err = cronValue(b, lo, hi, names); err != nil {
				return 0, err
			}
			if from > to {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			v, err := cronValue(rng, lo, hi, names)
			if err != nil {
				return 0, err
			}
			from, to = v, v
			if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func cronValue(s string, lo, hi int, names []string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty value")
	}
	for i, n := range names {
		if n != "" && strings.EqualFold(s, n) {
			return i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, lo, hi)
	}
	return v, nil
}
