package ec2

import "fmt"

// State is the security-group inventory of one account in one region: the
// raw evidence of a scan unit.
type State struct {
	AccountID      string           `json:"account_id"`
	Region         string           `json:"region"`
	SecurityGroups []*SecurityGroup `json:"security_groups"`
	// Net is the rest of the network inventory (VPCs, subnets, network
	// ACLs, flow logs, interfaces, transit gateways, endpoints).
	Net *Network `json:"network,omitempty"`
	// AttachmentsError says why attachments are unknown, if they are.
	AttachmentsError string `json:"attachments_error,omitempty"`
}

// SecurityGroup is one VPC security group.
type SecurityGroup struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	Description string            `json:"description,omitempty"`
	VpcID       string            `json:"vpc_id,omitempty"`
	OwnerID     string            `json:"owner_id,omitempty"`
	Region      string            `json:"region"`
	Ingress     []Rule            `json:"ingress"`
	Egress      []Rule            `json:"egress"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Attachments are the instances using the group; nil when unknown.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is one instance using a security group.
type Attachment struct {
	InstanceID   string `json:"instance_id"`
	SubnetID     string `json:"subnet_id,omitempty"`
	PublicIP     bool   `json:"public_ip"`
	PublicSubnet bool   `json:"public_subnet"` // the subnet maps public IPs on launch
}

// ExposureContext returns the facts risk enrichment reads (see
// checks.Result.Context): "public" when the group admits the internet and
// an instance using it has a public IP; "public_ip" and "subnet" of its
// instances. It returns nil when the attachments are unknown.
func (g *SecurityGroup) ExposureContext() map[string]string {
	if g.Attachments == nil {
		return nil
	}
	open := false
	for _, r := range g.Ingress {
		open = open || r.FromInternet()
	}
	pubIP, pubSubnet := false, false
	for _, a := range g.Attachments {
		pubIP = pubIP || a.PublicIP
		pubSubnet = pubSubnet || a.PublicSubnet
	}
	ctx := map[string]string{"public": fmt.Sprint(open && pubIP), "attached": fmt.Sprint(len(g.Attachments) > 0)}
	if len(g.Attachments) > 0 {
		ctx["public_ip"] = fmt.Sprint(pubIP)
		ctx["subnet"] = "private"
		if pubSubnet {
			ctx["subnet"] = "public"
		}
	}
	return ctx
}

// Rule is one permission of a security group. Protocol is "tcp", "udp",
// "icmp", "icmpv6", another IP protocol number, or AllProtocols. FromPort
// and ToPort are meaningful for tcp and udp only.
type Rule struct {
	Protocol     string   `json:"protocol"`
	FromPort     int      `json:"from_port"`
	ToPort       int      `json:"to_port"`
	IPv4Ranges   []string `json:"ipv4_ranges,omitempty"`
	IPv6Ranges   []string `json:"ipv6_ranges,omitempty"`
	PrefixLists  []string `json:"prefix_lists,omitempty"`
	SourceGroups []string `json:"source_groups,omitempty"`
}

// AllProtocols is the protocol of a rule that allows all traffic.
const AllProtocols = "-1"

// Internet CIDRs.
const (
	AnyIPv4 = "0.0.0.0/0"
	AnyIPv6 = "::/0"
)

// FromInternet reports whether the rule admits any IPv4 or IPv6 address.
func (r Rule) FromInternet() bool {
	for _, c := range r.IPv4Ranges {
		if c == AnyIPv4 {
			return true
		}
	}
	for _, c := range r.IPv6Ranges {
		if c == AnyIPv6 {
			return true
		}
	}
	return false
}

// CoversTCP reports whether the rule admits TCP traffic to port.
func (r Rule) CoversTCP(port int) bool {
	return r.Protocol == AllProtocols || (r.Protocol == "tcp" && r.FromPort <= port && port <= r.ToPort)
}

// AllPorts reports whether the rule admits every protocol, or every TCP port.
func (r Rule) AllPorts() bool {
	return r.Protocol == AllProtocols || (r.Protocol == "tcp" && r.FromPort <= 0 && r.ToPort >= 65535)
}
