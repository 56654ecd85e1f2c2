package awsclient

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rampart-cspm/rampart"
)

// codeClasses maps AWS error codes to classes. Codes are case-sensitive as
// AWS sends them.
var codeClasses = map[string]rampart.ErrorClass{
	// The request's credentials were rejected.
	"InvalidClientTokenId":                rampart.ErrClassCredentials, // query protocol (IAM, STS, ...)
	"UnrecognizedClientException":         rampart.ErrClassCredentials, // JSON protocol
	"ExpiredToken":                        rampart.ErrClassCredentials,
	"ExpiredTokenException":               rampart.ErrClassCredentials,
	"InvalidAccessKeyId":                  rampart.ErrClassCredentials, // S3
	"InvalidToken":                        rampart.ErrClassCredentials, // S3: malformed session token
	"TokenRefreshRequired":                rampart.ErrClassCredentials, // S3
	"SignatureDoesNotMatch":               rampart.ErrClassCredentials,
	"InvalidSignatureException":           rampart.ErrClassCredentials,
	"IncompleteSignature":                 rampart.ErrClassCredentials,
	"MissingAuthenticationToken":          rampart.ErrClassCredentials,
	"MissingAuthenticationTokenException": rampart.ErrClassCredentials,
	"AuthFailure":                         rampart.ErrClassCredentials, // EC2
	"RequestExpired":                      rampart.ErrClassCredentials, // EC2: clock skew
	"InvalidIdentityToken":                rampart.ErrClassCredentials, // STS web identity

	// The credentials are valid but not allowed to do this.
	"AccessDenied":                       rampart.ErrClassAccessDenied,
	"AccessDeniedException":              rampart.ErrClassAccessDenied,
	"UnauthorizedOperation":              rampart.ErrClassAccessDenied, // EC2
	"UnauthorizedAccess":                 rampart.ErrClassAccessDenied,
	"AuthorizationError":                 rampart.ErrClassAccessDenied, // SNS
	"AuthorizationErrorException":        rampart.ErrClassAccessDenied,
	"AccessDeniedForDependencyException": rampart.ErrClassAccessDenied, // Organizations
	"Forbidden":                          rampart.ErrClassAccessDenied,

	// Region (or service in region) not enabled for the account.
	"OptInRequired":           rampart.ErrClassRegionDisabled,
	"RegionDisabledException": rampart.ErrClassRegionDisabled, // STS: "STS is not activated in this region"

	// Timeouts reported by the service.
	"RequestTimeout":          rampart.ErrClassTimeout,
	"RequestTimeoutException": rampart.ErrClassTimeout,

	// The service failed.
	"InternalError":               rampart.ErrClassServiceError,
	"InternalFailure":             rampart.ErrClassServiceError,
	"InternalServerError":         rampart.ErrClassServiceError,
	"InternalServerException":     rampart.ErrClassServiceError,
	"InternalErrorException":      rampart.ErrClassServiceError,
	"ServiceUnavailable":          rampart.ErrClassServiceError,
	"ServiceUnavailableException": rampart.ErrClassServiceError,
	"ServiceException":            rampart.ErrClassServiceError, // Organizations, Lambda
	"ServiceFailure":              rampart.ErrClassServiceError,
	"ServiceFailureException":     rampart.ErrClassServiceError,
	"Unavailable":                 rampart.ErrClassServiceError, // EC2
	"IDPCommunicationError":       rampart.ErrClassServiceError, // STS
}

func init() {
	// Every code the SDK treats as throttling is throttling here too.
	for code := range retry.DefaultThrottleErrorCodes {
		codeClasses[code] = rampart.ErrClassThrottling
	}
}

// OptInRegions are the AWS regions that must be enabled in an account
// before it can use them. Calls to such a region that is not enabled fail
// with what looks like a credentials error (see Classify).
var OptInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true,
	"ap-southeast-3": true, "ap-southeast-4": true, "ap-southeast-5": true,
	"ap-southeast-6": true, "ap-southeast-7": true, "ca-west-1": true,
	"eu-central-2": true, "eu-south-1": true, "eu-south-2": true,
	"il-central-1": true, "me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

