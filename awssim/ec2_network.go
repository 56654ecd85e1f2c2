package awssim

import (
	"strconv"
	"strings"
)

// Network resources beyond VPCs, subnets and security groups: network
// ACLs (AWS gives every VPC a default one that allows everything), flow
// logs, transit gateways and VPC endpoints.

func init() {
	for op, h := range map[string]handler{
		"DescribeNetworkAcls":     (*Server).ec2DescribeNetworkAcls,
		"DescribeFlowLogs":        (*Server).ec2DescribeFlowLogs,
		"DescribeTransitGateways": (*Server).ec2DescribeTransitGateways,
		"DescribeVpcEndpoints":    (*Server).ec2DescribeVpcEndpoints,
	} {
		handlers["ec2"][op] = h
	}
}

// NetworkACL is a network ACL. The simulator adds a default ACL allowing
// all traffic to every VPC that declares none; subnets not listed by any
// ACL are associated with their VPC's default ACL.
type NetworkACL struct {
	ID      string            `yaml:"id"`
	Name    string            `yaml:"name"`
	VPC     string            `yaml:"vpc"`
	Default bool              `yaml:"default"`
	Subnets []string          `yaml:"subnets"` // names or IDs
	Ingress []ACLEntry        `yaml:"ingress"`
	Egress  []ACLEntry        `yaml:"egress"`
	Tags    map[string]string `yaml:"tags"`

	vpcID     string
	subnetIDs []string
}

// ACLEntry is one numbered network ACL rule. Protocol is tcp, udp, icmp or
// all; Action is allow or deny.
type ACLEntry struct {
	Rule     int    `yaml:"rule"`
	Protocol string `yaml:"protocol"`
	Action   string `yaml:"action"`
	CIDR     string `yaml:"cidr"`
	IPv6CIDR string `yaml:"ipv6_cidr"`
	FromPort int    `yaml:"from_port"`
	ToPort   int    `yaml:"to_port"`
	Port     int    `yaml:"port"` // sets from_port and to_port
}

// FlowLog is a VPC flow log.
type FlowLog struct {
	ID     string `yaml:"id"`
	VPC    string `yaml:"vpc"`
	Status string `yaml:"status"` // ACTIVE (default)

	vpcID string
}

// TransitGateway is a transit gateway owned by the account.
type TransitGateway struct {
	ID                          string            `yaml:"id"`
	Name                        string            `yaml:"name"`
	AutoAcceptSharedAttachments bool              `yaml:"auto_accept_shared_attachments"`
	Tags                        map[string]string `yaml:"tags"`
}

// VPCEndpoint is a VPC endpoint. Service is the short name (ec2, s3, ...);
// Policy "" means the default full-access policy.
type VPCEndpoint struct {
	ID      string            `yaml:"id"`
	VPC     string            `yaml:"vpc"`
	Service string            `yaml:"service"`
	Type    string            `yaml:"type"` // Interface (default) or Gateway
	Subnets []string          `yaml:"subnets"`
	Policy  string            `yaml:"policy"`
	Tags    map[string]string `yaml:"tags"`

	vpcID     string
	subnetIDs []string
}

const defaultEndpointPolicy = `{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}`

var aclProtocols = map[string]string{"all": "-1", "-1": "-1", "tcp": "6", "udp": "17", "icmp": "1"}

