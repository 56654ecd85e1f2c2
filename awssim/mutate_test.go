package awssim

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMutate(t *testing.T) {
	s := startSim(t, DemoEstate())
	if err := s.Mutate(func(*Estate) {}); err != nil {
		t.Fatalf("re-validating the demo estate: %v", err)
	}
	cfg := s.member("111100000003", retailExtID, "us-east-1")
	bucket := aws.String("retail-web-assets-prod")
	if _, err := s3Client(cfg).GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket}); apiCode(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Fatalf("before fix: %v", err)
	}
	err := s.Mutate(func(e *Estate) {
		b, _ := e.Bucket("retail-web-assets-prod")
		b.PublicAccessBlock = &PublicAccessBlock{true, true, true, true}
		b.Policy = ""
		r := e.Account("111100000003").EC2["us-east-1"]
		r.SecurityGroups = append(r.SecurityGroups, &SecurityGroup{Name: "added", VPC: "web-prod",
			Ingress: []Rule{{Protocol: "tcp", Port: aws.Int(443), CIDRs: []string{"10.0.0.0/8"}}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	pab, err := s3Client(cfg).GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) {
		t.Errorf("after fix: %+v, %v", pab, err)
	}
	_, err = s3Client(cfg).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	wantCode(t, err, "NoSuchBucketPolicy")
	sgs, err := ec2Client(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"added"}})
	if err != nil || len(sgs.SecurityGroups) != 1 || !strings.HasPrefix(aws.ToString(sgs.SecurityGroups[0].GroupId), "sg-") ||
		aws.ToString(sgs.SecurityGroups[0].VpcId) == "" || aws.ToInt32(sgs.SecurityGroups[0].IpPermissions[0].FromPort) != 443 {
		t.Errorf("added group = %+v, %v", sgs, err)
	}

	err = s.Mutate(func(e *Estate) { e.Account("111100000003").Status = "GONE" })
	if err == nil || !strings.Contains(err.Error(), "status must be ACTIVE or SUSPENDED") {
		t.Errorf("invalid mutation error = %v", err)
	}
}
