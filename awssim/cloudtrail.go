package awssim

import "strings"

func init() {
	handlers["cloudtrail"] = map[string]handler{
		"DescribeTrails":    (*Server).ctDescribeTrails,
		"GetTrailStatus":    (*Server).ctGetTrailStatus,
		"GetEventSelectors": (*Server).ctGetEventSelectors,
	}
}

// visibleTrail is a trail as one account sees it in one region.
type visibleTrail struct {
	*Trail
	Owner string // account that owns the trail
}

func (t visibleTrail) home() string {
	if t.HomeRegion != "" {
		return t.HomeRegion
	}
	return "us-east-1"
}

func (t visibleTrail) arn() string {
	return "arn:aws:cloudtrail:" + t.home() + ":" + t.Owner + ":trail/" + t.Name
}

// trailsVisible returns the trails the call's account sees in its region:
// its own trails created there, its multi-region trails (shadow trails
// elsewhere) and the organization trails of its management account.
func (s *Server) trailsVisible(c *call, shadow bool) []visibleTrail {
	var out []visibleTrail
	add := func(a *Account, orgOnly bool) {
		for _, t := range a.CloudTrail {
			vt := visibleTrail{t, a.ID}
			if orgOnly && !t.Organization {
				continue
			}
			if vt.home() == c.region() || (shadow && (t.MultiRegion || orgOnly)) {
				out = append(out, vt)
			}
		}
	}
	add(c.account, false)
	if c.org != nil && c.org.ManagementAccount != c.account.ID {
		if m := s.estate.Account(c.org.ManagementAccount); m != nil {
			add(m, true)
		}
	}
	return out
}

func (s *Server) ctTrail(c *call, name string) (visibleTrail, *awsError) {
	for _, t := range s.trailsVisible(c, true) {
		if t.Name == name || t.arn() == name {
			return t, nil
		}
	}
	return visibleTrail{}, errf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", name, c.account.ID)
}

func (s *Server) ctDescribeTrails(c *call) *awsError {
	var in struct {
		IncludeShadowTrails *bool `json:"includeShadowTrails"`
	}
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	shadow := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	list := []map[string]any{}
	for _, t := range s.trailsVisible(c, shadow) {
		m := map[string]any{"Name": t.Name, "TrailARN": t.arn(), "HomeRegion": t.home(),
			"IsMultiRegionTrail": t.MultiRegion || t.Organization, "IsOrganizationTrail": t.Organization,
			"LogFileValidationEnabled": t.LogValidation, "S3BucketName": t.Bucket,
			"IncludeGlobalServiceEvents": true, "HasInsightSelectors": t.Insights}
		if t.KMSKey != "" {
			if owner := s.estate.Account(t.Owner); owner != nil {
				m["KmsKeyId"] = kmsKeyRef(owner, t.home(), t.KMSKey)
			}
		}
		if t.LogGroup != "" {
			m["CloudWatchLogsLogGroupArn"] = "arn:aws:logs:" + t.home() + ":" + t.Owner + ":log-group:" + t.LogGroup + ":*"
			m["CloudWatchLogsRoleArn"] = "arn:aws:iam::" + t.Owner + ":role/CloudTrailToCloudWatch"
		}
		list = append(list, m)
	}
	c.jsonOK(map[string]any{"trailList": list})
	return nil
}

func (s *Server) ctGetTrailStatus(c *call) *awsError {
	var in struct{ Name string }
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	t, e := s.ctTrail(c, in.Name)
	if e != nil {
		return e
	}
	c.jsonOK(map[string]any{"IsLogging": t.Logging == nil || *t.Logging})
	return nil
}

func (s *Server) ctGetEventSelectors(c *call) *awsError {
	var in struct{ TrailName string }
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	t, e := s.ctTrail(c, in.TrailName)
	if e != nil {
		return e
	}
	rw := t.ManagementEvents
	if rw == "" {
		rw = "All"
	}
	sel := map[string]any{"ReadWriteType": rw, "IncludeManagementEvents": !strings.EqualFold(rw, "None")}
	if strings.EqualFold(rw, "None") {
		sel["ReadWriteType"] = "All"
	}
	if t.S3DataEvents != "" {
		if !strings.EqualFold(rw, "None") && t.S3DataEvents != rw {
			// Data events with another read/write type need their own selector.
			c.jsonOK(map[string]any{"TrailARN": t.arn(), "EventSelectors": []any{sel, map[string]any{
				"ReadWriteType": t.S3DataEvents, "IncludeManagementEvents": false,
				"DataResources": []any{map[string]any{"Type": "AWS::S3::Object", "Values": []string{"arn:aws:s3"}}}}}})
			return nil
		}
		sel["ReadWriteType"] = t.S3DataEvents
		sel["DataResources"] = []any{map[string]any{"Type": "AWS::S3::Object", "Values": []string{"arn:aws:s3"}}}
	}
	c.jsonOK(map[string]any{"TrailARN": t.arn(), "EventSelectors": []any{sel}})
	return nil
}
