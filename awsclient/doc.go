// Package awsclient is Rampart's AWS edge: it turns a landing zone's settings
// into configured aws-sdk-go-v2 configs and classifies the errors AWS returns.
//
// Every aws.Config this package hands out carries three things:
//
//   - a read-only guard (ReadOnlyGuard) that refuses, before anything is
//     signed or sent, every operation that is not on an explicit allowlist of
//     read operations (Describe*, List*, Get*, Head*, sts:AssumeRole and
//     sts:GetCallerIdentity, minus a few side-effecting Get* exceptions);
//   - a standard SDK retryer with full-jitter exponential backoff (Backoff)
//     that retries throttling, 5xx, timeouts and connection resets;
//   - the configured region and, when set, the custom endpoint.
//
// Classify and Wrap map an error seen at this edge to a rampart.ErrorClass.
// ListAccounts and Regions enumerate a landing zone's accounts (AWS
// Organizations) and an account's regions (EC2 DescribeRegions) over narrow,
// consumer-side interfaces of the SDK clients.
package awsclient
