package awsclient

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rampart-cspm/rampart"
)

// OrganizationsAPI is the part of the Organizations client ListAccounts
// uses. *organizations.Client satisfies it.
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, params *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListAccountsForParent(ctx context.Context, params *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, params *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
}

// EC2RegionsAPI is the part of the EC2 client Regions uses. *ec2.Client
// satisfies it.
type EC2RegionsAPI interface {
	DescribeRegions(ctx context.Context, params *ec2.DescribeRegionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

var (
	_ OrganizationsAPI = (*organizations.Client)(nil)
	_ EC2RegionsAPI    = (*ec2.Client)(nil)
)

// ListAccounts lists the organization's accounts, called with a client of
// the management account or of a delegated administrator.
//
// With ous empty it lists every account (organizations:ListAccounts) and
// Account.OU is "". With ous set it lists only the accounts under those
// parents, recursively through child OUs, and Account.OU is the id of the
// account's direct parent (an OU id, or the root id for accounts directly
// under the root); a root id ("r-...") in ous therefore means every account.
// An account under two of the given parents is listed once.
//
// Accounts that are not active (SUSPENDED, PENDING_CLOSURE, CLOSED, ...)
// are returned too, with Account.Status set to their state, so callers can
// skip and report them. The result is sorted by account ID. Errors are
// wrapped with the failing call and classified (Wrap).
func ListAccounts(ctx context.Context, api OrganizationsAPI, ous []string) ([]rampart.Account, error) {
	var out []rampart.Account
	if len(ous) == 0 {
		p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, Wrap(fmt.Errorf("organizations: list accounts: %w", err))
			}
			for _, a := range page.Accounts {
				out = append(out, toAccount(a, ""))
			}
		}
		sortAccounts(out)
		return out, nil
	}

	seen := map[string]bool{}    // account IDs already listed
	visited := map[string]bool{} // parents already walked
	queue := append([]string(nil), ous...)
	for len(queue) > 0 {
		parent := strings.TrimSpace(queue[0])
		queue = queue[1:]
		if parent == "" || visited[parent] {
			continue
		}
		visited[parent] = true

		ap := organizations.NewListAccountsForParentPaginator(api,
			&organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				return nil, Wrap(fmt.Errorf("organizations: list accounts for parent %s: %w", parent, err))
			}
			for _, a := range page.Accounts {
				id := aws.ToString(a.Id)
				if seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, toAccount(a, parent))
			}
		}

		op := organizations.NewListOrganizationalUnitsForParentPaginator(api,
			&organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return nil, Wrap(fmt.Errorf("organizations: list OUs under %s: %w", parent, err))
			}
			for _, ou := range page.OrganizationalUnits {
				queue = append(queue, aws.ToString(ou.Id))
			}
		}
	}
	sortAccounts(out)
	return out, nil
}

// toAccount maps an Organizations account. State is preferred over the
// older Status field, which AWS is retiring.
func toAccount(a orgtypes.Account, parent string) rampart.Account {
	status := string(a.State)
	if status == "" {
		status = string(a.Status)
	}
	return rampart.Account{
		ID:     aws.ToString(a.Id),
		Name:   aws.ToString(a.Name),
		Email:  aws.ToString(a.Email),
		Status: status,
		OU:     parent,
	}
}

func sortAccounts(as []rampart.Account) {
	sort.Slice(as, func(i, j int) bool { return as[i].ID < as[j].ID })
}

// Regions lists the account's regions with ec2:DescribeRegions
// (AllRegions=true): enabled are those whose opt-in status is
// "opt-in-not-required" or "opted-in"; disabled are all others
// ("not-opted-in", and regions still being enabled or disabled). Both
// lists are sorted. Errors are wrapped and classified (Wrap).
func Regions(ctx context.Context, api EC2RegionsAPI) (enabled, disabled []string, err error) {
	out, err := api.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, nil, Wrap(fmt.Errorf("ec2: describe regions: %w", err))
	}
	for _, r := range out.Regions {
		name := aws.ToString(r.RegionName)
		if name == "" {
			continue
		}
		if regionEnabled(r) {
			enabled = append(enabled, name)
		} else {
			disabled = append(disabled, name)
		}
	}
	sort.Strings(enabled)
	sort.Strings(disabled)
	return enabled, disabled, nil
}

func regionEnabled(r ec2types.Region) bool {
	switch aws.ToString(r.OptInStatus) {
	case "opt-in-not-required", "opted-in":
		return true
	}
	return false
}

// Enumerator lists accounts and regions with SDK clients made from a
// config. It is the adapter the scan pipeline uses.
type Enumerator struct{}

// Accounts lists the organization's accounts (see ListAccounts).
func (Enumerator) Accounts(ctx context.Context, cfg aws.Config, ous []string) ([]rampart.Account, error) {
	return ListAccounts(ctx, organizations.NewFromConfig(cfg), ous)
}

// Regions lists the account's enabled and disabled regions (see Regions).
func (Enumerator) Regions(ctx context.Context, cfg aws.Config) ([]string, []string, error) {
	return Regions(ctx, ec2.NewFromConfig(cfg))
}
