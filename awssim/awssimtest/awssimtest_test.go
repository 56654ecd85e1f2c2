package awssimtest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rampart-cspm/rampart/awssim"
)

func TestNewTestServer(t *testing.T) {
	s, url := NewTestServer(t, nil)
	cfg := ManagementConfig(t, url, s.Estate(), "o-payments", "us-east-1")
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Account); got != "222200000001" {
		t.Errorf("account = %s, want 222200000001", got)
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Operation != "GetCallerIdentity" || len(awssim.MutatingCalls(calls)) != 0 {
		t.Errorf("calls = %+v", calls)
	}
}
