package awsclient

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
)

// fakeOrg is an organization tree served one item per page, so that the
// paginators are exercised.
type fakeOrg struct {
	accounts map[string][]orgtypes.Account // by parent id
	ous      map[string][]string           // child OU ids by parent id
	failOn   string                        // parent id whose listing fails
	calls    int
}

var _ OrganizationsAPI = (*fakeOrg)(nil)

func page[T any](items []T, token *string) ([]T, *string) {
	i := 0
	if token != nil {
		i, _ = strconv.Atoi(*token)
	}
	if i >= len(items) {
		return nil, nil
	}
	var next *string
	if i+1 < len(items) {
		next = aws.String(strconv.Itoa(i + 1))
	}
	return items[i : i+1], next
}

func (f *fakeOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls++
	var all []orgtypes.Account
	for _, as := range f.accounts {
		all = append(all, as...)
	}
	// Map order is random; a stable order keeps page tokens meaningful.
	sortByID(all)
	items, next := page(all, in.NextToken)
	return &organizations.ListAccountsOutput{Accounts: items, NextToken: next}, nil
}

func (f *fakeOrg) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.calls++
	if aws.ToString(in.ParentId) == f.failOn {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	}
	items, next := page(f.accounts[aws.ToString(in.ParentId)], in.NextToken)
	return &organizations.ListAccountsForParentOutput{Accounts: items, NextToken: next}, nil
}

func (f *fakeOrg) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.calls++
	var ous []orgtypes.OrganizationalUnit
	for _, id := range f.ous[aws.ToString(in.ParentId)] {
		ous = append(ous, orgtypes.OrganizationalUnit{Id: aws.String(id)})
	}
	items, next := page(ous, in.NextToken)
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: items, NextToken: next}, nil
}

func sortByID(as []orgtypes.Account) {
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			if aws.ToString(as[j].Id) < aws.ToString(as[i].Id) {
				as[i], as[j] = as[j], as[i]
			}
		}
	}
}

func acct(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), Name: aws.String("acct-" + id), Email: aws.String(id + "@example.com"), State: state}
}

// testOrg: root r-1 holds the management account and ou-a; ou-a holds two
// accounts and ou-b; ou-b holds a suspended and a closing account; ou-c
// is a sibling of ou-a.
func testOrg() *fakeOrg {
	return &fakeOrg{
		accounts: map[string][]orgtypes.Account{
			"r-1":  {acct("100000000000", orgtypes.AccountStateActive)},
			"ou-a": {acct("200000000000", orgtypes.AccountStateActive), acct("200000000001", orgtypes.AccountStateActive)},
			"ou-b": {acct("300000000000", orgtypes.AccountStateSuspended), acct("300000000001", orgtypes.AccountStatePendingClosure)},
			"ou-c": {acct("400000000000", orgtypes.AccountStateActive)},
		},
		ous: map[string][]string{"r-1": {"ou-a", "ou-c"}, "ou-a": {"ou-b"}},
	}
}

type idOU struct{ ID, OU, Status string }

func summarize(as []rampart.Account) []idOU {
	out := []idOU{}
	for _, a := range as {
		out = append(out, idOU{a.ID, a.OU, a.Status})
	}
	return out
}

