package awssim

import (
	"net/url"
	"strconv"
	"strings"
)

func init() {
	handlers["ec2"] = map[string]handler{
		"DescribeRegions":           (*Server).ec2DescribeRegions,
		"DescribeVpcs":              (*Server).ec2DescribeVpcs,
		"DescribeSubnets":           (*Server).ec2DescribeSubnets,
		"DescribeSecurityGroups":    (*Server).ec2DescribeSecurityGroups,
		"DescribeInstances":         (*Server).ec2DescribeInstances,
		"DescribeNetworkInterfaces": (*Server).ec2DescribeNetworkInterfaces,
	}
}

// ec2OK writes an ec2query success envelope.
func (c *call) ec2OK(fill func(x *xmlw)) {
	var x xmlw
	x.header()
	x.open(c.op+"Response", "xmlns", nsEC2)
	x.el("requestId", c.reqID)
	fill(&x)
	x.close(c.op + "Response")
	c.w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	c.wrote = true
	c.w.Write(x.Bytes())
}

// listParam returns the values of a flattened list parameter: Name.1, Name.2...
func listParam(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v...)
	}
}

type ec2Filter struct {
	name   string
	values []string
}

func filters(form url.Values) []ec2Filter {
	var out []ec2Filter
	for i := 1; ; i++ {
		p := "Filter." + strconv.Itoa(i)
		name := form.Get(p + ".Name")
		if name == "" {
			return out
		}
		out = append(out, ec2Filter{name, listParam(form, p+".Value")})
	}
}

// matchFilters reports whether a resource with the given attributes (filter
// name → values) passes every filter. Unknown filter names are errors, as
// in AWS. Tag filters (tag:Key, tag-key) use tags.
func matchFilters(fs []ec2Filter, attrs map[string][]string, tags map[string]string) (bool, *awsError) {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if v, ok := tags[strings.TrimPrefix(f.name, "tag:")]; ok {
				have = []string{v}
			}
		case f.name == "tag-key":
			have = sortedKeys(tags)
		default:
			v, ok := attrs[f.name]
			if !ok {
				return false, errf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.name)
			}
			have = v
		}
		hit := false
		for _, want := range f.values {
			for _, h := range have {
				if want == h || want == "*" {
					hit = true
				}
			}
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

// ec2Page applies MaxResults/NextToken.
func (s *Server) ec2Page(c *call, n int) (int, int, string, *awsError) {
	max := 0
	if v := c.form.Get("MaxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 5 || m > 1000 {
			return 0, 0, "", errf(400, "InvalidParameterValue", "Value (%s) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", v)
		}
		max = m
	}
	lo, hi, next, err := s.page(n, c.form.Get("NextToken"), max)
	if err != nil {
		return 0, 0, "", errf(400, "InvalidNextToken", "The token '%s' is invalid.", c.form.Get("NextToken"))
	}
	return lo, hi, next, nil
}

func (c *call) ec2Region() *EC2Region {
	if r := c.account.EC2[c.region()]; r != nil {
		return r
	}
	return &EC2Region{}
}

// checkIDs returns a NotFound error for the first requested ID that does
// not exist.
func checkIDs(want []string, have map[string]bool, code, what string) *awsError {
	for _, id := range want {
		if !have[id] {
			return errf(400, code, "The %s '%s' does not exist", what, id)
		}
	}
	return nil
}

func selected(want []string, id string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		if w == id {
			return true
		}
	}
	return false
}

func (s *Server) ec2DescribeRegions(c *call) *awsError {
	all := strings.EqualFold(c.form.Get("AllRegions"), "true")
	names := listParam(c.form, "RegionName")
	type info struct{ name, status string }
	var out []info
	for _, r := range s.estate.Regions {
		if !selected(names, r.Name) {
			continue
		}
		enabled := s.estate.RegionEnabled(c.account, r.Name)
		status := "opt-in-not-required"
		if r.OptIn {
			status = "opted-in"
			if !enabled {
				status = "not-opted-in"
			}
		}
		if !enabled && !all {
			continue
		}
		attrs := map[string][]string{"region-name": {r.Name}, "opt-in-status": {status}, "endpoint": {"ec2." + r.Name + ".amazonaws.com"}}
		ok, e := matchFilters(filters(c.form), attrs, nil)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, info{r.Name, status})
		}
	}
	c.ec2OK(func(x *xmlw) {
		x.open("regionInfo")
		for _, r := range out {
			x.open("item")
			x.el("regionName", r.name)
			x.el("regionEndpoint", "ec2."+r.name+".amazonaws.com")
			x.el("optInStatus", r.status)
			x.close("item")
		}
		x.close("regionInfo")
	})
	return nil
}

