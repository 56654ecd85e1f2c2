package awssim

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestEC2DescribeRegions(t *testing.T) {
	s := startSim(t, DemoEstate())
	tests := []struct {
		account string
		all     bool
		want    map[string]string
	}{
		{"111100000003", true, map[string]string{"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required",
			"ap-east-1": "opted-in", "me-south-1": "not-opted-in"}},
		{"111100000003", false, map[string]string{"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required",
			"ap-east-1": "opted-in"}},
		{"111100000004", true, map[string]string{"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required",
			"ap-east-1": "not-opted-in", "me-south-1": "not-opted-in"}},
		{"111100000004", false, map[string]string{"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/all=%v", tt.account, tt.all), func(t *testing.T) {
			client := ec2Client(s.member(tt.account, retailExtID, "us-east-1"))
			out, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(tt.all)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range out.Regions {
				got[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("regions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEC2DisabledRegion(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := ec2Client(s.member("111100000004", retailExtID, "ap-east-1"))
	_, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	wantCode(t, err, "AuthFailure")
	// The same role in an account that opted in works.
	ok := ec2Client(s.member("111100000003", retailExtID, "ap-east-1"))
	out, err := ok.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	var names []string
	for _, g := range out.SecurityGroups {
		names = append(names, aws.ToString(g.GroupName))
	}
	if err != nil || fmt.Sprint(names) != "[apac-web default]" {
		t.Fatalf("opted-in region SGs = %+v, %v", out, err)
	}
}

// sshOpen reports whether a group allows tcp/22 from 0.0.0.0/0.
func sshOpen(g ec2types.SecurityGroup) bool {
	for _, p := range g.IpPermissions {
		if aws.ToString(p.IpProtocol) == "tcp" && aws.ToInt32(p.FromPort) <= 22 && aws.ToInt32(p.ToPort) >= 22 {
			for _, r := range p.IpRanges {
				if aws.ToString(r.CidrIp) == "0.0.0.0/0" {
					return true
				}
			}
		}
	}
	return false
}

func TestEC2SameMisconfigurationInTwoRegions(t *testing.T) {
	s := startSim(t, DemoEstate())
	var ids []string
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		client := ec2Client(s.member("111100000003", retailExtID, region))
		out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
			Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"legacy-bastion"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.SecurityGroups) != 1 || !sshOpen(out.SecurityGroups[0]) {
			t.Fatalf("%s legacy-bastion = %+v", region, out.SecurityGroups)
		}
		g := out.SecurityGroups[0]
		if !strings.HasPrefix(aws.ToString(g.SecurityGroupArn), "arn:aws:ec2:"+region+":111100000003:security-group/") {
			t.Errorf("arn = %s", aws.ToString(g.SecurityGroupArn))
		}
		ids = append(ids, aws.ToString(g.GroupId))
	}
	if ids[0] == ids[1] {
		t.Errorf("the two regions' groups share ID %s", ids[0])
	}
}

func TestEC2Resources(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := ec2Client(s.member("111100000003", retailExtID, "us-east-1"))

	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "10.10.0.0/16" {
		t.Fatalf("vpcs = %+v, %v", vpcs, err)
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil || len(subnets.Subnets) != 2 {
		t.Fatalf("subnets = %+v, %v", subnets, err)
	}
	if !aws.ToBool(subnets.Subnets[0].MapPublicIpOnLaunch) || aws.ToBool(subnets.Subnets[1].MapPublicIpOnLaunch) ||
		aws.ToString(subnets.Subnets[0].VpcId) != vpcID {
		t.Errorf("subnets = %+v", subnets.Subnets)
	}

	res, err := client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ec2types.Instance{}
	for _, r := range res.Reservations {
		for _, in := range r.Instances {
			for _, tag := range in.Tags {
				if aws.ToString(tag.Key) == "Name" {
					byName[aws.ToString(tag.Value)] = in
				}
			}
		}
	}
	bastion, ok := byName["bastion-1"]
	if !ok || aws.ToString(bastion.PublicIpAddress) != "203.0.113.10" || bastion.State.Name != ec2types.InstanceStateNameRunning ||
		len(bastion.SecurityGroups) != 1 || aws.ToString(bastion.SecurityGroups[0].GroupName) != "legacy-bastion" ||
		aws.ToString(bastion.VpcId) != vpcID {
		t.Errorf("bastion-1 = %+v", bastion)
	}
	app := byName["web-app-1"]
	if app.PublicIpAddress != nil || app.MetadataOptions.HttpTokens != ec2types.HttpTokensStateRequired || app.IamInstanceProfile == nil {
		t.Errorf("web-app-1 = %+v", app)
	}

	enis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil || len(enis.NetworkInterfaces) != 2 {
		t.Fatalf("enis = %+v, %v", enis, err)
	}

	sgs, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"app-internal"}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("app-internal = %+v, %v", sgs, err)
	}
	perm := sgs.SecurityGroups[0].IpPermissions[0]
	if len(perm.UserIdGroupPairs) != 1 || aws.ToInt32(perm.FromPort) != 8080 || aws.ToInt32(perm.ToPort) != 8081 {
		t.Errorf("app-internal ingress = %+v", perm)
	}
	egress := sgs.SecurityGroups[0].IpPermissionsEgress
	if len(egress) != 1 || aws.ToString(egress[0].IpProtocol) != "-1" {
		t.Errorf("default egress = %+v", egress)
	}
	_, err = client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000000"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("bogus"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")

	// RDP from ::/0 and all-protocol rules.
	orders := ec2Client(s.member("111100000004", retailExtID, "us-east-1"))
	win, err := orders.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"win-admin"}})
	if err != nil {
		t.Fatal(err)
	}
	p := win.SecurityGroups[0].IpPermissions[0]
	if aws.ToInt32(p.FromPort) != 3389 || len(p.Ipv6Ranges) != 1 || aws.ToString(p.Ipv6Ranges[0].CidrIpv6) != "::/0" || len(p.IpRanges) != 0 {
		t.Errorf("win-admin = %+v", p)
	}
	staging := ec2Client(s.member("111100000005", retailExtID, "eu-west-1"))
	open, err := staging.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	p = open.SecurityGroups[0].IpPermissions[0]
	if aws.ToString(p.IpProtocol) != "-1" || p.FromPort != nil || aws.ToString(p.IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("debug-open = %+v", p)
	}
}

