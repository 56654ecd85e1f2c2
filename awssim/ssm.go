package awssim

func init() {
	handlers["ssm"] = map[string]handler{
		"DescribeInstanceInformation":     (*Server).ssmDescribeInstanceInformation,
		"ListResourceComplianceSummaries": (*Server).ssmListResourceComplianceSummaries,
		"ListDocuments":                   (*Server).ssmListDocuments,
		"DescribeDocumentPermission":      (*Server).ssmDescribeDocumentPermission,
	}
}

func (c *call) ssmRegion() *SSMRegion {
	if r := regional(c.account.SSM, c.region()); r != nil {
		return r
	}
	return &SSMRegion{}
}

// ssmInstanceID resolves an instance name or ID of the account's EC2
// instances in the call's region.
func (c *call) ssmInstanceID(ref string) string {
	if r := c.account.EC2[c.region()]; r != nil {
		for _, in := range r.Instances {
			if in.Name == ref || in.ID == ref {
				return in.ID
			}
		}
	}
	return ref
}

func (s *Server) ssmPage(c *call, n int) (int, int, string, *awsError) {
	var in struct {
		NextToken  string
		MaxResults int
	}
	if e := c.jsonIn(&in); e != nil {
		return 0, 0, "", e
	}
	lo, hi, next, err := s.page(n, in.NextToken, in.MaxResults)
	if err != nil {
		return 0, 0, "", errf(400, "InvalidNextToken", "%v", err)
	}
	return lo, hi, next, nil
}

func (s *Server) ssmDescribeInstanceInformation(c *call) *awsError {
	all := c.ssmRegion().Managed
	lo, hi, next, e := s.ssmPage(c, len(all))
	if e != nil {
		return e
	}
	list := []any{}
	for _, ref := range all[lo:hi] {
		list = append(list, map[string]any{"InstanceId": c.ssmInstanceID(ref), "PingStatus": "Online", "ResourceType": "EC2Instance", "PlatformType": "Linux"})
	}
	c.jsonOK(withToken(map[string]any{"InstanceInformationList": list}, next))
	return nil
}

func (s *Server) ssmListResourceComplianceSummaries(c *call) *awsError {
	p := c.ssmRegion().Patch
	keys := sortedKeys(p)
	lo, hi, next, e := s.ssmPage(c, len(keys))
	if e != nil {
		return e
	}
	list := []any{}
	for _, k := range keys[lo:hi] {
		list = append(list, map[string]any{"ComplianceType": "Patch", "ResourceType": "ManagedInstance",
			"ResourceId": c.ssmInstanceID(k), "Status": p[k], "OverallSeverity": map[bool]string{true: "UNSPECIFIED", false: "CRITICAL"}[p[k] == "COMPLIANT"]})
	}
	c.jsonOK(withToken(map[string]any{"ResourceComplianceSummaryItems": list}, next))
	return nil
}

func (s *Server) ssmListDocuments(c *call) *awsError {
	all := c.ssmRegion().Documents
	lo, hi, next, e := s.ssmPage(c, len(all))
	if e != nil {
		return e
	}
	list := []any{}
	for _, d := range all[lo:hi] {
		list = append(list, map[string]any{"Name": d.Name, "Owner": c.account.ID, "DocumentType": "Command", "DocumentFormat": "YAML"})
	}
	c.jsonOK(withToken(map[string]any{"DocumentIdentifiers": list}, next))
	return nil
}

func (s *Server) ssmDescribeDocumentPermission(c *call) *awsError {
	var in struct{ Name string }
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	for _, d := range c.ssmRegion().Documents {
		if d.Name == in.Name {
			ids := []string{}
			if d.Public {
				ids = append(ids, "all")
			}
			c.jsonOK(map[string]any{"AccountIds": ids, "AccountSharingInfoList": []any{}})
			return nil
		}
	}
	return errf(400, "InvalidDocument", "Document %s does not exist in your account", in.Name)
}
