package ec2

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// netCheck is a check with the collection parts it reads.
type netCheck struct {
	check checks.Check[*State]
	needs []string
}

func nmeta(service string, m checks.Meta) checks.Meta {
	m = meta(m)
	m.Service = service
	return m
}

const (
	sgDocs   = "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html"
	naclDocs = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html"
)

// sgPort is one Prowler check of security groups opening a service's TCP
// ports to the internet.
type sgPort struct {
	id, service string
	ports       []int
}

var sgPorts = []sgPort{
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_cassandra_7199_9160_8888", "Cassandra", []int{7199, 9160, 8888}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_elasticsearch_kibana_9200_9300_5601", "Elasticsearch/Kibana", []int{9200, 9300, 5601}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_ftp_20_21", "FTP", []int{20, 21}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_kafka_9092", "Kafka", []int{9092}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_memcached_11211", "Memcached", []int{11211}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mongodb_27017_27018", "MongoDB", []int{27017, 27018}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_mysql_3306", "MySQL", []int{3306}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_oracle_1521_2483", "Oracle", []int{1521, 2483}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432", "PostgreSQL", []int{5432}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_redis_6379", "Redis", []int{6379}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_sql_server_1433_1434", "SQL Server", []int{1433, 1434}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_telnet_23", "Telnet", []int{23}},
	{"ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports", "high-risk services (SMTP, POP3, RPC, IMAP, SMB, dev servers, HTTP proxies)",
		[]int{25, 110, 135, 143, 445, 3000, 4333, 5000, 5500, 8080, 8088}},
}

// instancePort is one Prowler check of instances with a public IP whose
// security groups open a service's TCP ports to the internet.
type instancePort struct {
	id, service string
	ports       []int
}

var instancePorts = []instancePort{
	{"ec2_instance_port_cassandra_exposed_to_internet", "Cassandra", []int{7000, 7001, 7199, 9042, 9160}},
	{"ec2_instance_port_cifs_exposed_to_internet", "CIFS/SMB", []int{139, 445}},
	{"ec2_instance_port_elasticsearch_kibana_exposed_to_internet", "Elasticsearch/Kibana", []int{9200, 9300, 5601}},
	{"ec2_instance_port_ftp_exposed_to_internet", "FTP", []int{20, 21}},
	{"ec2_instance_port_kafka_exposed_to_internet", "Kafka", []int{9092}},
	{"ec2_instance_port_kerberos_exposed_to_internet", "Kerberos", []int{88, 464, 749, 750}},
	{"ec2_instance_port_ldap_exposed_to_internet", "LDAP", []int{389, 636}},
	{"ec2_instance_port_memcached_exposed_to_internet", "Memcached", []int{11211}},
	{"ec2_instance_port_mongodb_exposed_to_internet", "MongoDB", []int{27017, 27018}},
	{"ec2_instance_port_mysql_exposed_to_internet", "MySQL", []int{3306}},
	{"ec2_instance_port_oracle_exposed_to_internet", "Oracle", []int{1521, 2483, 2484}},
	{"ec2_instance_port_postgresql_exposed_to_internet", "PostgreSQL", []int{5432}},
	{"ec2_instance_port_rdp_exposed_to_internet", "RDP", []int{3389}},
	{"ec2_instance_port_redis_exposed_to_internet", "Redis", []int{6379}},
	{"ec2_instance_port_sqlserver_exposed_to_internet", "SQL Server", []int{1433, 1434}},
	{"ec2_instance_port_ssh_exposed_to_internet", "SSH", []int{22}},
	{"ec2_instance_port_telnet_exposed_to_internet", "Telnet", []int{23}},
}