// tokenRejectedCodes are the codes AWS answers with when a request reaches
// an opt-in region that is not enabled for the account.
var tokenRejectedCodes = map[string]bool{
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"AuthFailure":                 true,
}

// credentialOps are the SDK operations credential providers call; an error
// from one of them means the credentials could not be obtained.
var credentialOps = map[string]bool{
	"STS:AssumeRole":                true,
	"STS:AssumeRoleWithWebIdentity": true,
	"STS:AssumeRoleWithSAML":        true,
	"SSO:GetRoleCredentials":        true,
	"SSO OIDC:CreateToken":          true,
	"Signin:CreateOAuth2Token":      true,
}

// credentialMessages mark credential-provider failures in error text: the
// SDK wraps provider errors with these and not with a type.
var credentialMessages = []string{
	"failed to retrieve credentials",
	"failed to refresh cached credentials",
	"get identity: get credentials",
	"no EC2 IMDS role found",
	"static credentials are empty",
	"the SSO session has expired or is invalid",
	"refresh cached SSO token failed",
}

// apiErrorInText finds the code of an SDK API error that survived only as
// text ("... api error ThrottlingException: Rate exceeded").
var apiErrorInText = regexp.MustCompile(`api error ([A-Za-z0-9.]+):`)

// Classify maps an error seen at the AWS edge to its class; nil gives
// rampart.ErrClassNone. In order:
//
//   - a *rampart.ClassifiedError in the chain keeps its class;
//   - a failure to obtain credentials (a credential provider error, or an
//     error from the sts:AssumeRole the provider made, including
//     AccessDenied: the role cannot be assumed) is credentials, unless the
//     cause itself was throttling, a timeout, a 5xx or a disabled region;
//   - context.DeadlineExceeded and network timeouts are timeout;
//   - the AWS error code decides next (codeClasses; every SDK throttling
//     code is throttling, also inside retry.MaxAttemptsError). An opt-in
//     region that is not enabled answers with InvalidClientTokenId,
//     UnrecognizedClientException or AuthFailure (EC2) rather than a code of
//     its own: when the failed request went to an OptInRegions host, such a
//     code is region_disabled. OptInRequired and STS's
//     RegionDisabledException are region_disabled too. An AccessDenied-like
//     code or message that names a service control policy is access_denied;
//   - then the HTTP status: 429 throttling, 5xx service_error, 401
//     credentials, 403 access_denied;
//   - deserialization failures are service_error, connection failures
//     (refused, reset, DNS) service_error;
//   - an error that is only text is matched on "api error CODE:" and on
//     "exceeded maximum number of attempts" after throttling;
//   - anything else, ErrMutatingCall and context.Canceled included, is
//     unknown.
func Classify(err error) rampart.ErrorClass {
	if err == nil {
		return rampart.ErrClassNone
	}
	var ce *rampart.ClassifiedError
	if errors.As(err, &ce) && ce.Class != rampart.ErrClassNone {
		return ce.Class
	}
	if isCredentialFailure(err) {
		switch c := classifyCause(err); c {
		case rampart.ErrClassThrottling, rampart.ErrClassTimeout, rampart.ErrClassServiceError:
			return c
		case rampart.ErrClassRegionDisabled:
			if code := apiCode(err); code == "RegionDisabledException" || code == "OptInRequired" {
				return c
			}
		}
		return rampart.ErrClassCredentials
	}
	return classifyCause(err)
}

// Wrap returns err as a *rampart.ClassifiedError carrying Classify(err), or
// nil for nil. An error that is already classified is returned as is.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *rampart.ClassifiedError
	if errors.As(err, &ce) && ce.Class != rampart.ErrClassNone {
		return err
	}
	return &rampart.ClassifiedError{Class: Classify(err), Err: err}
}

