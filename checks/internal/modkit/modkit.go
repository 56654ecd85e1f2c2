// Package modkit holds the small pieces every scanner module repeats: turning
// check outcomes into the unit's ServiceResult, failing every selected check
// when a module's collection fails, classifying errors when Env.Classify is
// unset, and recognising the AWS error codes that mean "not configured".
// It is internal to checks so that modules can share it without importing
// one another.
package modkit

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// AttrError records why one attribute of one resource could not be
// collected. Checks that need the attribute report NOT_EVALUATED with Class.
type AttrError struct {
	Class   rampart.ErrorClass `json:"class"`
	Message string             `json:"message"`
}

// NewAttrError classifies err with env and returns the record to keep on the
// resource.
func NewAttrError(env checks.Env, err error) *AttrError {
	return &AttrError{Class: Classify(env, err), Message: checks.StableErrorText(err)}
}

// Classify returns env.Classify(err), or unknown when env has no classifier.
func Classify(env checks.Env, err error) rampart.ErrorClass {
	if env.Classify == nil {
		return rampart.ErrClassUnknown
	}
	if c := env.Classify(err); c != "" {
		return c
	}
	return rampart.ErrClassUnknown
}

// HasCode reports whether err carries a smithy API error with one of codes.
func HasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// AccountARN returns the ARN Rampart uses for account-level resources.
func AccountARN(accountID string) string {
	return "arn:aws:iam::" + accountID + ":root"
}

// NotEvaluated returns a NOT_EVALUATED result on one resource because
// attribute attr could not be collected.
func NotEvaluated(r checks.Result, attr string, e *AttrError) checks.Result {
	r.Status = rampart.StatusNotEvaluated
	r.ErrorClass = e.Class
	if r.ErrorClass == "" {
		r.ErrorClass = rampart.ErrClassUnknown
	}
	r.StatusExtended = fmt.Sprintf("Could not read the %s of %s: %s.", attr, r.ResourceName, e.Message)
	return r
}

// Finish builds the module result of a unit whose collection completed:
// Status ok, ChecksRun the number of outcomes, ChecksFailed the number of
// checks with at least one NOT_EVALUATED row, ChecksErrored the IDs of checks
// that could not evaluate as a whole. state is serialized as Raw; a state
// that does not serialize is reported in Service.Error without failing the
// unit.
func Finish(service string, outcomes []checks.CheckOutcome, state any) checks.ModuleResult {
	res := checks.ModuleResult{
		Service: rampart.ServiceResult{Service: service, Status: rampart.ServiceOK, ChecksRun: len(outcomes)},
		Checks:  outcomes,
	}
	for _, o := range outcomes {
		if o.Err != nil {
			res.Service.ChecksErrored = append(res.Service.ChecksErrored, o.Meta.ID)
		}
		for _, r := range o.Results {
			if r.Status == rampart.StatusNotEvaluated {
				res.Service.ChecksFailed++
				break
			}
		}
	}
	raw, err := json.Marshal(state)
	if err != nil {
		res.Service.Error = fmt.Sprintf("%s: serialize inventory: %v", service, err)
	}
	res.Raw = raw
	return res
}

// Fail builds the module result of a unit whose collection failed as a
// whole: every selected check gets one NOT_EVALUATED row on the account with
// the error's class, and the service is marked failed.
func Fail(env checks.Env, service string, metas []checks.Meta, selected func(string) bool, err error) checks.ModuleResult {
	class := Classify(env, err)
	res := checks.ModuleResult{Service: rampart.ServiceResult{
		Service:    service,
		Status:     rampart.ServiceFailed,
		ErrorClass: class,
		Error:      err.Error(),
	}}
	for _, m := range metas {
		if selected != nil && !selected(m.ID) {
			continue
		}
		res.Checks = append(res.Checks, checks.NotEvaluated(m, AccountARN(env.AccountID), class, err))
		res.Service.ChecksErrored = append(res.Service.ChecksErrored, m.ID)
	}
	res.Service.ChecksRun = len(res.Checks)
	res.Service.ChecksFailed = len(res.Checks)
	return res
}

// Metas returns the metadata of list, in order.
func Metas[S any](list []checks.Check[S]) []checks.Meta {
	out := make([]checks.Meta, len(list))
	for i, c := range list {
		out[i] = c.Meta
	}
	return out
}