func portList(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

// maxRules is the number of rules above which a security group is
// considered hard to review (Prowler's default).
const maxRules = 50

func networkChecks() []netCheck {
	var out []netCheck
	sg := []string{partSecurityGroups}
	for _, p := range sgPorts {
		out = append(out, netCheck{needs: sg, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             p.id,
			Title:          "Security groups do not open " + p.service + " ports to the internet",
			Description:    fmt.Sprintf("Fails a security group with an inbound rule from 0.0.0.0/0 or ::/0 covering TCP %s (all-traffic rules included).", portList(p.ports)),
			Risk:           p.service + " endpoints reachable from anywhere are scanned continuously and exploited through weak authentication or unpatched flaws.",
			Remediation:    "Restrict the rule to the address ranges or security groups that need the service, or remove it.",
			RemediationURL: sgDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: portsCheck(p.ports, p.service)}})
	}
	out = append(out,
		netCheck{needs: []string{partSecurityGroups, partInterfaces}, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_securitygroup_allow_ingress_from_internet_to_any_port",
			Title:          "Security groups admit the internet only on load balancers and NAT gateways",
			Description:    "Fails a security group with any inbound rule from 0.0.0.0/0 or ::/0 unless every network interface using it belongs to a load balancer or NAT gateway.",
			Risk:           "A host reachable from the internet on any port is part of the attack surface; public entry points belong behind load balancers.",
			Remediation:    "Put internet-facing services behind a load balancer and limit instance security groups to the load balancer's group.",
			RemediationURL: sgDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: evalAnyPort}},
		netCheck{needs: sg, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_securitygroup_allow_wide_open_public_ipv4",
			Title:          "Security groups do not admit wide public IPv4 ranges",
			Description:    "Fails a security group with an inbound or outbound rule for a public (non-RFC 1918) IPv4 range wider than /24, other than 0.0.0.0/0.",
			Risk:           "Large public ranges usually mean a shortcut was taken; they admit far more hosts than the partner or office that was meant.",
			Remediation:    "Replace the range with the specific addresses of the partner or office, or with a managed prefix list.",
			RemediationURL: sgDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: evalWideOpen}},
		netCheck{needs: sg, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_securitygroup_from_launch_wizard",
			Title:          "No security groups created by the EC2 launch wizard",
			Description:    "Fails a security group whose name starts with launch-wizard.",
			Risk:           "Launch-wizard groups open SSH or RDP to the internet by default and are rarely reviewed afterwards.",
			Remediation:    "Create purpose-built security groups, move the instances to them, and delete the launch-wizard group.",
			RemediationURL: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/creating-security-group.html",
		}), Eval: evalLaunchWizard}},
		netCheck{needs: []string{partSecurityGroups, partInterfaces}, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_securitygroup_not_used",
			Title:          "Security groups are in use",
			Description:    "Fails a non-default security group that no network interface uses. Default groups cannot be deleted and are out of scope.",
			Risk:           "Unused groups clutter reviews and are picked by mistake, bringing rules nobody maintains.",
			Remediation:    "Delete security groups that no resource uses.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html",
		}), Eval: evalNotUsed}},
		netCheck{needs: sg, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_securitygroup_with_many_ingress_egress_rules",
			Title:          fmt.Sprintf("Security groups have at most %d rules", maxRules),
			Description:    fmt.Sprintf("Fails a security group with more than %d inbound plus outbound rules.", maxRules),
			Risk:           "Groups with many rules cannot be reviewed reliably and hide overly broad access.",
			Remediation:    "Split the group by purpose or replace address lists with managed prefix lists.",
			RemediationURL: sgDocs,
		}), Eval: evalManyRules}},
	)
	acl := []string{partNetworkACLs}
	out = append(out,
		netCheck{needs: acl, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_networkacl_allow_ingress_any_port",
			Title:          "Network ACLs do not admit all traffic from the internet",
			Description:    "Fails a network ACL whose first inbound entry for all traffic from 0.0.0.0/0 or ::/0 allows it (the default ACL AWS creates does).",
			Risk:           "The subnet layer adds no protection: any security group mistake is directly reachable.",
			Remediation:    "Add inbound entries that allow only the ports the subnets serve and deny the rest.",
			RemediationURL: naclDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: evalACLAll}},
		netCheck{needs: acl, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_networkacl_allow_ingress_tcp_port_22",
			Title:          "Network ACLs do not admit SSH from the internet",
			Description:    "Fails a network ACL whose first inbound entry matching TCP 22 from 0.0.0.0/0 or ::/0 allows it.",
			Risk:           "SSH is reachable from anywhere at the subnet layer; only security groups stand in the way.",
			Remediation:    "Add a low-numbered inbound entry denying TCP 22 from 0.0.0.0/0 and ::/0, allowing only known ranges.",
			RemediationURL: naclDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: aclPort(22, "SSH")}},
		netCheck{needs: acl, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_networkacl_allow_ingress_tcp_port_3389",
			Title:          "Network ACLs do not admit RDP from the internet",
			Description:    "Fails a network ACL whose first inbound entry matching TCP 3389 from 0.0.0.0/0 or ::/0 allows it.",
			Risk:           "RDP is reachable from anywhere at the subnet layer; only security groups stand in the way.",
			Remediation:    "Add a low-numbered inbound entry denying TCP 3389 from 0.0.0.0/0 and ::/0, allowing only known ranges.",
			RemediationURL: naclDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: aclPort(3389, "RDP")}},
		netCheck{needs: acl, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_networkacl_unused",
			Title:          "Network ACLs are associated with subnets",
			Description:    "Fails a non-default network ACL associated with no subnet.",
			Risk:           "Orphaned ACLs are attached by mistake later, bringing entries nobody reviewed.",
			Remediation:    "Delete network ACLs that no subnet uses.",
			RemediationURL: naclDocs,
		}), Eval: evalACLUnused}},
		netCheck{needs: []string{partTransitGateways}, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             "ec2_transitgateway_auto_accept_vpc_attachments",
			Title:          "Transit gateways do not accept shared attachments automatically",
			Description:    "Fails a transit gateway owned by the account with AutoAcceptSharedAttachments enabled.",
			Risk:           "Any account the gateway is shared with can connect its VPCs to the network without review.",
			Remediation:    "Disable automatic acceptance of shared attachments and accept attachment requests explicitly.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html",
		}), Eval: evalTGW}},
		netCheck{needs: []string{partVPCs, partFlowLogs}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_flow_logs_enabled",
			Title:          "VPC flow logs are enabled",
			Description:    "Fails a VPC without an active flow log attached to it.",
			Risk:           "Without flow logs there is no record of who talked to what during an incident.",
			Remediation:    "Create a flow log for the VPC delivering to CloudWatch Logs or S3.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
			Categories:     []string{"logging", "forensics-ready"},
		}), Eval: evalFlowLogs}},
		netCheck{needs: []string{partSubnets}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_subnet_no_public_ip_by_default",
			Title:          "Subnets do not assign public IPs by default",
			Description:    "Fails a subnet with MapPublicIpOnLaunch enabled.",
			Risk:           "Every instance launched there is reachable from the internet unless someone remembers to opt out.",
			Remediation:    "Disable auto-assign public IPv4 on the subnet and assign public addresses explicitly where needed.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/userguide/modify-subnets.html",
			Categories:     []string{"internet-exposed"},
		}), Eval: evalSubnetPublicIP}},
		netCheck{needs: []string{partVPCs, partSubnets}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_subnet_different_az",
			Title:          "VPCs have subnets in more than one availability zone",
			Description:    "Fails a VPC whose subnets are all in one availability zone (or that has no subnet).",
			Risk:           "An availability zone outage takes every workload of the VPC down.",
			Remediation:    "Create subnets in at least two availability zones and spread workloads across them.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html",
			Categories:     []string{"resilience"},
		}), Eval: evalSubnetAZ}},
		netCheck{needs: []string{partVPCs, partVPCEndpoints}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_endpoint_for_ec2_enabled",
			Title:          "VPCs reach the EC2 API through a VPC endpoint",
			Description:    "Fails a VPC without an endpoint for the regional EC2 service (com.amazonaws.<region>.ec2).",
			Risk:           "EC2 API traffic leaves the VPC over the internet and cannot be restricted by endpoint policy.",
			Remediation:    "Create an interface endpoint for com.amazonaws.<region>.ec2 in the VPC.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html",
		}), Eval: evalEC2Endpoint}},
		netCheck{needs: []string{partVPCEndpoints, partSubnets}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_endpoint_multi_az_enabled",
			Title:          "Interface VPC endpoints span several availability zones",
			Description:    "Fails an interface endpoint whose subnets are all in one availability zone. Gateway endpoints are out of scope.",
			Risk:           "An availability zone outage cuts every workload of the VPC off the service.",
			Remediation:    "Add subnets in other availability zones to the endpoint.",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/privatelink/interface-endpoints.html",
			Categories:     []string{"resilience"},
		}), Eval: evalEndpointMultiAZ}},
		netCheck{needs: []string{partVPCEndpoints}, check: checks.Check[*State]{Meta: nmeta("vpc", checks.Meta{
			ID:             "vpc_endpoint_connections_trust_boundaries",
			Title:          "VPC endpoint policies admit only the account's principals",
			Description:    "Fails an endpoint whose policy allows any principal without a condition, or principals of another account.",
			Risk:           "Stolen credentials of any AWS account can use the endpoint to move data out through the VPC.",
			Remediation:    "Restrict the endpoint policy's principals to the account or organization (aws:PrincipalAccount, aws:PrincipalOrgID).",
			RemediationURL: "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
			Categories:     []string{"trust-boundaries"},
		}), Eval: evalEndpointTrust}},
	)
	for _, p := range instancePorts {
		out = append(out, netCheck{needs: []string{partSecurityGroups, partInterfaces}, check: checks.Check[*State]{Meta: nmeta("ec2", checks.Meta{
			ID:             p.id,
			Title:          "Instances with a public IP do not expose " + p.service,
			Description:    fmt.Sprintf("Fails an instance with a public IP whose security groups admit TCP %s from 0.0.0.0/0 or ::/0.", portList(p.ports)),
			Risk:           p.service + " on a host reachable from the internet is found by scanners within minutes and attacked.",
			Remediation:    "Remove the internet rule from the instance's security groups, or move the instance to a private subnet behind a load balancer or VPN.",
			RemediationURL: sgDocs,
			Categories:     []string{"internet-exposed"},
		}), Eval: instancePortCheck(p.ports, p.service)}})
	}
	return out
}