func classifyCause(err error) rampart.ErrorClass {
	if errors.Is(err, ErrMutatingCall) {
		return rampart.ErrClassUnknown
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return rampart.ErrClassTimeout
	}
	if code := apiCode(err); code != "" {
		if tokenRejectedCodes[code] && OptInRegions[requestRegion(err)] {
			return rampart.ErrClassRegionDisabled
		}
		if c, ok := codeClasses[code]; ok {
			return c
		}
		if isSCPDenial(err) {
			return rampart.ErrClassAccessDenied
		}
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return rampart.ErrClassTimeout
	}
	if s := statusCode(err); s != 0 {
		switch {
		case s == 429:
			return rampart.ErrClassThrottling
		case s >= 500:
			return rampart.ErrClassServiceError
		case s == 401:
			return rampart.ErrClassCredentials
		case s == 403:
			return rampart.ErrClassAccessDenied
		}
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultServer {
		return rampart.ErrClassServiceError
	}
	var deser *smithy.DeserializationError
	if errors.As(err, &deser) {
		return rampart.ErrClassServiceError
	}
	if isConnectionError(err) {
		return rampart.ErrClassServiceError
	}
	return classifyText(err.Error())
}

// classifyText classifies an error that survives only as text, for example
// after crossing a process boundary.
func classifyText(msg string) rampart.ErrorClass {
	if m := apiErrorInText.FindStringSubmatch(msg); m != nil {
		if c, ok := codeClasses[m[1]]; ok {
			return c
		}
	}
	if strings.Contains(msg, "exceeded maximum number of attempts") || strings.Contains(msg, "retry quota exceeded") {
		for code, c := range codeClasses {
			if c == rampart.ErrClassThrottling && strings.Contains(msg, code) {
				return rampart.ErrClassThrottling
			}
		}
	}
	for _, m := range credentialMessages {
		if strings.Contains(msg, m) {
			return rampart.ErrClassCredentials
		}
	}
	if strings.Contains(msg, "service control policy") {
		return rampart.ErrClassAccessDenied
	}
	return rampart.ErrClassUnknown
}

// statusCode returns the HTTP status of err's response, or 0.
func statusCode(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// apiCode returns the code of the first smithy.APIError in err's chain.
func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// isSCPDenial reports whether err's API message says a service control
// policy (or another organization policy) denied the call.
func isSCPDenial(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	msg := strings.ToLower(apiErr.ErrorMessage())
	return strings.Contains(msg, "service control policy") || strings.Contains(msg, "explicit deny in a")
}

// isCredentialFailure reports whether err happened while obtaining
// credentials rather than in the call itself.
func isCredentialFailure(err error) bool {
	var (
		profileMissing config.SharedConfigProfileNotExistError
		assumeRoleCfg  config.SharedConfigAssumeRoleError
		ssoToken       *ssocreds.InvalidTokenError
	)
	if errors.As(err, &profileMissing) || errors.As(err, &assumeRoleCfg) || errors.As(err, &ssoToken) {
		return true
	}
	found := false
	walk(err, func(e error) bool {
		if op, ok := e.(*smithy.OperationError); ok && credentialOps[op.ServiceID+":"+op.OperationName] {
			found = true
		}
		return !found
	})
	if found {
		return true
	}
	msg := err.Error()
	for _, m := range credentialMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// walk visits err and its chain (Unwrap() error and Unwrap() []error) depth
// first until visit returns false.
func walk(err error, visit func(error) bool) bool {
	for err != nil {
		if !visit(err) {
			return false
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !walk(e, visit) {
					return false
				}
			}
			return true
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return true
		}
	}
	return true
}

// requestRegion returns the region of the request that produced err's HTTP
// response: the SigV4 credential scope of its Authorization header
// ("Credential=AKID/20260101/ap-east-1/ec2/aws4_request"), else the first
// label of its host that is an opt-in region; "" when unknown.
func requestRegion(err error) string {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil || re.Response.Request == nil {
		return ""
	}
	req := re.Response.Request
	if _, scope, ok := strings.Cut(req.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(scope, "/"); len(parts) >= 3 {
			return parts[2]
		}
	}
	if req.URL != nil {
		for _, label := range strings.Split(req.URL.Hostname(), ".") {
			if OptInRegions[label] {
				return label
			}
		}
	}
	return ""
}

// isConnectionError reports connection refused/reset and DNS failures.
func isConnectionError(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "use of closed network connection")
}
