package awssim

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	reRegion    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	reOrgID     = regexp.MustCompile(`^o-[a-z0-9]{4,32}$`)
	reRootID    = regexp.MustCompile(`^r-[a-z0-9]{4,32}$`)
	reOUID      = regexp.MustCompile(`^ou-[a-z0-9-]{4,64}$`)
	reAccountID = regexp.MustCompile(`^[0-9]{12}$`)
	reKeyID     = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{12,124}$`)
	reBucket    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	reName      = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
)

var (
	cannedACLs   = map[string]bool{"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true, "log-delivery-write": true}
	permissions  = map[string]bool{"READ": true, "WRITE": true, "READ_ACP": true, "WRITE_ACP": true, "FULL_CONTROL": true}
	faultKinds   = map[string]bool{FaultThrottle: true, FaultAccessDenied: true, FaultInternalError: true, FaultLatency: true}
	serviceNames = map[string]bool{"sts": true, "organizations": true, "iam": true, "s3": true, "ec2": true,
		// estate_services.go (SigV4 signing names)
		"rds": true, "dynamodb": true, "lambda": true, "config": true, "ssm": true, "cloudtrail": true,
		"guardduty": true, "securityhub": true, "access-analyzer": true, "logs": true, "monitoring": true, "kms": true}
)

// validator checks an estate, fills defaults and derived IDs, and collects
// every problem with its file, line and field path.
type validator struct {
	file string
	root *yaml.Node
	errs []string
}

// p is a field path: string keys and int indices.
type p []any

func (path p) String() string {
	var b strings.Builder
	for _, el := range path {
		switch x := el.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(x)
		}
	}
	return b.String()
}

func (path p) with(els ...any) p {
	out := make(p, 0, len(path)+len(els))
	return append(append(out, path...), els...)
}

// line returns the line of the deepest node of path that exists.
func (v *validator) line(path p) int {
	n := v.root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	for _, el := range path {
		if n == nil {
			break
		}
		var next *yaml.Node
		switch x := el.(type) {
		case int:
			if n.Kind == yaml.SequenceNode && x < len(n.Content) {
				next = n.Content[x]
			}
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == x {
						next = n.Content[i+1]
						if next.Kind != yaml.ScalarNode {
							line = n.Content[i].Line
						}
						break
					}
				}
			}
		}
		if next == nil {
			break
		}
		n = next
		if n.Line > 0 && (n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode) {
			line = n.Line
		}
	}
	return line
}

func (v *validator) errorf(path p, format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf("%s:%d: %s: %s", v.file, v.line(path), path, fmt.Sprintf(format, args...)))
}

func (v *validator) estate(e *Estate) {
	if err := e.Latency.validate(); err != nil {
		v.errorf(p{"latency"}, "%v", err)
	}
	if e.Quotas != nil {
		if err := e.Quotas.validate(); err != nil {
			v.errorf(p{"quotas"}, "%v", err)
		}
	}
	if len(e.Regions) == 0 {
		v.errorf(p{"regions"}, "at least one region is required")
	}
	regions := map[string]bool{}
	for i, r := range e.Regions {
		path := p{"regions", i, "name"}
		if !reRegion.MatchString(r.Name) {
			v.errorf(path, "bad region name %q", r.Name)
		} else if regions[r.Name] {
			v.errorf(path, "duplicate region %q", r.Name)
		}
		regions[r.Name] = true
	}
	if len(e.Organizations) == 0 {
		v.errorf(p{"organizations"}, "at least one organization is required")
	}
	seenOrg := map[string]bool{}
	seenAccount := map[string]string{}
	seenKey := map[string]string{}
	seenBucket := map[string]string{}
	for i, o := range e.Organizations {
		op := p{"organizations", i}
		if o == nil {
			v.errorf(op, "empty organization")
			continue
		}
		if !reOrgID.MatchString(o.ID) {
			v.errorf(op.with("id"), "bad organization id %q (want o- and 4-32 lower-case letters or digits)", o.ID)
		} else if seenOrg[o.ID] {
			v.errorf(op.with("id"), "duplicate organization id %q", o.ID)
		}
		seenOrg[o.ID] = true
		if o.Name == "" {
			o.Name = o.ID
		}
		if o.RootID == "" {
			o.RootID = "r-" + derivedID("x", o.ID)[2:6]
		} else if !reRootID.MatchString(o.RootID) {
			v.errorf(op.with("root_id"), "bad root id %q", o.RootID)
		}
		switch o.FeatureSet {
		case "":
			o.FeatureSet = "ALL"
		case "ALL", "CONSOLIDATED_BILLING":
		default:
			v.errorf(op.with("feature_set"), "feature_set must be ALL or CONSOLIDATED_BILLING, not %q", o.FeatureSet)
		}
		ous := map[string]*OU{}
		for j, ou := range o.OUs {
			up := op.with("ous", j)
			if ou == nil {
				v.errorf(up, "empty OU")
				continue
			}
			if !reOUID.MatchString(ou.ID) {
				v.errorf(up.with("id"), "bad OU id %q (want ou-...)", ou.ID)
			} else if ous[ou.ID] != nil {
				v.errorf(up.with("id"), "duplicate OU id %q", ou.ID)
			}
			if ou.Name == "" {
				v.errorf(up.with("name"), "OU name is required")
			}
			ous[ou.ID] = ou
		}
		for j, ou := range o.OUs {
			if ou == nil {
				continue
			}
			if ou.Parent == "" || ou.Parent == "root" {
				ou.Parent = o.RootID
			}
			if ou.Parent != o.RootID && ous[ou.Parent] == nil {
				v.errorf(op.with("ous", j, "parent"), "unknown parent OU %q", ou.Parent)
				continue
			}
			// Detect cycles by walking up at most len(ous) steps.
			cur, steps := ou.Parent, 0
			for cur != o.RootID && ous[cur] != nil && steps <= len(ous) {
				cur, steps = ous[cur].Parent, steps+1
				if cur == "" || cur == "root" {
					cur = o.RootID
				}
			}
			if steps > len(ous) {
				v.errorf(op.with("ous", j, "parent"), "OU %q is part of a parent cycle", ou.ID)
			}
		}
		mgmtFound := false
		for j, a := range o.Accounts {
			ap := op.with("accounts", j)
			if a == nil {
				v.errorf(ap, "empty account")
				continue
			}
			v.account(e, o, a, ap, regions, ous, seenAccount, seenKey, seenBucket)
			if a.ID == o.ManagementAccount {
				mgmtFound = true
			}
		}
		if !mgmtFound {
			v.errorf(op.with("management_account"), "management account %q is not one of the organization's accounts", o.ManagementAccount)
		}
	}
	for i := range e.Faults {
		v.fault(&e.Faults[i], p{"faults", i}, regions)
	}
}

func (v *validator) account(e *Estate, o *Organization, a *Account, ap p, regions map[string]bool, ous map[string]*OU,
	seenAccount, seenKey, seenBucket map[string]string) {
	if !reAccountID.MatchString(a.ID) {
		v.errorf(ap.with("id"), "account id %q must be 12 digits", a.ID)
	} else if first, dup := seenAccount[a.ID]; dup {
		v.errorf(ap.with("id"), "duplicate account id %q (first declared at %s)", a.ID, first)
	} else {
		seenAccount[a.ID] = fmt.Sprintf("line %d", v.line(ap.with("id")))
	}
	if a.Name == "" {
		v.errorf(ap.with("name"), "account name is required")
	}
	if a.Email == "" {
		a.Email = a.Name + "@example.com"
	}
	if a.OU == "" || a.OU == "root" {
		a.OU = o.RootID
	} else if a.OU != o.RootID && ous[a.OU] == nil {
		v.errorf(ap.with("ou"), "unknown OU %q", a.OU)
	}
	switch a.Status {
	case "":
		a.Status = "ACTIVE"
	case "ACTIVE", "SUSPENDED":
	default:
		v.errorf(ap.with("status"), "status must be ACTIVE or SUSPENDED, not %q", a.Status)
	}
	for k, r := range a.EnabledRegions {
		if !regions[r] {
			v.errorf(ap.with("enabled_regions", k), "unknown region %q (declare it under regions)", r)
		}
	}
	for k := range a.AccessKeys {
		sk := &a.AccessKeys[k]
		kp := ap.with("access_keys", k)
		if !reKeyID.MatchString(sk.ID) || strings.HasPrefix(sk.ID, "ASIA") {
			v.errorf(kp.with("id"), "bad access key id %q (want AKIA followed by upper-case letters or digits)", sk.ID)
		} else if first, dup := seenKey[sk.ID]; dup {
			v.errorf(kp.with("id"), "duplicate access key id %q (first in account %s)", sk.ID, first)
		}
		seenKey[sk.ID] = a.ID
		if sk.Secret == "" {
			v.errorf(kp.with("secret"), "secret is required")
		}
		if sk.User == "" {
			sk.User = "rampart"
		}
	}
	for k, r := range a.Roles {
		if !reName.MatchString(r.Name) {
			v.errorf(ap.with("roles", k, "name"), "bad role name %q", r.Name)
		}
	}
	v.iam(a, ap.with("iam"), seenKey)
	for k, b := range a.S3 {
		bp := ap.with("s3", k)
		if b == nil {
			v.errorf(bp, "empty bucket")
			continue
		}
		v.bucket(b, bp, regions)
		if first, dup := seenBucket[b.Name]; dup {
			v.errorf(bp.with("name"), "duplicate bucket name %q (bucket names are global; first in account %s)", b.Name, first)
		}
		seenBucket[b.Name] = a.ID
	}
	ec2Regions := make([]string, 0, len(a.EC2))
	for region := range a.EC2 {
		ec2Regions = append(ec2Regions, region)
	}
	sort.Strings(ec2Regions)
	for _, region := range ec2Regions {
		r := a.EC2[region]
		rp := ap.with("ec2", region)
		if !regions[region] {
			v.errorf(rp, "unknown region %q (declare it under regions)", region)
			continue
		}
		if r == nil {
			continue
		}
		if !e.RegionEnabled(a, region) {
			v.errorf(rp, "region %q is not enabled in account %s", region, a.ID)
		}
		v.ec2(a, region, r, rp)
	}
}

func (v *validator) iam(a *Account, ip p, seenKey map[string]string) {
	if pp := a.IAM.PasswordPolicy; pp != nil {
		if pp.MinimumLength == 0 {
			pp.MinimumLength = 8
		}
		if pp.MinimumLength < 6 || pp.MinimumLength > 128 {
			v.errorf(ip.with("password_policy", "minimum_length"), "minimum_length must be 6..128, not %d", pp.MinimumLength)
		}
		if pp.MaxAgeDays < 0 || pp.MaxAgeDays > 1095 {
			v.errorf(ip.with("password_policy", "max_age_days"), "max_age_days must be 0..1095")
		}
		if pp.ReusePrevention < 0 || pp.ReusePrevention > 24 {
			v.errorf(ip.with("password_policy", "reuse_prevention"), "reuse_prevention must be 0..24")
		}
	}
	users := map[string]bool{}
	for i, u := range a.IAM.Users {
		up := ip.with("users", i)
		if u == nil {
			v.errorf(up, "empty user")
			continue
		}
		if !reName.MatchString(u.Name) {
			v.errorf(up.with("name"), "bad user name %q", u.Name)
		} else if users[u.Name] {
			v.errorf(up.with("name"), "duplicate user %q", u.Name)
		}
		users[u.Name] = true
		if u.PasswordLastUsedDaysAgo != nil && !u.ConsolePassword {
			v.errorf(up.with("password_last_used_days_ago"), "user %q has no console password", u.Name)
		}
		for j, pol := range u.AttachedPolicies {
			if !strings.HasPrefix(pol, "arn:aws:iam::") || !strings.Contains(pol, ":policy/") {
				v.errorf(up.with("attached_policies", j), "want a policy ARN (arn:aws:iam::...:policy/...), not %q", pol)
			}
		}
		for j, k := range u.AccessKeys {
			kp := up.with("access_keys", j)
			if k == nil {
				v.errorf(kp, "empty access key")
				continue
			}
			if k.ID == "" {
				k.ID = derivedKeyID("AKIA", a.ID, u.Name, strconv.Itoa(j))
			} else if !reKeyID.MatchString(k.ID) {
				v.errorf(kp.with("id"), "bad access key id %q", k.ID)
			}
			if first, dup := seenKey[k.ID]; dup {
				v.errorf(kp.with("id"), "duplicate access key id %q (first in account %s)", k.ID, first)
			}
			seenKey[k.ID] = a.ID
			switch k.Status {
			case "":
				k.Status = "Active"
			case "Active", "Inactive":
			default:
				v.errorf(kp.with("status"), "status must be Active or Inactive, not %q", k.Status)
			}
			if k.LastUsedDaysAgo != nil && *k.LastUsedDaysAgo > k.AgeDays {
				v.errorf(kp.with("last_used_days_ago"), "key last used %d days ago but created %d days ago", *k.LastUsedDaysAgo, k.AgeDays)
			}
			if k.LastUsedDaysAgo != nil && k.LastUsedService == "" {
				k.LastUsedService = "sts"
			}
		}
	}
}

func (v *validator) bucket(b *Bucket, bp p, regions map[string]bool) {
	if !reBucket.MatchString(b.Name) {
		v.errorf(bp.with("name"), "bad bucket name %q", b.Name)
	}
	if b.Region == "" {
		b.Region = "us-east-1"
	}
	if !regions[b.Region] {
		v.errorf(bp.with("region"), "unknown region %q (declare it under regions)", b.Region)
	}
	if b.Policy != "" && !validJSON(b.Policy) {
		v.errorf(bp.with("policy"), "policy is not valid JSON")
	}
	if b.ACL == "" {
		b.ACL = "private"
	} else if !cannedACLs[b.ACL] {
		v.errorf(bp.with("acl"), "unknown canned ACL %q", b.ACL)
	}
	for i, g := range b.Grants {
		if g.Grantee == "" {
			v.errorf(bp.with("grants", i, "grantee"), "grantee is required")
		}
		if !permissions[g.Permission] {
			v.errorf(bp.with("grants", i, "permission"), "unknown permission %q", g.Permission)
		}
	}
	switch b.Encryption {
	case "":
		b.Encryption = "none"
	case "none", "AES256", "aws:kms":
	default:
		v.errorf(bp.with("encryption"), "encryption must be none, AES256 or aws:kms, not %q", b.Encryption)
	}
	switch b.Versioning {
	case "", "Enabled", "Suspended":
	default:
		v.errorf(bp.with("versioning"), "versioning must be Enabled or Suspended, not %q", b.Versioning)
	}
	if b.Logging != nil && b.Logging.TargetBucket == "" {
		v.errorf(bp.with("logging", "target_bucket"), "target_bucket is required")
	}
}

func (v *validator) ec2(a *Account, region string, r *EC2Region, rp p) {
	vpcs := map[string]string{} // name or id → id
	for i, x := range r.VPCs {
		xp := rp.with("vpcs", i)
		if x.ID == "" {
			x.ID = derivedID("vpc", a.ID, region, x.Name, strconv.Itoa(i))
		}
		if _, err := netip.ParsePrefix(x.CIDR); err != nil || !strings.Contains(x.CIDR, ".") {
			v.errorf(xp.with("cidr"), "bad IPv4 CIDR %q", x.CIDR)
		}
		v.name(vpcs, x.Name, x.ID, xp)
	}
	resolve := func(m map[string]string, ref, what string, at p) string {
		if id, ok := m[ref]; ok {
			return id
		}
		v.errorf(at, "unknown %s %q in %s", what, ref, region)
		return ""
	}
	defaultVPC := ""
	if len(r.VPCs) > 0 {
		defaultVPC = r.VPCs[0].ID
	}
	subnets := map[string]string{}
	subnetVPC := map[string]string{}
	for i, x := range r.Subnets {
		xp := rp.with("subnets", i)
		if x.ID == "" {
			x.ID = derivedID("subnet", a.ID, region, x.Name, strconv.Itoa(i))
		}
		if x.VPC == "" {
			x.vpcID = defaultVPC
			if x.vpcID == "" {
				v.errorf(xp, "subnet needs a VPC; declare one under vpcs")
			}
		} else {
			x.vpcID = resolve(vpcs, x.VPC, "VPC", xp.with("vpc"))
		}
		if _, err := netip.ParsePrefix(x.CIDR); err != nil {
			v.errorf(xp.with("cidr"), "bad CIDR %q", x.CIDR)
		}
		if x.AZ == "" {
			x.AZ = region + "a"
		} else if !strings.HasPrefix(x.AZ, region) {
			v.errorf(xp.with("az"), "availability zone %q is not in %s", x.AZ, region)
		}
		v.name(subnets, x.Name, x.ID, xp)
		subnetVPC[x.ID] = x.vpcID
	}
	// AWS creates a security group named "default" with every VPC (ingress
	// from itself, egress anywhere). Add it where the estate declares none.
	hasDefault := map[string]bool{}
	for _, x := range r.SecurityGroups {
		if x.Name == "default" {
			vpc := defaultVPC
			if x.VPC != "" {
				vpc = vpcs[x.VPC]
			}
			hasDefault[vpc] = true
		}
	}
	for _, vpc := range r.VPCs {
		if hasDefault[vpc.ID] {
			continue
		}
		id := derivedID("sg", a.ID, region, "default", vpc.ID)
		r.SecurityGroups = append(r.SecurityGroups, &SecurityGroup{
			ID: id, Name: "default", Description: "default VPC security group", VPC: vpc.ID,
			Ingress: []Rule{{Protocol: "-1", SourceGroups: []string{id}}}, implicit: true,
		})
	}
	sgs := map[string]string{}
	for i, x := range r.SecurityGroups {
		xp := rp.with("security_groups", i)
		if x.Name == "" {
			v.errorf(xp.with("name"), "security group name is required")
		}
		if x.ID == "" {
			x.ID = derivedID("sg", a.ID, region, x.Name, strconv.Itoa(i))
		}
		if x.Description == "" {
			x.Description = x.Name
		}
		if x.VPC == "" {
			x.vpcID = defaultVPC
		} else {
			x.vpcID = resolve(vpcs, x.VPC, "VPC", xp.with("vpc"))
		}
		name := x.Name
		if _, taken := sgs[name]; taken && x.Name == "default" {
			name = "" // group names are unique per VPC, not per region
		}
		v.name(sgs, name, x.ID, xp)
	}
	for i, x := range r.SecurityGroups {
		xp := rp.with("security_groups", i)
		if x.Egress == nil {
			x.Egress = []Rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}}}
		}
		for j := range x.Ingress {
			v.rule(&x.Ingress[j], xp.with("ingress", j), sgs, resolve)
		}
		for j := range x.Egress {
			v.rule(&x.Egress[j], xp.with("egress", j), sgs, resolve)
		}
	}
	for i, x := range r.Instances {
		xp := rp.with("instances", i)
		if x.ID == "" {
			x.ID = "i-" + derivedID("x", a.ID, region, x.Name, strconv.Itoa(i))[2:]
		}
		if x.Type == "" {
			x.Type = "t3.micro"
		}
		if x.ImageID == "" {
			x.ImageID = derivedID("ami", region, "base")
		}
		if x.State == "" {
			x.State = "running"
		}
		if _, ok := instanceStateCodes[x.State]; !ok {
			v.errorf(xp.with("state"), "unknown instance state %q", x.State)
		}
		switch x.HTTPTokens {
		case "":
			x.HTTPTokens = "optional"
		case "optional", "required":
		default:
			v.errorf(xp.with("http_tokens"), "http_tokens must be optional or required")
		}
		if x.Subnet == "" {
			v.errorf(xp.with("subnet"), "instance needs a subnet")
		} else {
			x.subnetID = resolve(subnets, x.Subnet, "subnet", xp.with("subnet"))
			x.vpcID = subnetVPC[x.subnetID]
		}
		if x.PublicIP != "" {
			if ip, err := netip.ParseAddr(x.PublicIP); err != nil || !ip.Is4() {
				v.errorf(xp.with("public_ip"), "bad IPv4 address %q", x.PublicIP)
			}
		}
		if x.PrivateIP == "" {
			x.PrivateIP = fmt.Sprintf("10.0.%d.%d", i/200, 10+i%200)
		}
		x.sgIDs = nil
		for j, ref := range x.SecurityGroups {
			x.sgIDs = append(x.sgIDs, resolve(sgs, ref, "security group", xp.with("security_groups", j)))
		}
		switch x.Virtualization {
		case "":
			x.Virtualization = "hvm"
		case "hvm", "paravirtual":
		default:
			v.errorf(xp.with("virtualization"), "virtualization must be hvm or paravirtual")
		}
	}
	v.ec2Network(a, region, r, rp, vpcs, subnets, resolve)
	v.ec2Compute(a, region, r, rp, resolve)
}

// name registers a resource under its name and ID for references.
func (v *validator) name(m map[string]string, name, id string, at p) {
	if _, dup := m[id]; dup {
		v.errorf(at.with("id"), "duplicate id %q", id)
	}
	m[id] = id
	if name != "" {
		if _, dup := m[name]; dup {
			v.errorf(at.with("name"), "duplicate name %q", name)
		}
		m[name] = id
	}
}

func (v *validator) rule(r *Rule, rp p, sgs map[string]string, resolve func(map[string]string, string, string, p) string) {
	switch strings.ToLower(r.Protocol) {
	case "all", "-1":
		r.Protocol = "-1"
		r.Port, r.FromPort, r.ToPort = nil, nil, nil
	case "tcp", "udp", "icmp", "icmpv6":
		r.Protocol = strings.ToLower(r.Protocol)
		if r.Port != nil {
			if (r.FromPort != nil && *r.FromPort != *r.Port) || (r.ToPort != nil && *r.ToPort != *r.Port) {
				v.errorf(rp.with("port"), "use either port or from_port/to_port")
			}
			r.FromPort, r.ToPort = r.Port, r.Port
		}
		if r.FromPort == nil || r.ToPort == nil {
			v.errorf(rp, "%s rule needs port or from_port and to_port", r.Protocol)
		} else if r.Protocol != "icmp" && r.Protocol != "icmpv6" &&
			(*r.FromPort < 0 || *r.ToPort > 65535 || *r.FromPort > *r.ToPort) {
			v.errorf(rp, "bad port range %d-%d", *r.FromPort, *r.ToPort)
		}
	default:
		v.errorf(rp.with("protocol"), "protocol must be tcp, udp, icmp, icmpv6 or all (-1), not %q", r.Protocol)
	}
	for i, c := range r.CIDRs {
		if pf, err := netip.ParsePrefix(c); err != nil || !pf.Addr().Is4() {
			v.errorf(rp.with("cidrs", i), "bad IPv4 CIDR %q", c)
		}
	}
	for i, c := range r.IPv6CIDRs {
		if pf, err := netip.ParsePrefix(c); err != nil || !pf.Addr().Is6() {
			v.errorf(rp.with("ipv6_cidrs", i), "bad IPv6 CIDR %q", c)
		}
	}
	r.sourceGroupIDs = nil
	for i, g := range r.SourceGroups {
		r.sourceGroupIDs = append(r.sourceGroupIDs, resolve(sgs, g, "security group", rp.with("source_groups", i)))
	}
	if len(r.CIDRs)+len(r.IPv6CIDRs)+len(r.SourceGroups) == 0 {
		v.errorf(rp, "rule needs cidrs, ipv6_cidrs or source_groups")
	}
}

func (v *validator) fault(f *Fault, fp p, regions map[string]bool) {
	if err := f.validate(); err != nil {
		v.errorf(fp, "%v", err)
	}
	if f.Region != "" && f.Region != "*" && !regions[f.Region] {
		v.errorf(fp.with("region"), "unknown region %q", f.Region)
	}
}

func (f *Fault) validate() error {
	if !faultKinds[f.Kind] {
		return fmt.Errorf("fault kind must be throttle, access_denied, internal_error, latency, expired_token, connection_reset or malformed, not %q", f.Kind)
	}
	if f.Service != "" && f.Service != "*" && !serviceNames[f.Service] {
		return fmt.Errorf("unknown fault service %q (want sts, organizations, iam, s3 or ec2)", f.Service)
	}
	if f.Count < 0 {
		return fmt.Errorf("fault count must be >= 0")
	}
	if f.Kind == FaultLatency && f.Latency <= 0 {
		return fmt.Errorf("latency fault needs latency > 0")
	}
	return nil
}

var instanceStateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}