func TestListAccounts(t *testing.T) {
	tests := []struct {
		name string
		ous  []string
		want []idOU
	}{
		{"all accounts", nil, []idOU{
			{"100000000000", "", "ACTIVE"}, {"200000000000", "", "ACTIVE"}, {"200000000001", "", "ACTIVE"},
			{"300000000000", "", "SUSPENDED"}, {"300000000001", "", "PENDING_CLOSURE"}, {"400000000000", "", "ACTIVE"},
		}},
		{"root means all, with parents", []string{"r-1"}, []idOU{
			{"100000000000", "r-1", "ACTIVE"}, {"200000000000", "ou-a", "ACTIVE"}, {"200000000001", "ou-a", "ACTIVE"},
			{"300000000000", "ou-b", "SUSPENDED"}, {"300000000001", "ou-b", "PENDING_CLOSURE"}, {"400000000000", "ou-c", "ACTIVE"},
		}},
		{"OU recursively", []string{"ou-a"}, []idOU{
			{"200000000000", "ou-a", "ACTIVE"}, {"200000000001", "ou-a", "ACTIVE"},
			{"300000000000", "ou-b", "SUSPENDED"}, {"300000000001", "ou-b", "PENDING_CLOSURE"},
		}},
		{"nested and overlapping OUs listed once", []string{"ou-b", "ou-a", "ou-b"}, []idOU{
			{"200000000000", "ou-a", "ACTIVE"}, {"200000000001", "ou-a", "ACTIVE"},
			{"300000000000", "ou-b", "SUSPENDED"}, {"300000000001", "ou-b", "PENDING_CLOSURE"},
		}},
		{"two sibling OUs", []string{"ou-c", "ou-b"}, []idOU{
			{"300000000000", "ou-b", "SUSPENDED"}, {"300000000001", "ou-b", "PENDING_CLOSURE"}, {"400000000000", "ou-c", "ACTIVE"},
		}},
		{"empty OU", []string{"ou-empty"}, []idOU{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ListAccounts(context.Background(), testOrg(), tt.ous)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(summarize(got), tt.want) {
				t.Errorf("got  %v\nwant %v", summarize(got), tt.want)
			}
		})
	}
}

func TestListAccountsFields(t *testing.T) {
	org := testOrg()
	org.accounts["ou-c"] = []orgtypes.Account{{Id: aws.String("400000000000"), Name: aws.String("legacy"),
		Email: aws.String("l@example.com"), Status: orgtypes.AccountStatusSuspended}} // only the old Status field
	got, err := ListAccounts(context.Background(), org, []string{"ou-c"})
	if err != nil {
		t.Fatal(err)
	}
	want := []rampart.Account{{ID: "400000000000", Name: "legacy", Email: "l@example.com", Status: "SUSPENDED", OU: "ou-c"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestListAccountsError(t *testing.T) {
	org := testOrg()
	org.failOn = "ou-b"
	_, err := ListAccounts(context.Background(), org, []string{"ou-a"})
	if got := Classify(err); got != rampart.ErrClassAccessDenied {
		t.Fatalf("Classify(%v) = %q, want access_denied", err, got)
	}
	var ce *rampart.ClassifiedError
	if !errors.As(err, &ce) {
		t.Errorf("error %v is not a ClassifiedError", err)
	}
}

type fakeEC2 struct {
	in  *ec2.DescribeRegionsInput
	out *ec2.DescribeRegionsOutput
	err error
}

func (f *fakeEC2) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	f.in = in
	return f.out, f.err
}

func region(name, status string) ec2types.Region {
	return ec2types.Region{RegionName: aws.String(name), OptInStatus: aws.String(status)}
}

func TestRegions(t *testing.T) {
	api := &fakeEC2{out: &ec2.DescribeRegionsOutput{Regions: []ec2types.Region{
		region("us-west-2", "opt-in-not-required"),
		region("ap-east-1", "not-opted-in"),
		region("us-east-1", "opt-in-not-required"),
		region("me-south-1", "opted-in"),
		region("af-south-1", "not-opted-in"),
		{RegionName: aws.String("xx-odd-1")}, // no status: not enabled
	}}}
	enabled, disabled, err := Regions(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(api.in.AllRegions) {
		t.Error("DescribeRegions called without AllRegions")
	}
	if want := []string{"me-south-1", "us-east-1", "us-west-2"}; !reflect.DeepEqual(enabled, want) {
		t.Errorf("enabled = %v, want %v", enabled, want)
	}
	if want := []string{"af-south-1", "ap-east-1", "xx-odd-1"}; !reflect.DeepEqual(disabled, want) {
		t.Errorf("disabled = %v, want %v", disabled, want)
	}
}

func TestRegionsError(t *testing.T) {
	api := &fakeEC2{err: &smithy.GenericAPIError{Code: "UnauthorizedOperation"}}
	_, _, err := Regions(context.Background(), api)
	if got := Classify(err); got != rampart.ErrClassAccessDenied {
		t.Fatalf("Classify(%v) = %q, want access_denied", err, got)
	}
}
