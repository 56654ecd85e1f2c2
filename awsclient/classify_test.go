package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rampart-cspm/rampart"
)

func apiErr(code, msg string) *smithy.GenericAPIError {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

// respErr wraps inner the way the SDK does for an HTTP error response to
// a request to host, signed for scopeRegion ("" = unsigned).
func respErr(status int, host, scopeRegion string, inner error) error {
	req, _ := http.NewRequest(http.MethodPost, "https://"+host+"/", nil)
	if scopeRegion != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"+scopeRegion+
			"/ec2/aws4_request, SignedHeaders=host, Signature=abc")
	}
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Request: req}},
			Err:      inner,
		},
		RequestID: "req-1",
	}
}

func opErr(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

// ec2Err is an EC2 error response from us-east-1.
func ec2Err(status int, code string) error {
	return opErr("EC2", "DescribeInstances", respErr(status, "ec2.us-east-1.amazonaws.com", "us-east-1", apiErr(code, "msg")))
}

// credsErr is the error a call gets when its credential provider failed.
func credsErr(cause error) error {
	return opErr("S3", "ListBuckets", fmt.Errorf("get identity: get credentials: %w",
		fmt.Errorf("failed to refresh cached credentials, %w", cause)))
}

func assumeRoleErr(status int, code, msg string) error {
	return opErr("STS", "AssumeRole", respErr(status, "sts.us-east-1.amazonaws.com", "us-east-1", apiErr(code, msg)))
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want rampart.ErrorClass
	}{
		{"nil", nil, rampart.ErrClassNone},

		// credentials
		{"InvalidClientTokenId", opErr("IAM", "ListUsers", respErr(403, "iam.amazonaws.com", "us-east-1", apiErr("InvalidClientTokenId", "The security token included in the request is invalid."))), rampart.ErrClassCredentials},
		{"UnrecognizedClientException", ec2Err(400, "UnrecognizedClientException"), rampart.ErrClassCredentials},
		{"ExpiredToken", ec2Err(400, "ExpiredToken"), rampart.ErrClassCredentials},
		{"ExpiredTokenException", ec2Err(400, "ExpiredTokenException"), rampart.ErrClassCredentials},
		{"InvalidAccessKeyId", ec2Err(403, "InvalidAccessKeyId"), rampart.ErrClassCredentials},
		{"SignatureDoesNotMatch", ec2Err(403, "SignatureDoesNotMatch"), rampart.ErrClassCredentials},
		{"AuthFailure in us-east-1", ec2Err(401, "AuthFailure"), rampart.ErrClassCredentials},
		{"no credentials in the chain", credsErr(errors.New("no EC2 IMDS role found, operation error ec2imds: GetMetadata")), rampart.ErrClassCredentials},
		{"signer without credentials", fmt.Errorf("scan: %w", errors.New("failed to retrieve credentials: static credentials are empty")), rampart.ErrClassCredentials},
		{"AssumeRole AccessDenied", credsErr(assumeRoleErr(403, "AccessDenied", "User: arn:aws:iam::111111111111:user/x is not authorized to perform: sts:AssumeRole")), rampart.ErrClassCredentials},
		{"AssumeRole ExpiredToken", credsErr(assumeRoleErr(400, "ExpiredToken", "expired")), rampart.ErrClassCredentials},
		{"missing profile", fmt.Errorf("load: %w", config.SharedConfigProfileNotExistError{Profile: "lz-retail"}), rampart.ErrClassCredentials},

		// access_denied
		{"AccessDenied", opErr("S3", "GetBucketPolicy", respErr(403, "b.s3.amazonaws.com", "us-east-1", apiErr("AccessDenied", "Access Denied"))), rampart.ErrClassAccessDenied},
		{"AccessDeniedException", ec2Err(400, "AccessDeniedException"), rampart.ErrClassAccessDenied},
		{"UnauthorizedOperation", ec2Err(403, "UnauthorizedOperation"), rampart.ErrClassAccessDenied},
		{"UnauthorizedAccess", ec2Err(403, "UnauthorizedAccess"), rampart.ErrClassAccessDenied},
		{"AuthorizationError", ec2Err(403, "AuthorizationError"), rampart.ErrClassAccessDenied},
		{"SCP denial with an unknown code", ec2Err(400, "SomethingDenied"), rampart.ErrClassUnknown},
		{"SCP denial message", opErr("Config", "DescribeConfigRules", respErr(400, "config.us-east-1.amazonaws.com", "us-east-1",
			apiErr("ValidationFailure", "not authorized to perform: config:DescribeConfigRules with an explicit deny in a service control policy"))), rampart.ErrClassAccessDenied},
		{"unknown code, 403", ec2Err(403, "NopeNope"), rampart.ErrClassAccessDenied},

		// throttling
		{"ThrottlingException", ec2Err(400, "ThrottlingException"), rampart.ErrClassThrottling},
		{"Throttling", ec2Err(400, "Throttling"), rampart.ErrClassThrottling},
		{"RequestLimitExceeded", ec2Err(503, "RequestLimitExceeded"), rampart.ErrClassThrottling},
		{"SlowDown", ec2Err(503, "SlowDown"), rampart.ErrClassThrottling},
		{"TooManyRequestsException", ec2Err(429, "TooManyRequestsException"), rampart.ErrClassThrottling},
		{"RequestThrottled", ec2Err(400, "RequestThrottled"), rampart.ErrClassThrottling},
		{"MaxAttemptsError", opErr("EC2", "DescribeInstances", &retry.MaxAttemptsError{Attempt: 8,
			Err: respErr(503, "ec2.us-east-1.amazonaws.com", "us-east-1", apiErr("RequestLimitExceeded", "Request limit exceeded."))}), rampart.ErrClassThrottling},
		{"retry quota exhausted", errors.Join(ec2Err(400, "Throttling"), &ratelimit.QuotaExceededError{Available: 0, Requested: 5}), rampart.ErrClassThrottling},
		{"unknown code, 429", ec2Err(429, "Calm"), rampart.ErrClassThrottling},
		{"throttled AssumeRole", credsErr(assumeRoleErr(400, "Throttling", "Rate exceeded")), rampart.ErrClassThrottling},
		{"text only, max attempts", errors.New("operation error EC2: DescribeInstances, exceeded maximum number of attempts, 8, https response error StatusCode: 503, RequestID: x, api error RequestLimitExceeded: Request limit exceeded."), rampart.ErrClassThrottling},

		// region_disabled
		{"OptInRequired", ec2Err(401, "OptInRequired"), rampart.ErrClassRegionDisabled},
		{"STS RegionDisabledException", credsErr(assumeRoleErr(403, "RegionDisabledException", "STS is not activated in this region for account:111111111111")), rampart.ErrClassRegionDisabled},
		{"AuthFailure signed for a disabled opt-in region", opErr("EC2", "DescribeInstances",
			respErr(401, "ec2.ap-east-1.amazonaws.com", "ap-east-1", apiErr("AuthFailure", "AWS was not able to validate the provided access credentials"))), rampart.ErrClassRegionDisabled},
		{"UnrecognizedClientException from an opt-in host", opErr("Lambda", "ListFunctions",
			respErr(403, "lambda.me-south-1.amazonaws.com", "", apiErr("UnrecognizedClientException", "The security token included in the request is invalid"))), rampart.ErrClassRegionDisabled},
		{"opt-in scope behind a simulator", opErr("IAM", "ListRoles",
			respErr(403, "127.0.0.1:5000", "af-south-1", apiErr("InvalidClientTokenId", "The security token included in the request is invalid"))), rampart.ErrClassRegionDisabled},
		{"ExpiredToken in an opt-in region is still credentials", opErr("EC2", "DescribeInstances",
			respErr(400, "ec2.ap-east-1.amazonaws.com", "ap-east-1", apiErr("ExpiredToken", "expired"))), rampart.ErrClassCredentials},

		// timeout
		{"deadline", fmt.Errorf("collect: %w", context.DeadlineExceeded), rampart.ErrClassTimeout},
		{"canceled request with deadline", opErr("EC2", "DescribeInstances", &aws.RequestCanceledError{Err: context.DeadlineExceeded}), rampart.ErrClassTimeout},
		{"net timeout", opErr("EC2", "DescribeInstances", &url.Error{Op: "Post", URL: "https://ec2.us-east-1.amazonaws.com/", Err: timeoutErr{}}), rampart.ErrClassTimeout},
		{"RequestTimeout", ec2Err(400, "RequestTimeout"), rampart.ErrClassTimeout},

		// service_error
		{"InternalError", ec2Err(500, "InternalError"), rampart.ErrClassServiceError},
		{"InternalFailure", ec2Err(500, "InternalFailure"), rampart.ErrClassServiceError},
		{"ServiceUnavailable", ec2Err(503, "ServiceUnavailable"), rampart.ErrClassServiceError},
		{"unknown code, 502", ec2Err(502, "BadGateway"), rampart.ErrClassServiceError},
		{"server fault", &smithy.GenericAPIError{Code: "Weird", Fault: smithy.FaultServer}, rampart.ErrClassServiceError},
		{"deserialization", opErr("EC2", "DescribeInstances", &smithy.DeserializationError{Err: errors.New("unexpected EOF")}), rampart.ErrClassServiceError},
		{"connection reset", opErr("EC2", "DescribeInstances", &url.Error{Op: "Post", URL: "https://x/", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}), rampart.ErrClassServiceError},
		{"5xx AssumeRole", credsErr(assumeRoleErr(500, "InternalFailure", "oops")), rampart.ErrClassServiceError},

		// unknown
		{"plain error", errors.New("boom"), rampart.ErrClassUnknown},
		{"canceled", fmt.Errorf("scan: %w", context.Canceled), rampart.ErrClassUnknown},
		{"guard refusal", opErr("S3", "PutObject", fmt.Errorf("%w: S3:PutObject", ErrMutatingCall)), rampart.ErrClassUnknown},
		{"unknown code", ec2Err(400, "InvalidParameterValue"), rampart.ErrClassUnknown},

		// already classified
		{"classified", fmt.Errorf("unit: %w", &rampart.ClassifiedError{Class: rampart.ErrClassRegionDisabled, Err: errors.New("x")}), rampart.ErrClassRegionDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	if Wrap(nil) != nil {
		t.Fatal("Wrap(nil) != nil")
	}
	inner := ec2Err(400, "Throttling")
	err := Wrap(fmt.Errorf("ec2: describe instances: %w", inner))
	var ce *rampart.ClassifiedError
	if !errors.As(err, &ce) || ce.Class != rampart.ErrClassThrottling {
		t.Fatalf("Wrap = %#v, want a throttling ClassifiedError", err)
	}
	if !errors.Is(err, inner) {
		t.Error("Wrap lost the wrapped error")
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Error("Wrap hides the API error")
	}
	if again := Wrap(err); again != err {
		t.Errorf("Wrap of a classified error = %v, want it unchanged", again)
	}
}