func portsCheck(ports []int, service string) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		out := make([]checks.Result, 0, len(st.SecurityGroups))
		for _, g := range st.SecurityGroups {
			if bad := offending(g, func(r Rule) bool { return r.CoversTCPAny(ports) }); len(bad) > 0 {
				out = append(out, result(g, false, "Security group %s (%s) opens %s (TCP %s) to the internet: %s.", g.ID, g.Name, service, portList(ports), strings.Join(bad, "; ")))
			} else {
				out = append(out, result(g, true, "Security group %s (%s) does not open TCP %s to the internet.", g.ID, g.Name, portList(ports)))
			}
		}
		return out
	}
}

// publicInterface reports whether an interface belongs to a service meant
// to face the internet (load balancers, NAT gateways).
func publicInterface(ni *NetworkInterface) bool {
	switch ni.Type {
	case "network_load_balancer", "gateway_load_balancer", "nat_gateway", "global_accelerator_managed":
		return true
	}
	return strings.HasPrefix(ni.Description, "ELB ")
}

func evalAnyPort(st *State) []checks.Result {
	users := map[string][]*NetworkInterface{}
	for _, ni := range st.Net.NetworkInterfaces {
		for _, g := range ni.Groups {
			users[g] = append(users[g], ni)
		}
	}
	out := make([]checks.Result, 0, len(st.SecurityGroups))
	for _, g := range st.SecurityGroups {
		bad := offending(g, func(Rule) bool { return true })
		if len(bad) == 0 {
			out = append(out, result(g, true, "Security group %s (%s) admits no traffic from the internet.", g.ID, g.Name))
			continue
		}
		allowed := len(users[g.ID]) > 0
		for _, ni := range users[g.ID] {
			allowed = allowed && publicInterface(ni)
		}
		if allowed {
			out = append(out, result(g, true, "Security group %s (%s) admits the internet only on load balancer or NAT interfaces.", g.ID, g.Name))
		} else {
			out = append(out, result(g, false, "Security group %s (%s) admits the internet (%s) and is not used only by load balancers or NAT gateways.", g.ID, g.Name, strings.Join(bad, "; ")))
		}
	}
	return out
}

