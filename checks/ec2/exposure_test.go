package ec2

import (
	"reflect"
	"testing"
)

func TestExposureContext(t *testing.T) {
	ssh := []Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, IPv4Ranges: []string{AnyIPv4}}}
	internal := []Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, IPv4Ranges: []string{"10.0.0.0/8"}}}
	tests := []struct {
		name    string
		ingress []Rule
		att     []Attachment
		want    map[string]string
	}{
		{"unknown attachments", ssh, nil, nil},
		{"unattached", ssh, []Attachment{}, map[string]string{"public": "false", "attached": "false"}},
		{"open, instance with public IP", ssh, []Attachment{{PublicIP: true, PublicSubnet: true}},
			map[string]string{"public": "true", "attached": "true", "public_ip": "true", "subnet": "public"}},
		{"open, private instance", ssh, []Attachment{{}},
			map[string]string{"public": "false", "attached": "true", "public_ip": "false", "subnet": "private"}},
		{"internal rule, public instance", internal, []Attachment{{PublicIP: true}},
			map[string]string{"public": "false", "attached": "true", "public_ip": "true", "subnet": "private"}},
	}
	for _, tt := range tests {
		g := &SecurityGroup{Ingress: tt.ingress, Attachments: tt.att}
		if got := g.ExposureContext(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
