package modkit

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

func TestHasCode(t *testing.T) {
	wrapped := fmt.Errorf("s3: get bucket policy b: %w", &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"})
	if !HasCode(wrapped, "NoSuchTagSet", "NoSuchBucketPolicy") {
		t.Error("wrapped API error code not recognised")
	}
	if HasCode(wrapped, "AccessDenied") {
		t.Error("matched a different code")
	}
	if HasCode(errors.New("NoSuchBucketPolicy"), "NoSuchBucketPolicy") {
		t.Error("matched a plain error by its text")
	}
}

func TestFinishCounts(t *testing.T) {
	outcomes := []checks.CheckOutcome{
		{Meta: checks.Meta{ID: "a"}, Results: []checks.Result{{Status: rampart.StatusPass}}},
		{Meta: checks.Meta{ID: "b"}, Results: []checks.Result{{Status: rampart.StatusFail}, {Status: rampart.StatusNotEvaluated}, {Status: rampart.StatusNotEvaluated}}},
		checks.NotEvaluated(checks.Meta{ID: "c"}, "acct", rampart.ErrClassServiceError, errors.New("boom")),
	}
	res := Finish("svc", outcomes, map[string]int{"x": 1})
	s := res.Service
	if s.Status != rampart.ServiceOK || s.ChecksRun != 3 || s.ChecksFailed != 2 {
		t.Errorf("got %+v, want ok, run 3, failed 2", s)
	}
	if len(s.ChecksErrored) != 1 || s.ChecksErrored[0] != "c" {
		t.Errorf("ChecksErrored = %v, want [c]", s.ChecksErrored)
	}
	if string(res.Raw) != `{"x":1}` {
		t.Errorf("Raw = %s", res.Raw)
	}
}

func TestFailSelectsAndClassifies(t *testing.T) {
	env := checks.Env{AccountID: "111122223333", Classify: func(error) rampart.ErrorClass { return rampart.ErrClassAccessDenied }}
	metas := []checks.Meta{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	res := Fail(env, "svc", metas, func(id string) bool { return id != "b" }, errors.New("denied"))
	if res.Service.Status != rampart.ServiceFailed || res.Service.ErrorClass != rampart.ErrClassAccessDenied {
		t.Errorf("service = %+v", res.Service)
	}
	if len(res.Checks) != 2 || res.Service.ChecksFailed != 2 {
		t.Fatalf("got %d outcomes, failed %d, want 2", len(res.Checks), res.Service.ChecksFailed)
	}
	for _, o := range res.Checks {
		r := o.Results[0]
		if r.Status != rampart.StatusNotEvaluated || r.ErrorClass != rampart.ErrClassAccessDenied || r.ResourceID != "arn:aws:iam::111122223333:root" {
			t.Errorf("%s: %+v", o.Meta.ID, r)
		}
	}
}

func TestClassifyWithoutClassifier(t *testing.T) {
	if got := Classify(checks.Env{}, errors.New("x")); got != rampart.ErrClassUnknown {
		t.Errorf("got %q", got)
	}
}

// TestAttrErrorTextIsStable: an attribute that could not be read is
// reported without the failed request's IDs, which differ every scan.
func TestAttrErrorTextIsStable(t *testing.T) {
	msg := func(id string) string {
		return NewAttrError(checks.Env{}, fmt.Errorf("iam: last use of access key AKIA1: operation error IAM: GetAccessKeyLastUsed, https response error StatusCode: 403, RequestID: %s, api error AccessDenied: denied", id)).Message
	}
	if a, b := msg("r-1"), msg("r-2"); a != b || strings.Contains(a, "RequestID") || !strings.Contains(a, "AccessDenied: denied") {
		t.Fatalf("messages %q and %q: want one text, without the request ID, with the API error", a, b)
	}
}