func (s *Server) ec2DescribeVpcs(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "VpcId")
	have := map[string]bool{}
	var out []*VPC
	for _, v := range reg.VPCs {
		have[v.ID] = true
		if !selected(ids, v.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"vpc-id": {v.ID}, "cidr": {v.CIDR}, "cidr-block-association.cidr-block": {v.CIDR},
			"is-default": {strconv.FormatBool(v.Default)}, "state": {"available"}, "owner-id": {c.account.ID},
		}, nameTags(v.Name, v.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, v)
		}
	}
	if e := checkIDs(ids, have, "InvalidVpcID.NotFound", "vpc ID"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("vpcSet")
		for _, v := range out[lo:hi] {
			x.open("item")
			x.el("vpcId", v.ID)
			x.el("ownerId", c.account.ID)
			x.el("state", "available")
			x.el("cidrBlock", v.CIDR)
			x.open("cidrBlockAssociationSet")
			x.open("item")
			x.el("cidrBlock", v.CIDR)
			x.el("associationId", derivedID("vpc-cidr-assoc", v.ID))
			x.open("cidrBlockState")
			x.el("state", "associated")
			x.close("cidrBlockState")
			x.close("item")
			x.close("cidrBlockAssociationSet")
			x.el("dhcpOptionsId", derivedID("dopt", c.account.ID, c.region()))
			x.el("instanceTenancy", "default")
			x.boolean("isDefault", v.Default)
			x.ec2Tags(nameTags(v.Name, v.Tags))
			x.close("item")
		}
		x.close("vpcSet")
		x.opt("nextToken", next)
	})
	return nil
}

// nameTags returns tags with Name set from name unless tags has one.
func nameTags(name string, tags map[string]string) map[string]string {
	if name == "" {
		return tags
	}
	if _, ok := tags["Name"]; ok {
		return tags
	}
	out := map[string]string{"Name": name}
	for k, v := range tags {
		out[k] = v
	}
	return out
}

func (s *Server) ec2DescribeSubnets(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "SubnetId")
	have := map[string]bool{}
	var out []*Subnet
	for _, sn := range reg.Subnets {
		have[sn.ID] = true
		if !selected(ids, sn.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"subnet-id": {sn.ID}, "vpc-id": {sn.vpcID}, "cidr-block": {sn.CIDR}, "availability-zone": {sn.AZ},
			"map-public-ip-on-launch": {strconv.FormatBool(sn.Public)}, "state": {"available"}, "owner-id": {c.account.ID},
		}, nameTags(sn.Name, sn.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, sn)
		}
	}
	if e := checkIDs(ids, have, "InvalidSubnetID.NotFound", "subnet ID"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("subnetSet")
		for _, sn := range out[lo:hi] {
			x.open("item")
			x.el("subnetId", sn.ID)
			x.el("subnetArn", "arn:aws:ec2:"+c.region()+":"+c.account.ID+":subnet/"+sn.ID)
			x.el("state", "available")
			x.el("ownerId", c.account.ID)
			x.el("vpcId", sn.vpcID)
			x.el("cidrBlock", sn.CIDR)
			x.num("availableIpAddressCount", 250)
			x.el("availabilityZone", sn.AZ)
			x.boolean("defaultForAz", false)
			x.boolean("mapPublicIpOnLaunch", sn.Public)
			x.ec2Tags(nameTags(sn.Name, sn.Tags))
			x.close("item")
		}
		x.close("subnetSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeSecurityGroups(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "GroupId")
	names := listParam(c.form, "GroupName")
	have := map[string]bool{}
	haveName := map[string]bool{}
	var out []*SecurityGroup
	for _, g := range reg.SecurityGroups {
		have[g.ID], haveName[g.Name] = true, true
		if !selected(ids, g.ID) || !selected(names, g.Name) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"group-id": {g.ID}, "group-name": {g.Name}, "vpc-id": {g.vpcID}, "description": {g.Description},
			"owner-id": {c.account.ID},
		}, g.Tags)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, g)
		}
	}
	if e := checkIDs(ids, have, "InvalidGroup.NotFound", "security group"); e != nil {
		return e
	}
	if e := checkIDs(names, haveName, "InvalidGroup.NotFound", "security group"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("securityGroupInfo")
		for _, g := range out[lo:hi] {
			x.open("item")
			x.el("ownerId", c.account.ID)
			x.el("groupId", g.ID)
			x.el("groupName", g.Name)
			x.el("groupDescription", g.Description)
			x.el("vpcId", g.vpcID)
			x.el("securityGroupArn", "arn:aws:ec2:"+c.region()+":"+c.account.ID+":security-group/"+g.ID)
			writeRules(x, "ipPermissions", g.Ingress, c.account.ID)
			writeRules(x, "ipPermissionsEgress", g.Egress, c.account.ID)
			x.ec2Tags(g.Tags)
			x.close("item")
		}
		x.close("securityGroupInfo")
		x.opt("nextToken", next)
	})
	return nil
}