// ec2Network validates and derives the network resources of one region.
func (v *validator) ec2Network(a *Account, region string, r *EC2Region, rp p, vpcs, subnets map[string]string,
	resolve func(map[string]string, string, string, p) string) {
	hasDefault := map[string]bool{}
	assigned := map[string]bool{}
	for i, x := range r.NetworkACLs {
		xp := rp.with("network_acls", i)
		if x == nil {
			v.errorf(xp, "empty network ACL")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("acl", a.ID, region, x.Name, strconv.Itoa(i))
		}
		x.vpcID = resolve(vpcs, x.VPC, "VPC", xp.with("vpc"))
		if x.Default {
			hasDefault[x.vpcID] = true
		}
		x.subnetIDs = nil
		for j, s := range x.Subnets {
			id := resolve(subnets, s, "subnet", xp.with("subnets", j))
			if assigned[id] {
				v.errorf(xp.with("subnets", j), "subnet %q is already associated with another network ACL", s)
			}
			assigned[id] = true
			x.subnetIDs = append(x.subnetIDs, id)
		}
		for _, side := range []struct {
			name    string
			entries []ACLEntry
		}{{"ingress", x.Ingress}, {"egress", x.Egress}} {
			for j := range side.entries {
				e := &side.entries[j]
				ep := xp.with(side.name, j)
				if e.Protocol == "" {
					e.Protocol = "all"
				}
				if _, ok := aclProtocols[e.Protocol]; !ok {
					v.errorf(ep.with("protocol"), "protocol must be all, tcp, udp or icmp, not %q", e.Protocol)
				}
				switch e.Action {
				case "":
					e.Action = "allow"
				case "allow", "deny":
				default:
					v.errorf(ep.with("action"), "action must be allow or deny, not %q", e.Action)
				}
				if e.Rule < 1 || e.Rule > 32766 {
					v.errorf(ep.with("rule"), "rule number must be 1..32766, not %d", e.Rule)
				}
				if e.CIDR == "" && e.IPv6CIDR == "" {
					v.errorf(ep, "entry needs cidr or ipv6_cidr")
				}
				if e.Port != 0 {
					e.FromPort, e.ToPort = e.Port, e.Port
				}
			}
		}
	}
	for _, vpc := range r.VPCs {
		if hasDefault[vpc.ID] {
			continue
		}
		r.NetworkACLs = append(r.NetworkACLs, &NetworkACL{
			ID: derivedID("acl", a.ID, region, "default", vpc.ID), VPC: vpc.ID, vpcID: vpc.ID, Default: true,
			Ingress: []ACLEntry{{Rule: 100, Protocol: "all", Action: "allow", CIDR: "0.0.0.0/0"}},
			Egress:  []ACLEntry{{Rule: 100, Protocol: "all", Action: "allow", CIDR: "0.0.0.0/0"}},
		})
	}
	// Subnets without an explicit ACL use their VPC's default one.
	for _, sn := range r.Subnets {
		if assigned[sn.ID] {
			continue
		}
		for _, x := range r.NetworkACLs {
			if x.Default && x.vpcID == sn.vpcID {
				x.subnetIDs = append(x.subnetIDs, sn.ID)
				break
			}
		}
	}
	for i, x := range r.FlowLogs {
		xp := rp.with("flow_logs", i)
		if x == nil {
			v.errorf(xp, "empty flow log")
			continue
		}
		x.vpcID = resolve(vpcs, x.VPC, "VPC", xp.with("vpc"))
		if x.ID == "" {
			x.ID = derivedID("fl", a.ID, region, x.vpcID, strconv.Itoa(i))
		}
		if x.Status == "" {
			x.Status = "ACTIVE"
		}
	}
	for i, x := range r.TransitGateways {
		if x == nil {
			v.errorf(rp.with("transit_gateways", i), "empty transit gateway")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("tgw", a.ID, region, x.Name, strconv.Itoa(i))
		}
	}
	for i, x := range r.VPCEndpoints {
		xp := rp.with("vpc_endpoints", i)
		if x == nil {
			v.errorf(xp, "empty VPC endpoint")
			continue
		}
		if x.ID == "" {
			x.ID = derivedID("vpce", a.ID, region, x.Service, strconv.Itoa(i))
		}
		x.vpcID = resolve(vpcs, x.VPC, "VPC", xp.with("vpc"))
		if x.Service == "" {
			v.errorf(xp.with("service"), "service is required (e.g. ec2, s3)")
		}
		switch x.Type {
		case "":
			x.Type = "Interface"
		case "Interface", "Gateway":
		default:
			v.errorf(xp.with("type"), "type must be Interface or Gateway, not %q", x.Type)
		}
		if x.Policy != "" && !validJSON(x.Policy) {
			v.errorf(xp.with("policy"), "policy is not valid JSON")
		}
		x.subnetIDs = nil
		for j, s := range x.Subnets {
			x.subnetIDs = append(x.subnetIDs, resolve(subnets, s, "subnet", xp.with("subnets", j)))
		}
	}
}

