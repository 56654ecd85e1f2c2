package checks

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rampart-cspm/rampart"
)

// assumeDenied is the error the SDK returns when AssumeRole is refused,
// with the request's ID as the SDK puts it in the text.
func assumeDenied(requestID string) error {
	return fmt.Errorf("assume RampartAudit in 111100000007: failed to refresh cached credentials, %w",
		&smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
				Err:      &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"},
			},
			RequestID: requestID,
		}})
}

// TestNotEvaluatedTextIsStable: the row of a check that could not run
// says why, the same way on every scan: without the failed request's IDs,
// which differ every time and would make every scan record the row as
// changed.
func TestNotEvaluatedTextIsStable(t *testing.T) {
	m := Meta{ID: "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"}
	text := func(err error) string {
		return NotEvaluated(m, "111100000007", rampart.ErrClassCredentials, err).Results[0].StatusExtended
	}
	a, b := text(assumeDenied("sim-00007161")), text(assumeDenied("sim-00009603"))
	if a != b {
		t.Fatalf("two scans' rows differ:\n%s\n%s", a, b)
	}
	for _, want := range []string{m.ID + " could not be evaluated", "AssumeRole", "StatusCode: 403", "AccessDenied", "not authorized"} {
		if !strings.Contains(a, want) {
			t.Errorf("%q lacks %q", a, want)
		}
	}
	if strings.Contains(a, "sim-0000") || strings.Contains(a, "RequestID") {
		t.Errorf("%q still names the request", a)
	}
	// S3 adds its host ID after the request ID.
	s3 := errors.New("operation error S3: GetBucketPolicy, https response error StatusCode: 403, RequestID: 4QX7, HostID: aGVsbG8=, api error AccessDenied: Access Denied")
	if got, want := text(s3), m.ID+" could not be evaluated: operation error S3: GetBucketPolicy, https response error StatusCode: 403, api error AccessDenied: Access Denied"; got != want {
		t.Errorf("S3 error:\n got %s\nwant %s", got, want)
	}
}