func writeRules(x *xmlw, name string, rules []Rule, account string) {
	x.open(name)
	for _, r := range rules {
		x.open("item")
		x.el("ipProtocol", r.Protocol)
		if r.Protocol != "-1" && r.FromPort != nil {
			x.num("fromPort", *r.FromPort)
			x.num("toPort", *r.ToPort)
		}
		x.open("groups")
		for _, id := range r.sourceGroupIDs {
			x.open("item")
			x.el("groupId", id)
			x.el("userId", account)
			x.close("item")
		}
		x.close("groups")
		x.open("ipRanges")
		for _, cidr := range r.CIDRs {
			x.open("item")
			x.el("cidrIp", cidr)
			x.opt("description", r.Description)
			x.close("item")
		}
		x.close("ipRanges")
		x.open("ipv6Ranges")
		for _, cidr := range r.IPv6CIDRs {
			x.open("item")
			x.el("cidrIpv6", cidr)
			x.opt("description", r.Description)
			x.close("item")
		}
		x.close("ipv6Ranges")
		x.open("prefixListIds")
		x.close("prefixListIds")
		x.close("item")
	}
	x.close(name)
}

func (s *Server) sgName(reg *EC2Region, id string) string {
	for _, g := range reg.SecurityGroups {
		if g.ID == id {
			return g.Name
		}
	}
	return ""
}

func (s *Server) subnetAZ(reg *EC2Region, id string) string {
	for _, sn := range reg.Subnets {
		if sn.ID == id {
			return sn.AZ
		}
	}
	return ""
}

