package awsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// ErrMutatingCall is wrapped by the error the read-only guard returns when an
// SDK call is not on the read-only allowlist. The call is refused before it
// is serialized, signed or sent.
var ErrMutatingCall = errors.New("awsclient: refused AWS call that is not read-only")

// guardID is the ID of the read-only guard in the Initialize step.
const guardID = "rampart.ReadOnlyGuard"

// readPrefixes are the operation-name prefixes of read operations.
var readPrefixes = []string{"Describe", "List", "Get", "Head"}

// readOnlyExtras are the only operations allowed without a read prefix,
// keyed by normalized service ID.
var readOnlyExtras = map[string]bool{
	"sts:AssumeRole":        true, // how the scanner enters member accounts
	"sts:GetCallerIdentity": true,
}

// deniedReads are operations whose names look like reads but that create,
// mint or change something, keyed by normalized service ID. Operations such
// as iam:GenerateCredentialReport or kms:GenerateDataKey need no entry: they
// carry no read prefix and are refused anyway.
var deniedReads = map[string]string{
	"sts:GetSessionToken":                                "mints new credentials",
	"sts:GetFederationToken":                             "mints new credentials",
	"sso:GetRoleCredentials":                             "mints new credentials",
	"ecr:GetAuthorizationToken":                          "mints a registry token",
	"ecrpublic:GetAuthorizationToken":                    "mints a registry token",
	"codeartifact:GetAuthorizationToken":                 "mints a repository token",
	"redshift:GetClusterCredentials":                     "mints database credentials and can create the database user",
	"redshift:GetClusterCredentialsWithIAM":              "mints database credentials",
	"redshiftserverless:GetCredentials":                  "mints database credentials",
	"cognitoidentity:GetId":                              "creates an identity in the pool",
	"cognitoidentity:GetCredentialsForIdentity":          "mints credentials",
	"cognitoidentity:GetOpenIdToken":                     "mints a token",
	"cognitoidentity:GetOpenIdTokenForDeveloperIdentity": "creates an identity and mints a token",
	"lightsail:GetInstanceAccessDetails":                 "creates temporary SSH keys on the instance",
	"secretsmanager:GetSecretValue":                      "reveals the secret and updates its last-accessed date",
	"kms:GetParametersForImport":                         "creates a wrapping key and import token",
}

// normalizeService turns an SDK service ID ("Secrets Manager", "ECR PUBLIC",
// "STS") or an IAM prefix ("secretsmanager") into one lower-case form.
func normalizeService(service string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, service)
}

// hasReadPrefix reports whether op is Describe*, List*, Get* or Head*
// followed by an upper-case letter (so "Listen" is not a List).
func hasReadPrefix(op string) bool {
	for _, p := range readPrefixes {
		if rest, ok := strings.CutPrefix(op, p); ok && rest != "" {
			r, _ := utf8.DecodeRuneInString(rest)
			if unicode.IsUpper(r) {
				return true
			}
		}
	}
	return false
}

// IsReadOnlyOperation reports whether the read-only guard lets operation op
// of service through. service may be the SDK service ID ("EC2", "Secrets
// Manager") or the IAM prefix ("ec2", "secretsmanager"); op is the API
// operation name ("DescribeInstances"). Allowed are Describe*, List*, Get*
// and Head* operations, sts:AssumeRole and sts:GetCallerIdentity; denied are
// every other operation and the side-effecting Get* operations listed in
// deniedReads.
func IsReadOnlyOperation(service, op string) bool {
	key := normalizeService(service) + ":" + op
	if _, denied := deniedReads[key]; denied {
		return false
	}
	return readOnlyExtras[key] || hasReadPrefix(op)
}

// ReadOnlyGuard is an SDK API option (for aws.Config.APIOptions) that
// installs the read-only guard at the front of the Initialize step. A call
// that is not read-only (IsReadOnlyOperation) fails with an error wrapping
// ErrMutatingCall that names service and operation; nothing is sent. Adding
// the guard to a stack twice is harmless.
func ReadOnlyGuard(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(guardID); ok {
		return nil
	}
	m := middleware.InitializeMiddlewareFunc(guardID, guard)
	// Older-generated clients (e.g. CloudTrail, GuardDuty) name the service
	// and operation in a RegisterServiceMetadata initialize middleware
	// rather than before the stack runs: the guard goes right after it
	// (still before anything is serialized or sent).
	if _, ok := stack.Initialize.Get("RegisterServiceMetadata"); ok {
		return stack.Initialize.Insert(m, "RegisterServiceMetadata", middleware.After)
	}
	return stack.Initialize.Add(m, middleware.Before)
}

func guard(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if !IsReadOnlyOperation(service, op) {
		why := "not on the read-only allowlist"
		if reason, ok := deniedReads[normalizeService(service)+":"+op]; ok {
			why = reason
		}
		return middleware.InitializeOutput{}, middleware.Metadata{},
			fmt.Errorf("%w: %s:%s (%s)", ErrMutatingCall, service, op, why)
	}
	return next.HandleInitialize(ctx, in)
}