func evalWideOpen(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.SecurityGroups))
	for _, g := range st.SecurityGroups {
		var wide []string
		for _, r := range slices.Concat(g.Ingress, g.Egress) {
			for _, c := range r.IPv4Ranges {
				if widePublicV4(c) && !slices.Contains(wide, c) {
					wide = append(wide, c)
				}
			}
		}
		if len(wide) > 0 {
			out = append(out, result(g, false, "Security group %s (%s) has rules for wide public ranges: %s.", g.ID, g.Name, strings.Join(wide, ", ")))
		} else {
			out = append(out, result(g, true, "Security group %s (%s) has no rule for a public range wider than /24.", g.ID, g.Name))
		}
	}
	return out
}

func evalLaunchWizard(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.SecurityGroups))
	for _, g := range st.SecurityGroups {
		if strings.HasPrefix(g.Name, "launch-wizard") {
			out = append(out, result(g, false, "Security group %s (%s) was created by the EC2 launch wizard.", g.ID, g.Name))
		} else {
			out = append(out, result(g, true, "Security group %s (%s) was not created by the launch wizard.", g.ID, g.Name))
		}
	}
	return out
}

func evalNotUsed(st *State) []checks.Result {
	used := map[string]int{}
	for _, ni := range st.Net.NetworkInterfaces {
		for _, g := range ni.Groups {
			used[g]++
		}
	}
	var out []checks.Result
	for _, g := range st.SecurityGroups {
		if g.Name == "default" {
			continue
		}
		if n := used[g.ID]; n > 0 {
			out = append(out, result(g, true, "Security group %s (%s) is used by %d network interfaces.", g.ID, g.Name, n))
		} else {
			out = append(out, result(g, false, "Security group %s (%s) is used by no network interface.", g.ID, g.Name))
		}
	}
	return out
}

