package sqlite

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rampart-cspm/rampart"
)

// An event's snapshot is the finding's row as a JSON object with the keys
// of rampart.Finding's JSON plus "scope". appendSnapshot writes it by hand:
// encoding/json's reflection was a tenth of a bulk ingest's writer
// (rampart bench ingest). Keys whose value is the zero value of its field
// (false, "", null, an empty list) are left out; decodeSnapshot reads a
// missing key as that zero value, so snapshots written by encoding/json
// before, with every key, decode the same way.

// appendSnapshot appends f's snapshot to b. valid reports whether every
// string of f is valid UTF-8, i.e. whether decoding the snapshot gives f's
// columns back unchanged (an invalid byte is written as U+FFFD, as
// encoding/json does). A time outside years 0-9999 cannot be written as
// RFC 3339 and is an error.
func appendSnapshot(b []byte, f *rampart.Finding) (out []byte, valid bool, err error) {
	e := snapEncoder{b: append(b, '{'), valid: true}
	e.str("finding_id", f.FindingID)
	e.str("scan_id", f.ScanID)
	e.str("landing_zone_id", f.LandingZoneID)
	e.str("account_id", f.AccountID)
	e.str("account_name", f.AccountName)
	e.str("region", f.Region)
	e.str("cloud_provider", f.CloudProvider)
	e.str("resource_id", f.ResourceID)
	e.str("resource_type", f.ResourceType)
	e.str("resource_name", f.ResourceName)
	e.str("service", f.Service)
	e.str("control_id", f.ControlID)
	e.str("title", f.Title)
	e.str("severity", string(f.Severity))
	e.str("status", string(f.Status))
	if f.RiskScore != 0 {
		e.key("risk_score")
		e.b = strconv.AppendInt(e.b, int64(f.RiskScore), 10)
	}
	e.str("risk_reason", f.RiskReason)
	e.str("remediation", f.Remediation)
	e.str("framework", f.Framework)
	e.str("requirement_id", f.RequirementID)
	e.str("owner_team", f.OwnerTeam)
	e.str("business_unit", f.BusinessUnit)
	e.str("environment", f.Environment)
	e.time("first_seen_at", &f.FirstSeenAt)
	e.time("last_seen_at", &f.LastSeenAt)
	e.time("resolved_at", f.ResolvedAt)
	e.str("status_extended", f.StatusExtended)
	e.str("error_class", string(f.ErrorClass))
	e.boolean("muted", f.Muted)
	e.str("mute_reason", f.MuteReason)
	e.list("sources", f.Sources)
	e.str("risk_level", f.RiskLevel)
	e.boolean("public", f.Public)
	e.str("data_sensitivity", f.DataSensitivity)
	e.boolean("privileged", f.Privileged)
	e.list("compensating_controls", f.CompensatingControls)
	e.str("owner_source", f.OwnerSource)
	e.time("due_at", f.DueAt)
	if len(f.Context) > 0 {
		keys := make([]string, 0, len(f.Context))
		for k := range f.Context {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.key("context")
		e.b = append(e.b, '{')
		for i, k := range keys {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.quote(k)
			e.b = append(e.b, ':')
			e.quote(f.Context[k])
		}
		e.b = append(e.b, '}')
	}
	e.str("scope", f.Scope)
	if e.err != nil {
		return b, false, fmt.Errorf("encode snapshot of finding %s: %w", f.FindingID, e.err)
	}
	return append(e.b, '}'), e.valid, nil
}

type snapEncoder struct {
	b     []byte
	n     int // members written
	valid bool
	err   error
}

func (e *snapEncoder) key(k string) {
	if e.n > 0 {
		e.b = append(e.b, ',')
	}
	e.n++
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, '"', ':')
}

func (e *snapEncoder) str(k, v string) {
	if v == "" {
		return
	}
	e.key(k)
	e.quote(v)
}

func (e *snapEncoder) boolean(k string, v bool) {
	if v {
		e.key(k)
		e.b = append(e.b, "true"...)
	}
}

func (e *snapEncoder) list(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i, v := range vs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.quote(v)
	}
	e.b = append(e.b, ']')
}

// time writes t in RFC 3339 with nanoseconds, in UTC; a nil t is left
// out (a zero one is not: it is not the zero value of a *time.Time).
func (e *snapEncoder) time(k string, t *time.Time) {
	if t == nil {
		return
	}
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		e.err = fmt.Errorf("%s: year %d outside [0,9999]", k, y)
		return
	}
	e.key(k)
	e.b = append(e.b, '"')
	e.b = u.AppendFormat(e.b, time.RFC3339Nano)
	e.b = append(e.b, '"')
}

const hexDigits = "0123456789abcdef"

// quote appends s as a JSON string: '"' and '\' escaped, control
// characters as \n, \r, \t or \u00XX, every byte of an invalid UTF-8
// sequence as \ufffd.
func (e *snapEncoder) quote(s string) {
	e.b = append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			e.b = append(e.b, s[start:i]...)
			switch c {
			case '"', '\\':
				e.b = append(e.b, '\\', c)
			case '\n':
				e.b = append(e.b, '\\', 'n')
			case '\r':
				e.b = append(e.b, '\\', 'r')
			case '\t':
				e.b = append(e.b, '\\', 't')
			default:
				e.b = append(e.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.b = append(e.b, s[start:i]...)
			e.b = append(e.b, `\ufffd`...)
			e.valid = false
			i++
			start = i
			continue
		}
		i += size
	}
	e.b = append(e.b, s[start:]...)
	e.b = append(e.b, '"')
}
