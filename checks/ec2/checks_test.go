package ec2

import (
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

func group(id, name string, ingress ...Rule) *SecurityGroup {
	return &SecurityGroup{ID: id, Name: name, VpcID: "vpc-1", Region: "eu-west-1",
		ARN: "arn:aws:ec2:eu-west-1:111122223333:security-group/" + id, Ingress: ingress}
}

func tcp(from, to int, cidrs ...string) Rule {
	r := Rule{Protocol: "tcp", FromPort: from, ToPort: to}
	for _, c := range cidrs {
		if c == AnyIPv6 {
			r.IPv6Ranges = append(r.IPv6Ranges, c)
		} else {
			r.IPv4Ranges = append(r.IPv4Ranges, c)
		}
	}
	return r
}

var allTraffic = Rule{Protocol: AllProtocols, FromPort: 0, ToPort: 65535, IPv4Ranges: []string{AnyIPv4}}

func eval(t *testing.T, id string, groups ...*SecurityGroup) []checks.Result {
	t.Helper()
	for _, c := range Checks {
		if c.Meta.ID == id {
			return c.Eval(&State{AccountID: "111122223333", Region: "eu-west-1", SecurityGroups: groups})
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

const (
	ssh      = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
	rdp      = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389"
	allPorts = "ec2_securitygroup_allow_ingress_from_internet_to_all_ports"
	dflt     = "ec2_securitygroup_default_restrict_traffic"
)

func TestPortChecks(t *testing.T) {
	pass, fail := rampart.StatusPass, rampart.StatusFail
	tests := []struct {
		name                string
		g                   *SecurityGroup
		ssh, rdp, everyPort rampart.Status
	}{
		{"no rules", group("sg-1", "empty"), pass, pass, pass},
		{"ssh from anywhere", group("sg-2", "web", tcp(22, 22, AnyIPv4)), fail, pass, pass},
		{"ssh from anywhere over IPv6", group("sg-3", "web", tcp(22, 22, AnyIPv6)), fail, pass, pass},
		{"ssh from the office", group("sg-4", "web", tcp(22, 22, "203.0.113.0/24")), pass, pass, pass},
		{"range covering 22 and 3389", group("sg-5", "wide", tcp(20, 4000, AnyIPv4)), fail, fail, pass},
		{"rdp from anywhere", group("sg-6", "win", tcp(3389, 3389, AnyIPv4)), pass, fail, pass},
		{"all traffic from anywhere", group("sg-7", "open", allTraffic), fail, fail, fail},
		{"every tcp port from anywhere", group("sg-8", "open", tcp(0, 65535, AnyIPv4)), fail, fail, fail},
		{"udp 22 from anywhere", group("sg-9", "udp", Rule{Protocol: "udp", FromPort: 0, ToPort: 65535, IPv4Ranges: []string{AnyIPv4}}), pass, pass, pass},
		{"https from anywhere", group("sg-10", "lb", tcp(443, 443, AnyIPv4, AnyIPv6)), pass, pass, pass},
		{"all traffic from a peer group", group("sg-11", "app", Rule{Protocol: AllProtocols, ToPort: 65535, SourceGroups: []string{"sg-1"}}), pass, pass, pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				id   string
				want rampart.Status
			}{{ssh, tt.ssh}, {rdp, tt.rdp}, {allPorts, tt.everyPort}} {
				got := eval(t, c.id, tt.g)
				if len(got) != 1 {
					t.Fatalf("%s: %d results", c.id, len(got))
				}
				r := got[0]
				if r.Status != c.want {
					t.Errorf("%s = %s (%s), want %s", c.id, r.Status, r.StatusExtended, c.want)
				}
				if r.ResourceID != tt.g.ARN || r.ResourceName != tt.g.ID || r.Region != "eu-west-1" || r.StatusExtended == "" {
					t.Errorf("%s result = %+v", c.id, r)
				}
			}
		})
	}
}

func TestDefaultRestrictTraffic(t *testing.T) {
	closed := group("sg-d1", "default")
	withEgress := group("sg-d2", "default")
	withEgress.Egress = []Rule{allTraffic}
	selfRef := group("sg-d3", "default", Rule{Protocol: AllProtocols, ToPort: 65535, SourceGroups: []string{"sg-d3"}})
	other := group("sg-x", "web", allTraffic)

	got := eval(t, dflt, closed, withEgress, selfRef, other)
	want := map[string]rampart.Status{"sg-d1": rampart.StatusPass, "sg-d2": rampart.StatusFail, "sg-d3": rampart.StatusFail}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d (non-default groups are out of scope)", len(got), len(want))
	}
	for _, r := range got {
		if r.Status != want[r.ResourceName] {
			t.Errorf("%s = %s (%s), want %s", r.ResourceName, r.Status, r.StatusExtended, want[r.ResourceName])
		}
	}
}