func evalManyRules(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.SecurityGroups))
	for _, g := range st.SecurityGroups {
		n := len(g.Ingress) + len(g.Egress)
		out = append(out, result(g, n <= maxRules, "Security group %s (%s) has %d rules (limit %d).", g.ID, g.Name, n, maxRules))
	}
	return out
}

func aclResult(a *NetworkACL, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: a.ARN, ResourceName: a.ID, Tags: a.Tags, Status: rampart.StatusFail, StatusExtended: fmt.Sprintf(format, args...)}
	if ok {
		r.Status = rampart.StatusPass
	}
	return r
}

// firstInternetIngress returns the lowest-numbered inbound entry from the
// whole internet that match accepts, as network ACLs evaluate entries.
func firstInternetIngress(a *NetworkACL, match func(ACLEntry) bool) (ACLEntry, bool) {
	entries := slices.Clone(a.Entries)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].RuleNumber < entries[j].RuleNumber })
	for _, e := range entries {
		if !e.Egress && e.fromInternet() && match(e) {
			return e, true
		}
	}
	return ACLEntry{}, false
}

func evalACLAll(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.Net.NetworkACLs))
	for _, a := range st.Net.NetworkACLs {
		if e, ok := firstInternetIngress(a, ACLEntry.allPorts); ok && e.Allow {
			out = append(out, aclResult(a, false, "Network ACL %s of %s allows all inbound traffic from the internet (rule %d).", a.ID, a.VpcID, e.RuleNumber))
		} else {
			out = append(out, aclResult(a, true, "Network ACL %s of %s does not allow all inbound traffic from the internet.", a.ID, a.VpcID))
		}
	}
	return out
}

func aclPort(port int, service string) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		out := make([]checks.Result, 0, len(st.Net.NetworkACLs))
		for _, a := range st.Net.NetworkACLs {
			if e, ok := firstInternetIngress(a, func(e ACLEntry) bool { return e.coversTCP(port) }); ok && e.Allow {
				out = append(out, aclResult(a, false, "Network ACL %s of %s allows %s (TCP %d) from the internet (rule %d).", a.ID, a.VpcID, service, port, e.RuleNumber))
			} else {
				out = append(out, aclResult(a, true, "Network ACL %s of %s does not allow TCP %d from the internet.", a.ID, a.VpcID, port))
			}
		}
		return out
	}
}

func evalACLUnused(st *State) []checks.Result {
	var out []checks.Result
	for _, a := range st.Net.NetworkACLs {
		if a.Default {
			continue
		}
		out = append(out, aclResult(a, len(a.Subnets) > 0, "Network ACL %s of %s is associated with %d subnets.", a.ID, a.VpcID, len(a.Subnets)))
	}
	return out
}

func evalTGW(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.Net.TransitGateways))
	for _, g := range st.Net.TransitGateways {
		r := checks.Result{ResourceID: g.ARN, ResourceName: g.ID, Tags: g.Tags, Status: rampart.StatusPass,
			StatusExtended: fmt.Sprintf("Transit gateway %s requires shared attachments to be accepted.", g.ID)}
		if g.AutoAcceptSharedAttachments {
			r.Status = rampart.StatusFail
			r.StatusExtended = fmt.Sprintf("Transit gateway %s accepts shared attachments automatically.", g.ID)
		}
		out = append(out, r)
	}
	return out
}

