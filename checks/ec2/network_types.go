package ec2

import (
	"net/netip"

	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Network is the rest of a region's network inventory, beyond security
// groups. Errors records, per collection part, why it could not be read;
// the checks that need a failed part are NOT_EVALUATED with its class.
type Network struct {
	VPCs              []*VPC                       `json:"vpcs"`
	Subnets           []*Subnet                    `json:"subnets"`
	NetworkACLs       []*NetworkACL                `json:"network_acls"`
	FlowLogs          []FlowLog                    `json:"flow_logs"`
	NetworkInterfaces []*NetworkInterface          `json:"network_interfaces"`
	TransitGateways   []*TransitGateway            `json:"transit_gateways"`
	VPCEndpoints      []*VPCEndpoint               `json:"vpc_endpoints"`
	Errors            map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// Collection parts, named in Network.Errors and in each check's needs.
const (
	partSecurityGroups  = "security_groups"
	partVPCs            = "vpcs"
	partSubnets         = "subnets"
	partNetworkACLs     = "network_acls"
	partFlowLogs        = "flow_logs"
	partInterfaces      = "network_interfaces"
	partTransitGateways = "transit_gateways"
	partVPCEndpoints    = "vpc_endpoints"
)

// VPC is one virtual private cloud.
type VPC struct {
	ID      string            `json:"id"`
	ARN     string            `json:"arn"`
	CIDR    string            `json:"cidr"`
	Default bool              `json:"default"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// Subnet is one subnet.
type Subnet struct {
	ID                  string            `json:"id"`
	ARN                 string            `json:"arn"`
	VpcID               string            `json:"vpc_id"`
	AvailabilityZone    string            `json:"availability_zone"`
	MapPublicIPOnLaunch bool              `json:"map_public_ip_on_launch"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// NetworkACL is one network ACL with its entries and subnet associations.
type NetworkACL struct {
	ID      string            `json:"id"`
	ARN     string            `json:"arn"`
	VpcID   string            `json:"vpc_id"`
	Default bool              `json:"default"`
	Entries []ACLEntry        `json:"entries"`
	Subnets []string          `json:"subnets"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// ACLEntry is one numbered rule of a network ACL. Protocol is "tcp", "udp",
// "icmp", another protocol number, or AllProtocols.
type ACLEntry struct {
	RuleNumber int    `json:"rule_number"`
	Egress     bool   `json:"egress"`
	Allow      bool   `json:"allow"`
	Protocol   string `json:"protocol"`
	CIDR       string `json:"cidr,omitempty"`
	IPv6CIDR   string `json:"ipv6_cidr,omitempty"`
	FromPort   int    `json:"from_port"`
	ToPort     int    `json:"to_port"`
}

// FlowLog is one VPC flow log (only flow logs of VPCs are kept).
type FlowLog struct {
	ID         string `json:"id"`
	ResourceID string `json:"resource_id"`
	Status     string `json:"status"` // ACTIVE when delivering
}

// NetworkInterface is one elastic network interface.
type NetworkInterface struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"` // interface, nat_gateway, network_load_balancer, ...
	RequesterID string   `json:"requester_id,omitempty"`
	Description string   `json:"description,omitempty"`
	VpcID       string   `json:"vpc_id"`
	SubnetID    string   `json:"subnet_id"`
	InstanceID  string   `json:"instance_id,omitempty"`
	PublicIP    string   `json:"public_ip,omitempty"`
	Groups      []string `json:"groups"`
}

// TransitGateway is one transit gateway owned by the account.
type TransitGateway struct {
	ID                          string            `json:"id"`
	ARN                         string            `json:"arn"`
	AutoAcceptSharedAttachments bool              `json:"auto_accept_shared_attachments"`
	Tags                        map[string]string `json:"tags,omitempty"`
}

// VPCEndpoint is one VPC endpoint.
type VPCEndpoint struct {
	ID          string            `json:"id"`
	VpcID       string            `json:"vpc_id"`
	ServiceName string            `json:"service_name"`
	Type        string            `json:"type"` // Interface, Gateway, GatewayLoadBalancer
	SubnetIDs   []string          `json:"subnet_ids,omitempty"`
	Policy      string            `json:"policy,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// privateV4 are the RFC 1918 and other non-internet IPv4 ranges.
var privateV4 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"),
}

// widePublicV4 reports whether cidr is a public IPv4 range wider than /24
// that is not the whole internet (checked separately).
func widePublicV4(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() == 0 || p.Bits() >= 24 {
		return false
	}
	for _, r := range privateV4 {
		if r.Overlaps(p) {
			return false
		}
	}
	return true
}

// CoversTCPAny reports whether the rule admits TCP traffic to any of ports.
func (r Rule) CoversTCPAny(ports []int) bool {
	for _, p := range ports {
		if r.CoversTCP(p) {
			return true
		}
	}
	return false
}

// fromInternet reports whether the entry matches every IPv4 or IPv6 source.
func (e ACLEntry) fromInternet() bool { return e.CIDR == AnyIPv4 || e.IPv6CIDR == AnyIPv6 }

// coversTCP reports whether the entry matches TCP traffic to port.
func (e ACLEntry) coversTCP(port int) bool {
	return e.Protocol == AllProtocols || (e.Protocol == "tcp" && e.FromPort <= port && port <= e.ToPort)
}

// allPorts reports whether the entry matches all traffic.
func (e ACLEntry) allPorts() bool {
	return e.Protocol == AllProtocols || (e.Protocol == "tcp" && e.FromPort <= 0 && e.ToPort >= 65535)
}
