package ec2

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

const docs = "https://docs.aws.amazon.com/vpc/latest/userguide/"

func meta(m checks.Meta) checks.Meta {
	m.Module, m.Service = Name, "ec2"
	return prowlerfacts.Fill(m)
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	{Meta: meta(checks.Meta{
		ID:             "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
		Title:          "Security groups do not open SSH to the internet",
		Description:    "Fails a security group with an inbound rule from 0.0.0.0/0 or ::/0 that covers TCP port 22 (including all-traffic rules).",
		Risk:           "SSH reachable from anywhere invites brute force and exploitation of the daemon.",
		Remediation:    "Restrict port 22 to known address ranges, or drop the rule and use Session Manager or a bastion behind a VPN.",
		RemediationURL: docs + "security-group-rules.html",
		Categories:     []string{"internet-exposed"},
	}), Eval: portCheck(22, "SSH")},
	{Meta: meta(checks.Meta{
		ID:             "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
		Title:          "Security groups do not open RDP to the internet",
		Description:    "Fails a security group with an inbound rule from 0.0.0.0/0 or ::/0 that covers TCP port 3389 (including all-traffic rules).",
		Risk:           "RDP reachable from anywhere is a leading ransomware entry point.",
		Remediation:    "Restrict port 3389 to known address ranges, or reach Windows hosts through Fleet Manager or a VPN.",
		RemediationURL: docs + "security-group-rules.html",
		Categories:     []string{"internet-exposed"},
	}), Eval: portCheck(3389, "RDP")},
	{Meta: meta(checks.Meta{
		ID:             "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
		Title:          "Security groups do not open every port to the internet",
		Description:    "Fails a security group with an inbound rule from 0.0.0.0/0 or ::/0 for all protocols, or for TCP ports 0-65535.",
		Risk:           "Every service on the attached hosts is exposed, including ones never meant to be reachable.",
		Remediation:    "Replace the rule with rules for the specific ports and sources the workload needs.",
		RemediationURL: docs + "security-group-rules.html",
		Categories:     []string{"internet-exposed"},
	}), Eval: evalAllPorts},
	{Meta: meta(checks.Meta{
		ID:             "ec2_securitygroup_default_restrict_traffic",
		Title:          "Default security groups allow no traffic",
		Description:    "Fails a VPC's default security group that has any inbound or outbound rule. Only groups named \"default\" are evaluated.",
		Risk:           "Resources launched without an explicit group silently get the default group's access.",
		Remediation:    "Remove every rule from the default security group and attach purpose-built groups instead.",
		RemediationURL: docs + "default-security-group.html",
	}), Eval: evalDefault},
}

func result(g *SecurityGroup, ok bool, format string, args ...any) checks.Result {
	r := checks.Result{ResourceID: g.ARN, ResourceName: g.ID, Region: g.Region, Tags: g.Tags, Status: rampart.StatusFail,
		Context: g.ExposureContext()}
	if ok {
		r.Status = rampart.StatusPass
	}
	r.StatusExtended = fmt.Sprintf(format, args...)
	return r
}

func describe(r Rule) string {
	var src []string
	for _, c := range r.IPv4Ranges {
		if c == AnyIPv4 {
			src = append(src, c)
		}
	}
	for _, c := range r.IPv6Ranges {
		if c == AnyIPv6 {
			src = append(src, c)
		}
	}
	if r.Protocol == AllProtocols {
		return "all traffic from " + strings.Join(src, " and ")
	}
	return fmt.Sprintf("%s %d-%d from %s", r.Protocol, r.FromPort, r.ToPort, strings.Join(src, " and "))
}

// offending returns the internet-facing inbound rules of g matching match.
func offending(g *SecurityGroup, match func(Rule) bool) []string {
	var out []string
	for _, r := range g.Ingress {
		if r.FromInternet() && match(r) {
			out = append(out, describe(r))
		}
	}
	return out
}

func portCheck(port int, service string) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		out := make([]checks.Result, 0, len(st.SecurityGroups))
		for _, g := range st.SecurityGroups {
			if bad := offending(g, func(r Rule) bool { return r.CoversTCP(port) }); len(bad) > 0 {
				out = append(out, result(g, false, "Security group %s (%s) opens %s (TCP %d) to the internet: %s.", g.ID, g.Name, service, port, strings.Join(bad, "; ")))
			} else {
				out = append(out, result(g, true, "Security group %s (%s) does not open TCP %d to the internet.", g.ID, g.Name, port))
			}
		}
		return out
	}
}

func evalAllPorts(st *State) []checks.Result {
	out := make([]checks.Result, 0, len(st.SecurityGroups))
	for _, g := range st.SecurityGroups {
		if bad := offending(g, Rule.AllPorts); len(bad) > 0 {
			out = append(out, result(g, false, "Security group %s (%s) opens every port to the internet: %s.", g.ID, g.Name, strings.Join(bad, "; ")))
		} else {
			out = append(out, result(g, true, "Security group %s (%s) does not open every port to the internet.", g.ID, g.Name))
		}
	}
	return out
}

func evalDefault(st *State) []checks.Result {
	var out []checks.Result
	for _, g := range st.SecurityGroups {
		if g.Name != "default" {
			continue
		}
		if n, m := len(g.Ingress), len(g.Egress); n+m > 0 {
			out = append(out, result(g, false, "Default security group %s of %s has %d inbound and %d outbound rules.", g.ID, g.VpcID, n, m))
		} else {
			out = append(out, result(g, true, "Default security group %s of %s allows no traffic.", g.ID, g.VpcID))
		}
	}
	return out
}