func vpcResult(v *VPC, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: v.ARN, ResourceName: v.ID, Tags: v.Tags, Status: rampart.StatusFail, StatusExtended: fmt.Sprintf(format, args...)}
	if ok {
		r.Status = rampart.StatusPass
	}
	return r
}

func evalFlowLogs(st *State) []checks.Result {
	active := map[string]bool{}
	for _, f := range st.Net.FlowLogs {
		if f.Status == "" || f.Status == "ACTIVE" {
			active[f.ResourceID] = true
		}
	}
	out := make([]checks.Result, 0, len(st.Net.VPCs))
	for _, v := range st.Net.VPCs {
		if active[v.ID] {
			out = append(out, vpcResult(v, true, "VPC %s has an active flow log.", v.ID))
		} else {
			out = append(out, vpcResult(v, false, "VPC %s has no active flow log.", v.ID))
		}
	}
	return out
}

func evalSubnetPublicIP(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.Net.Subnets))
	for _, s := range st.Net.Subnets {
		r := checks.Result{ResourceID: s.ARN, ResourceName: s.ID, Tags: s.Tags, Status: rampart.StatusPass,
			StatusExtended: fmt.Sprintf("Subnet %s of %s does not assign public IPs on launch.", s.ID, s.VpcID)}
		if s.MapPublicIPOnLaunch {
			r.Status = rampart.StatusFail
			r.StatusExtended = fmt.Sprintf("Subnet %s of %s assigns a public IP to every instance launched in it.", s.ID, s.VpcID)
		}
		out = append(out, r)
	}
	return out
}

func evalSubnetAZ(st *State) []checks.Result {
	azs := map[string][]string{}
	for _, s := range st.Net.Subnets {
		if !slices.Contains(azs[s.VpcID], s.AvailabilityZone) {
			azs[s.VpcID] = append(azs[s.VpcID], s.AvailabilityZone)
		}
	}
	out := make([]checks.Result, 0, len(st.Net.VPCs))
	for _, v := range st.Net.VPCs {
		z := azs[v.ID]
		sort.Strings(z)
		switch len(z) {
		case 0:
			out = append(out, vpcResult(v, false, "VPC %s has no subnet.", v.ID))
		case 1:
			out = append(out, vpcResult(v, false, "VPC %s has subnets in one availability zone only (%s).", v.ID, z[0]))
		default:
			out = append(out, vpcResult(v, true, "VPC %s has subnets in %s.", v.ID, strings.Join(z, ", ")))
		}
	}
	return out
}

func evalEC2Endpoint(st *State) []checks.Result {
	want := "com.amazonaws." + st.Region + ".ec2"
	has := map[string]bool{}
	for _, e := range st.Net.VPCEndpoints {
		if e.ServiceName == want {
			has[e.VpcID] = true
		}
	}
	out := make([]checks.Result, 0, len(st.Net.VPCs))
	for _, v := range st.Net.VPCs {
		if has[v.ID] {
			out = append(out, vpcResult(v, true, "VPC %s has an endpoint for %s.", v.ID, want))
		} else {
			out = append(out, vpcResult(v, false, "VPC %s has no endpoint for %s.", v.ID, want))
		}
	}
	return out
}

func endpointResult(st *State, e *VPCEndpoint, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: fmt.Sprintf("arn:aws:ec2:%s:%s:vpc-endpoint/%s", st.Region, st.AccountID, e.ID), ResourceName: e.ID,
		Tags: e.Tags, Status: rampart.StatusFail, StatusExtended: fmt.Sprintf(format, args...)}
	if ok {
		r.Status = rampart.StatusPass
	}
	return r
}

func evalEndpointMultiAZ(st *State) []checks.Result {
	az := map[string]string{}
	for _, s := range st.Net.Subnets {
		az[s.ID] = s.AvailabilityZone
	}
	var out []checks.Result
	for _, e := range st.Net.VPCEndpoints {
		if !strings.EqualFold(e.Type, "Interface") {
			continue
		}
		var zones []string
		for _, s := range e.SubnetIDs {
			if z := az[s]; z != "" && !slices.Contains(zones, z) {
				zones = append(zones, z)
			}
		}
		out = append(out, endpointResult(st, e, len(zones) > 1, "Interface endpoint %s for %s is in %d availability zones.", e.ID, e.ServiceName, len(zones)))
	}
	return out
}