func (s *Server) ec2DescribeNetworkAcls(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "NetworkAclId")
	have := map[string]bool{}
	var out []*NetworkACL
	for _, a := range reg.NetworkACLs {
		have[a.ID] = true
		if !selected(ids, a.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"network-acl-id": {a.ID}, "vpc-id": {a.vpcID}, "default": {strconv.FormatBool(a.Default)},
			"association.subnet-id": a.subnetIDs, "owner-id": {c.account.ID},
		}, nameTags(a.Name, a.Tags))
		if e != nil {
			return e
		}
		if ok {
			out = append(out, a)
		}
	}
	if e := checkIDs(ids, have, "InvalidNetworkAclID.NotFound", "network ACL"); e != nil {
		return e
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("networkAclSet")
		for _, a := range out[lo:hi] {
			x.open("item")
			x.el("networkAclId", a.ID)
			x.el("vpcId", a.vpcID)
			x.boolean("default", a.Default)
			x.el("ownerId", c.account.ID)
			x.open("entrySet")
			for _, side := range []struct {
				egress  bool
				entries []ACLEntry
			}{{false, a.Ingress}, {true, a.Egress}} {
				for _, en := range append(side.entries, ACLEntry{Rule: 32767, Protocol: "all", Action: "deny", CIDR: "0.0.0.0/0"}) {
					x.open("item")
					x.num("ruleNumber", en.Rule)
					x.el("protocol", aclProtocols[en.Protocol])
					x.el("ruleAction", en.Action)
					x.boolean("egress", side.egress)
					x.opt("cidrBlock", en.CIDR)
					x.opt("ipv6CidrBlock", en.IPv6CIDR)
					if en.Protocol == "tcp" || en.Protocol == "udp" {
						x.open("portRange")
						x.num("from", en.FromPort)
						x.num("to", en.ToPort)
						x.close("portRange")
					}
					x.close("item")
				}
			}
			x.close("entrySet")
			x.open("associationSet")
			for _, sn := range a.subnetIDs {
				x.open("item")
				x.el("networkAclAssociationId", derivedID("aclassoc", a.ID, sn))
				x.el("networkAclId", a.ID)
				x.el("subnetId", sn)
				x.close("item")
			}
			x.close("associationSet")
			x.ec2Tags(nameTags(a.Name, a.Tags))
			x.close("item")
		}
		x.close("networkAclSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeFlowLogs(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "FlowLogId")
	var out []*FlowLog
	for _, f := range reg.FlowLogs {
		if !selected(ids, f.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{"resource-id": {f.vpcID}, "flow-log-id": {f.ID}}, nil)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, f)
		}
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("flowLogSet")
		for _, f := range out[lo:hi] {
			x.open("item")
			x.el("flowLogId", f.ID)
			x.el("flowLogStatus", f.Status)
			x.el("resourceId", f.vpcID)
			x.el("trafficType", "ALL")
			x.el("logDestinationType", "cloud-watch-logs")
			x.el("logGroupName", "vpc-flow-logs/"+f.vpcID)
			x.el("deliverLogsStatus", "SUCCESS")
			x.ts("creationTime", s.daysAgo(30))
			x.close("item")
		}
		x.close("flowLogSet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeTransitGateways(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "TransitGatewayIds")
	var out []*TransitGateway
	for _, g := range reg.TransitGateways {
		if selected(ids, g.ID) {
			out = append(out, g)
		}
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	onOff := map[bool]string{true: "enable", false: "disable"}
	c.ec2OK(func(x *xmlw) {
		x.open("transitGatewaySet")
		for _, g := range out[lo:hi] {
			x.open("item")
			x.el("transitGatewayId", g.ID)
			x.el("transitGatewayArn", "arn:aws:ec2:"+c.region()+":"+c.account.ID+":transit-gateway/"+g.ID)
			x.el("state", "available")
			x.el("ownerId", c.account.ID)
			x.ts("creationTime", s.daysAgo(100))
			x.open("options")
			x.num("amazonSideAsn", 64512)
			x.el("autoAcceptSharedAttachments", onOff[g.AutoAcceptSharedAttachments])
			x.el("defaultRouteTableAssociation", "enable")
			x.el("defaultRouteTablePropagation", "enable")
			x.el("dnsSupport", "enable")
			x.close("options")
			x.ec2Tags(nameTags(g.Name, g.Tags))
			x.close("item")
		}
		x.close("transitGatewaySet")
		x.opt("nextToken", next)
	})
	return nil
}

func (s *Server) ec2DescribeVpcEndpoints(c *call) *awsError {
	reg := c.ec2Region()
	ids := listParam(c.form, "VpcEndpointId")
	var out []*VPCEndpoint
	for _, ep := range reg.VPCEndpoints {
		if !selected(ids, ep.ID) {
			continue
		}
		ok, e := matchFilters(filters(c.form), map[string][]string{
			"vpc-id": {ep.vpcID}, "service-name": {endpointService(c.region(), ep.Service)}, "vpc-endpoint-id": {ep.ID},
			"vpc-endpoint-type": {ep.Type}, "vpc-endpoint-state": {"available"},
		}, ep.Tags)
		if e != nil {
			return e
		}
		if ok {
			out = append(out, ep)
		}
	}
	lo, hi, next, e := s.ec2Page(c, len(out))
	if e != nil {
		return e
	}
	c.ec2OK(func(x *xmlw) {
		x.open("vpcEndpointSet")
		for _, ep := range out[lo:hi] {
			x.open("item")
			x.el("vpcEndpointId", ep.ID)
			x.el("vpcEndpointType", ep.Type)
			x.el("vpcId", ep.vpcID)
			x.el("serviceName", endpointService(c.region(), ep.Service))
			x.el("state", "available")
			policy := ep.Policy
			if policy == "" {
				policy = defaultEndpointPolicy
			}
			x.el("policyDocument", policy)
			x.open("subnetIdSet")
			for _, sn := range ep.subnetIDs {
				x.el("item", sn)
			}
			x.close("subnetIdSet")
			x.el("ownerId", c.account.ID)
			x.ts("creationTimestamp", s.daysAgo(60))
			x.ec2Tags(ep.Tags)
			x.close("item")
		}
		x.close("vpcEndpointSet")
		x.opt("nextToken", next)
	})
	return nil
}

func endpointService(region, short string) string {
	if strings.HasPrefix(short, "com.amazonaws.") {
		return short
	}
	return "com.amazonaws." + region + "." + short
}
