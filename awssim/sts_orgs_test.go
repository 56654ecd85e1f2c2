package awssim

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestGetCallerIdentity(t *testing.T) {
	s := startSim(t, DemoEstate())
	out, err := sts.NewFromConfig(s.retail("us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Account), "111100000001"; got != want {
		t.Errorf("account = %s, want %s", got, want)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:iam::111100000001:user/rampart-scanner"; got != want {
		t.Errorf("arn = %s, want %s", got, want)
	}
}

func TestAssumeRoleBindsMemberAccount(t *testing.T) {
	s := startSim(t, DemoEstate())
	cfg := s.member("111100000003", retailExtID, "us-east-1")
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(id.Account); got != "111100000003" {
		t.Fatalf("assumed account = %s, want 111100000003", got)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID[:4] != "ASIA" || creds.SessionToken == "" || !creds.CanExpire {
		t.Errorf("temporary credentials look wrong: key %s token %q canExpire %v", creds.AccessKeyID, creds.SessionToken, creds.CanExpire)
	}
	// The member's credentials see the member's buckets, not another
	// account's.
	out, err := s3Client(cfg).ListBuckets(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Equal(names, []string{"retail-web-assets-prod"}) {
		t.Fatalf("buckets = %v, want [retail-web-assets-prod]", names)
	}
}

func TestAssumeRoleDenied(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := sts.NewFromConfig(s.retail("us-east-1"))
	tests := []struct {
		name, arn, extID string
	}{
		{"missing role", "arn:aws:iam::111100000007:role/RampartAudit", retailExtID},
		{"wrong external id", "arn:aws:iam::111100000003:role/RampartAudit", "nope"},
		{"no external id", "arn:aws:iam::111100000003:role/RampartAudit", ""},
		{"suspended account", "arn:aws:iam::111100000008:role/RampartAudit", retailExtID},
		{"other organization", "arn:aws:iam::222200000003:role/RampartAudit", "rampart-payments-7f3a"},
		{"unknown account", "arn:aws:iam::999999999999:role/RampartAudit", retailExtID},
		{"unknown role", "arn:aws:iam::111100000003:role/Other", retailExtID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(tt.arn), RoleSessionName: aws.String("test")}
			if tt.extID != "" {
				in.ExternalId = aws.String(tt.extID)
			}
			_, err := client.AssumeRole(ctx, in)
			wantCode(t, err, "AccessDenied")
		})
	}
}

func TestOrganizations(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := orgClient(s.retail("us-east-1"))

	org, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(org.Organization.Id) != "o-retail" || aws.ToString(org.Organization.MasterAccountId) != "111100000001" {
		t.Fatalf("organization = %+v", org.Organization)
	}

	roots, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots.Roots) != 1 || aws.ToString(roots.Roots[0].Id) != "r-ret1" {
		t.Fatalf("roots = %+v", roots.Roots)
	}

	s.ResetCalls()
	var accounts []orgtypes.Account
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, page.Accounts...)
	}
	if len(accounts) != 9 {
		t.Fatalf("accounts = %d, want 9", len(accounts))
	}
	if n := len(s.Calls()); n != 2 {
		t.Errorf("ListAccounts pages = %d, want 2 (page size 5)", n)
	}
	first := accounts[0]
	if want := fixedNow.Add(-1500 * 24 * time.Hour); !aws.ToTime(first.JoinedTimestamp).Equal(want) {
		t.Errorf("JoinedTimestamp = %v, want %v", aws.ToTime(first.JoinedTimestamp), want)
	}

	ous, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("r-ret1")})
	if err != nil {
		t.Fatal(err)
	}
	var ouIDs []string
	for _, ou := range ous.OrganizationalUnits {
		ouIDs = append(ouIDs, aws.ToString(ou.Id))
	}
	if !slices.Equal(ouIDs, []string{"ou-ret-prod", "ou-ret-nonprod", "ou-ret-security"}) {
		t.Errorf("root OUs = %v", ouIDs)
	}
	nested, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-ret-nonprod")})
	if err != nil {
		t.Fatal(err)
	}
	if len(nested.OrganizationalUnits) != 1 || aws.ToString(nested.OrganizationalUnits[0].Name) != "Sandbox" {
		t.Errorf("nonprod OUs = %+v", nested.OrganizationalUnits)
	}

	sandbox, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-ret-sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]orgtypes.AccountStatus{}
	for _, a := range sandbox.Accounts {
		status[aws.ToString(a.Id)] = a.Status
	}
	if len(status) != 2 || status["111100000007"] != orgtypes.AccountStatusActive || status["111100000008"] != orgtypes.AccountStatusSuspended {
		t.Errorf("sandbox accounts = %v", status)
	}

	children, err := client.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("r-ret1"), ChildType: orgtypes.ChildTypeAccount})
	if err != nil {
		t.Fatal(err)
	}
	if len(children.Children) != 1 || aws.ToString(children.Children[0].Id) != "111100000001" {
		t.Errorf("root account children = %+v", children.Children)
	}

	var childOUs int
	cp := organizations.NewListChildrenPaginator(client, &organizations.ListChildrenInput{
		ParentId: aws.String("r-ret1"), ChildType: orgtypes.ChildTypeOrganizationalUnit, MaxResults: aws.Int32(1)})
	for cp.HasMorePages() {
		page, err := cp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		childOUs += len(page.Children)
	}
	if childOUs != 3 {
		t.Errorf("OU children over pages of 1 = %d, want 3", childOUs)
	}

	_, err = client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-nope-1234")})
	wantCode(t, err, "ParentNotFoundException")
}

func TestOrganizationsOnlyFromManagementAccount(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := orgClient(s.member("111100000003", retailExtID, "us-east-1"))
	_, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{})
	wantCode(t, err, "AccessDeniedException")
	// A member may still describe its organization.
	if _, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("member DescribeOrganization: %v", err)
	}
}
