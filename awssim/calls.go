package awssim

import (
	"sort"
	"strings"
	"time"
)

// Call is one served API call.
type Call struct {
	Service   string // sts, organizations, iam, s3, ec2
	Operation string // e.g. DescribeSecurityGroups, GetBucketPolicy
	Account   string // caller account; "" when authentication failed
	Region    string // signing region
	AccessKey string
	Start     time.Time // wall clock, when the request arrived
	End       time.Time // wall clock, when the response was written
	// StartSeq and EndSeq order every start and end event of the server
	// exactly (clock resolution cannot blur them).
	StartSeq  uint64
	EndSeq    uint64
	Status    int    // HTTP status
	ErrorCode string // AWS error code; "" on success
	Mutating  bool   // see IsMutating
}

// IsMutating reports whether an operation can change state: anything that
// is not Describe*, List*, Get* or Head*, except sts AssumeRole and
// GetCallerIdentity.
func IsMutating(service, op string) bool {
	if service == "sts" && (op == "AssumeRole" || op == "GetCallerIdentity") {
		return false
	}
	for _, prefix := range []string{"Describe", "List", "Get", "Head"} {
		if strings.HasPrefix(op, prefix) {
			return false
		}
	}
	return true
}

// MaxConcurrentAccounts returns the largest number of distinct accounts of
// the given set that had calls in flight at the same moment. Calls of other
// accounts are ignored. Calls are ordered by their sequence numbers.
func MaxConcurrentAccounts(calls []Call, accounts map[string]bool) int {
	type event struct {
		seq     uint64
		account string
		delta   int
	}
	var events []event
	for _, c := range calls {
		if !accounts[c.Account] {
			continue
		}
		events = append(events, event{c.StartSeq, c.Account, +1}, event{c.EndSeq, c.Account, -1})
	}
	sort.Slice(events, func(i, j int) bool { return events[i].seq < events[j].seq })
	inFlight := map[string]int{}
	best := 0
	for _, e := range events {
		inFlight[e.account] += e.delta
		if inFlight[e.account] == 0 {
			delete(inFlight, e.account)
		}
		best = max(best, len(inFlight))
	}
	return best
}

// MutatingCalls returns the calls that could have changed state.
func MutatingCalls(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		if c.Mutating {
			out = append(out, c)
		}
	}
	return out
}
