package s3

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// policyDoc is the part of an IAM policy document the checks read.
type policyDoc struct {
	Statement stmtList `json:"Statement"`
}

type statement struct {
	Sid          string                                `json:"Sid"`
	Effect       string                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       strList                               `json:"Action"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// stmtList accepts a single statement object or an array of them.
type stmtList []statement

func (s *stmtList) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '{' {
		var one statement
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = stmtList{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// strList accepts a string, a boolean, or an array of strings.
type strList []string

func (s *strList) UnmarshalJSON(data []byte) error {
	*s = rawStrings(data)
	return nil
}

func rawStrings(data json.RawMessage) []string {
	var one any
	if err := json.Unmarshal(data, &one); err != nil {
		return nil
	}
	switch v := one.(type) {
	case string:
		return []string{v}
	case bool:
		return []string{fmt.Sprint(v)}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func parsePolicy(doc string) (*policyDoc, error) {
	var p policyDoc
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("parse bucket policy: %w", err)
	}
	return &p, nil
}

// everyone reports whether a Principal element names every principal:
// "*" or {"AWS": "*"} (alone or in a list).
func everyone(principal json.RawMessage) bool {
	if len(principal) == 0 {
		return false
	}
	if slices.Contains(rawStrings(principal), "*") {
		return true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(principal, &m); err != nil {
		return false
	}
	for k, v := range m {
		if strings.EqualFold(k, "AWS") && slices.Contains(rawStrings(v), "*") {
			return true
		}
	}
	return false
}

// restrictingKeys are condition keys that narrow who can use a statement to
// a known account, organization, network or source: a statement that allows
// "*" under one of them is not public.
var restrictingKeys = []string{
	"aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
	"aws:sourcevpc", "aws:sourcevpce", "aws:sourceip",
	"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths",
	"aws:userid", "aws:username", "aws:resourceaccount", "aws:resourceorgid",
}

// restricted reports whether the statement's conditions limit it to known
// principals or networks. Operators ending in IfExists do not restrict: they
// hold when the key is absent.
func (s statement) restricted() bool {
	for op, kv := range s.Condition {
		if strings.HasSuffix(strings.ToLower(op), "ifexists") {
			continue
		}
		for key := range kv {
			if slices.Contains(restrictingKeys, strings.ToLower(key)) {
				return true
			}
		}
	}
	return false
}

// publicStatements returns the Sids (or positions) of the statements that
// allow everyone without a restricting condition.
func (p *policyDoc) publicStatements() []string {
	var out []string
	for i, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		// Allow with NotPrincipal grants everyone but the listed principals.
		if (everyone(s.Principal) || len(s.NotPrincipal) > 0) && !s.restricted() {
			out = append(out, s.name(i))
		}
	}
	return out
}

func (s statement) name(i int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("statement %d", i+1)
}

// deniesInsecureTransport reports whether a statement denies every principal
// every S3 action when aws:SecureTransport is false.
func (p *policyDoc) deniesInsecureTransport() bool {
	for _, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Deny") || !everyone(s.Principal) {
			continue
		}
		if !slices.ContainsFunc(s.Action, func(a string) bool { return a == "*" || strings.EqualFold(a, "s3:*") }) {
			continue
		}
		for op, kv := range s.Condition {
			if !strings.EqualFold(op, "Bool") {
				continue
			}
			for key, v := range kv {
				if strings.EqualFold(key, "aws:SecureTransport") && slices.ContainsFunc(rawStrings(v), func(x string) bool { return strings.EqualFold(x, "false") }) {
					return true
				}
			}
		}
	}
	return false
}