func (s *Server) ec2DescribeInstances(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "InstanceId")
	have := map[string]bool{}
	var out []*Instance
	for _, in := range reg.Instances {
		have[in.ID] = true
		if !selected(ids, in.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"instance-id": {in.ID}, "vpc-id": {in.vpcID}, "subnet-id": {in.subnetID},
			"instance-state-name": {in.State}, "instance-type": {in.Type}, "instance.group-id": in.sgIDs,
			"ip-address": {in.PublicIP}, "private-ip-address": {in.PrivateIP}, "owner-id": {c.account.ID},
		}, nameTags(in.Name, in.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, in)
		}
	}
	if e := checkIDs(ids, have, "InvalidInstanceID.NotFound", "instance ID"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("reservationSet")
		for _, in := range out[lo:hi] {
			// One reservation per instance.
			x.open("item")
			x.el("reservationId", "r-"+strings.TrimPrefix(in.ID, "i-"))
			x.el("ownerId", c.account.ID)
			x.open("groupSet")
			x.close("groupSet")
			x.open("instancesSet")
			x.open("item")
			x.el("instanceId", in.ID)
			x.el("imageId", in.ImageID)
			x.open("instanceState")
			x.num("code", instanceStateCodes[in.State])
			x.el("name", in.State)
			x.close("instanceState")
			x.el("privateDnsName", "ip-"+strings.ReplaceAll(in.PrivateIP, ".", "-")+"."+c.region()+".compute.internal")
			if in.PublicIP != "" {
				x.el("dnsName", "ec2-"+strings.ReplaceAll(in.PublicIP, ".", "-")+"."+c.region()+".compute.amazonaws.com")
			} else {
				x.el("dnsName", "")
			}
			x.num("amiLaunchIndex", 0)
			x.el("instanceType", in.Type)
			x.ts("launchTime", s.daysAgo(in.LaunchedDaysAgo))
			if in.State == "stopped" {
				x.el("reason", "User initiated ("+s.daysAgo(in.StoppedDaysAgo).UTC().Format("2006-01-02 15:04:05")+" GMT)")
			}
			x.open("monitoring")
			x.el("state", map[bool]string{true: "enabled", false: "disabled"}[in.DetailedMonitoring])
			x.close("monitoring")
			x.open("blockDeviceMapping")
			for _, v := range instanceVolumes(reg, in.ID) {
				x.open("item")
				x.el("deviceName", v.Device)
				x.open("ebs")
				x.el("volumeId", v.ID)
				x.el("status", "attached")
				x.ts("attachTime", s.daysAgo(v.CreatedDaysAgo))
				x.boolean("deleteOnTermination", true)
				x.close("ebs")
				x.close("item")
			}
			x.close("blockDeviceMapping")
			x.open("placement")
			x.el("availabilityZone", s.subnetAZ(reg, in.subnetID))
			x.el("tenancy", "default")
			x.close("placement")
			x.el("subnetId", in.subnetID)
			x.el("vpcId", in.vpcID)
			x.el("privateIpAddress", in.PrivateIP)
			x.opt("ipAddress", in.PublicIP)
			x.open("groupSet")
			for _, id := range in.sgIDs {
				x.open("item")
				x.el("groupId", id)
				x.el("groupName", s.sgName(reg, id))
				x.close("item")
			}
			x.close("groupSet")
			if in.IAMProfile != "" {
				x.open("iamInstanceProfile")
				x.el("arn", "arn:aws:iam::"+c.account.ID+":instance-profile/"+in.IAMProfile)
				x.el("id", derivedKeyID("AIPA", c.account.ID, in.IAMProfile))
				x.close("iamInstanceProfile")
			}
			x.open("metadataOptions")
			x.el("state", "applied")
			x.el("httpTokens", in.HTTPTokens)
			x.num("httpPutResponseHopLimit", 1)
			x.el("httpEndpoint", "enabled")
			x.close("metadataOptions")
			x.el("architecture", "x86_64")
			x.el("rootDeviceType", "ebs")
			x.el("rootDeviceName", "/dev/xvda")
			x.el("virtualizationType", in.Virtualization)
			x.open("networkInterfaceSet")
			x.open("item")
			x.el("networkInterfaceId", eniID(in.ID))
			x.el("subnetId", in.subnetID)
			x.el("vpcId", in.vpcID)
			x.el("privateIpAddress", in.PrivateIP)
			if in.PublicIP != "" {
				x.open("association")
				x.el("publicIp", in.PublicIP)
				x.el("ipOwnerId", "amazon")
				x.close("association")
			}
			x.close("item")
			x.close("networkInterfaceSet")
			x.ec2Tags(nameTags(in.Name, in.Tags))
			x.close("item")
			x.close("instancesSet")
			x.close("item")
		}
		x.close("reservationSet")
		x.opt("nextToken", next)
	})
	return nil
}

func eniID(instanceID string) string { return derivedID("eni", instanceID) }

func (s *Server) ec2DescribeNetworkInterfaces(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "NetworkInterfaceId")
	have := map[string]bool{}
	var out []*Instance
	for _, in := range reg.Instances {
		id := eniID(in.ID)
		have[id] = true
		if !selected(ids, id) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"network-interface-id": {id}, "vpc-id": {in.vpcID}, "subnet-id": {in.subnetID},
			"attachment.instance-id": {in.ID}, "group-id": in.sgIDs, "association.public-ip": {in.PublicIP},
		}, nil)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, in)
		}
	}
	if e := checkIDs(ids, have, "InvalidNetworkInterfaceID.NotFound", "networkInterface ID"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("networkInterfaceSet")
		for _, in := range out[lo:hi] {
			x.open("item")
			x.el("networkInterfaceId", eniID(in.ID))
			x.el("subnetId", in.subnetID)
			x.el("vpcId", in.vpcID)
			x.el("availabilityZone", s.subnetAZ(reg, in.subnetID))
			x.el("description", "Primary network interface")
			x.el("ownerId", c.account.ID)
			x.el("status", "in-use")
			x.el("interfaceType", "interface")
			x.el("privateIpAddress", in.PrivateIP)
			if in.PublicIP != "" {
				x.open("association")
				x.el("publicIp", in.PublicIP)
				x.el("ipOwnerId", "amazon")
				x.close("association")
			}
			x.open("attachment")
			x.el("attachmentId", derivedID("eni-attach", in.ID))
			x.el("instanceId", in.ID)
			x.el("status", "attached")
			x.num("deviceIndex", 0)
			x.close("attachment")
			x.open("groupSet")
			for _, id := range in.sgIDs {
				x.open("item")
				x.el("groupId", id)
				x.el("groupName", s.sgName(reg, id))
				x.close("item")
			}
			x.close("groupSet")
			x.ec2Tags(nil)
			x.close("item")
		}
		x.close("networkInterfaceSet")
		x.opt("nextToken", next)
	})
	return nil
}