var accountInARN = regexp.MustCompile(`^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)`)

// untrustedPrincipals returns why an endpoint policy admits principals
// outside account, or nothing.
func untrustedPrincipals(policy, account string) ([]string, error) {
	if strings.TrimSpace(policy) == "" {
		return []string{"no policy (full access for any principal)"}, nil
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, fmt.Errorf("endpoint policy is not JSON: %w", err)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return nil, fmt.Errorf("endpoint policy statement: %w", err)
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var why []string
	for _, s := range stmts {
		var effect string
		_ = json.Unmarshal(s["Effect"], &effect)
		if effect != "Allow" {
			continue
		}
		_, conditioned := s["Condition"]
		for _, p := range principals(s["Principal"]) {
			if p == "*" {
				if !conditioned {
					why = append(why, "any principal without a condition")
				}
				continue
			}
			if m := accountInARN.FindStringSubmatch(p); m != nil && m[1] != account {
				why = append(why, "principal "+p)
			}
		}
	}
	return why, nil
}

// principals flattens a policy Principal: "*", {"AWS": "..."} or
// {"AWS": [...]}.
func principals(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for _, v := range m {
		var one string
		var many []string
		if json.Unmarshal(v, &one) == nil {
			out = append(out, one)
		} else if json.Unmarshal(v, &many) == nil {
			out = append(out, many...)
		}
	}
	return out
}

func evalEndpointTrust(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.Net.VPCEndpoints))
	for _, e := range st.Net.VPCEndpoints {
		why, err := untrustedPrincipals(e.Policy, st.AccountID)
		switch {
		case err != nil:
			r := endpointResult(st, e, false, "Endpoint %s: %v.", e.ID, err)
			r.Status, r.ErrorClass = rampart.StatusNotEvaluated, rampart.ErrClassServiceError
			out = append(out, r)
		case len(why) > 0:
			out = append(out, endpointResult(st, e, false, "Endpoint %s for %s admits %s.", e.ID, e.ServiceName, strings.Join(why, "; ")))
		default:
			out = append(out, endpointResult(st, e, true, "Endpoint %s for %s admits only principals of account %s or conditioned access.", e.ID, e.ServiceName, st.AccountID))
		}
	}
	return out
}

func instancePortCheck(ports []int, service string) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		groups := map[string]*SecurityGroup{}
		for _, g := range st.SecurityGroups {
			groups[g.ID] = g
		}
		type inst struct {
			publicIP string
			groups   []string
		}
		byID := map[string]*inst{}
		var order []string
		for _, ni := range st.Net.NetworkInterfaces {
			if ni.InstanceID == "" {
				continue
			}
			in := byID[ni.InstanceID]
			if in == nil {
				in = &inst{}
				byID[ni.InstanceID] = in
				order = append(order, ni.InstanceID)
			}
			if ni.PublicIP != "" && in.publicIP == "" {
				in.publicIP = ni.PublicIP
			}
			in.groups = append(in.groups, ni.Groups...)
		}
		out := make([]checks.Result, 0, len(order))
		for _, id := range order {
			in := byID[id]
			r := checks.Result{ResourceID: fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", st.Region, st.AccountID, id), ResourceName: id, Status: rampart.StatusPass}
			var bad []string
			for _, gid := range in.groups {
				if g := groups[gid]; g != nil {
					for _, d := range offending(g, func(r Rule) bool { return r.CoversTCPAny(ports) }) {
						bad = append(bad, g.ID+": "+d)
					}
				}
			}
			switch {
			case len(bad) > 0 && in.publicIP != "":
				r.Status = rampart.StatusFail
				r.StatusExtended = fmt.Sprintf("Instance %s has public IP %s and exposes %s (TCP %s) to the internet: %s.", id, in.publicIP, service, portList(ports), strings.Join(bad, "; "))
			case len(bad) > 0:
				r.StatusExtended = fmt.Sprintf("Instance %s has no public IP; its security groups admit TCP %s from the internet but it is not reachable.", id, portList(ports))
			default:
				r.StatusExtended = fmt.Sprintf("Instance %s's security groups do not admit TCP %s from the internet.", id, portList(ports))
			}
			out = append(out, r)
		}
		return out
	}
}