func TestEC2Pagination(t *testing.T) {
	var b strings.Builder
	b.WriteString(`
regions: [{name: us-east-1}]
organizations:
  - id: o-test
    management_account: "123456789012"
    accounts:
      - id: "123456789012"
        name: mgmt
        access_keys: [{id: AKIATESTMGMT00000001, secret: s}]
        ec2:
          us-east-1:
            vpcs: [{name: main, cidr: 10.0.0.0/16}]
            security_groups:
`)
	for i := range 12 {
		fmt.Fprintf(&b, "              - {name: sg-%02d, ingress: [{protocol: tcp, port: %d, cidrs: [10.0.0.0/8]}]}\n", i, 1000+i)
	}
	e, err := ParseEstate([]byte(b.String()), "pagination.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, e)
	client := ec2Client(s.config("AKIATESTMGMT00000001", "s", "us-east-1"))
	p := ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range page.SecurityGroups {
			names = append(names, aws.ToString(g.GroupName))
		}
	}
	// 12 declared groups plus the VPC's default group, which AWS (and the
	// simulator) creates with the VPC.
	if len(names) != 13 || pages != 3 || !slices.IsSorted(names[:12]) || names[12] != "default" {
		t.Errorf("names = %v over %d pages", names, pages)
	}
	_, err = client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
}

func TestEveryVPCHasADefaultSecurityGroup(t *testing.T) {
	s := startSim(t, DemoEstate())
	// 222200000003 declares its default group (emptied); 111100000003 does not.
	for _, tt := range []struct {
		account, ext string
		wantIngress  int
	}{
		{"111100000003", retailExtID, 1},
		{"222200000003", "rampart-payments-7f3a", 0},
	} {
		cfg := s.member(tt.account, tt.ext, "us-east-1")
		if tt.account[0] == '2' { // a payments account: assume from the payments management account
			mgmt := s.config("AKIAPAYMENTSMGMT0001", "payments-demo-secret", "us-east-1")
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(mgmt),
				"arn:aws:iam::"+tt.account+":role/RampartAudit", func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(tt.ext) }))
		}
		client := ec2Client(cfg)
		out, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var defaults int
		for _, g := range out.SecurityGroups {
			if aws.ToString(g.GroupName) == "default" {
				defaults++
				if len(g.IpPermissions) != tt.wantIngress {
					t.Errorf("%s default group has %d ingress rules, want %d", tt.account, len(g.IpPermissions), tt.wantIngress)
				}
			}
		}
		if defaults != 1 {
			t.Errorf("%s: %d default groups in us-east-1, want 1", tt.account, defaults)
		}
	}
}

// TestResourceTimesFixedWhileTheClockRuns: an estate's "N days ago" is an
// instant fixed when the simulator starts, as a real launch time is: a day
// later the same instance reports the same launch time (it is a day
// older), not one a day later.
func TestResourceTimesFixedWhileTheClockRuns(t *testing.T) {
	var offset atomic.Int64
	s := New(DemoEstate(), Options{Now: func() time.Time { return fixedNow.Add(time.Duration(offset.Load())) }})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sm := &sim{Server: s, url: url}
	launchTimes := func() map[string]time.Time {
		res, err := ec2Client(sm.member("111100000003", retailExtID, "us-east-1")).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]time.Time{}
		for _, r := range res.Reservations {
			for _, in := range r.Instances {
				out[aws.ToString(in.InstanceId)] = aws.ToTime(in.LaunchTime)
			}
		}
		return out
	}
	today := launchTimes()
	offset.Store(int64(24 * time.Hour))
	tomorrow := launchTimes()
	if len(today) == 0 || !reflect.DeepEqual(today, tomorrow) {
		t.Fatalf("launch times %v, a day later %v; want the same instants", today, tomorrow)
	}
	for id, at := range today {
		if !at.Before(fixedNow) {
			t.Errorf("instance %s launched at %v, not before the simulator started (%v)", id, at, fixedNow)
		}
	}
}
