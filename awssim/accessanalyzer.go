package awssim

import "strings"

func init() {
	handlers["access-analyzer"] = map[string]handler{
		"ListAnalyzers": (*Server).aaListAnalyzers,
		"ListFindings":  (*Server).aaListFindings,
	}
}

func (c *call) aaARN(name string) string {
	return "arn:aws:access-analyzer:" + c.region() + ":" + c.account.ID + ":analyzer/" + name
}

func (s *Server) aaListAnalyzers(c *call) *awsError {
	list := []any{}
	for _, a := range regional(c.account.AccessAnalyzer, c.region()) {
		typ, status := a.Type, a.Status
		if typ == "" {
			typ = "ACCOUNT"
		}
		if status == "" {
			status = "ACTIVE"
		}
		list = append(list, map[string]any{"arn": c.aaARN(a.Name), "name": a.Name, "type": typ, "status": status,
			"createdAt": isoTime(s.daysAgo(100))})
	}
	c.jsonOK(map[string]any{"analyzers": list})
	return nil
}

func (s *Server) aaListFindings(c *call) *awsError {
	var in struct {
		AnalyzerArn string `json:"analyzerArn"`
	}
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	for _, a := range regional(c.account.AccessAnalyzer, c.region()) {
		if c.aaARN(a.Name) != in.AnalyzerArn {
			continue
		}
		list := []any{}
		for i := range a.ActiveFindings {
			list = append(list, map[string]any{"id": derivedID("aaf", a.Name, strings.Repeat("x", i))[4:], "status": "ACTIVE",
				"resourceType": "AWS::S3::Bucket", "resourceOwnerAccount": c.account.ID, "condition": map[string]string{},
				"analyzedAt": isoTime(s.daysAgo(1)), "createdAt": isoTime(s.daysAgo(2)), "updatedAt": isoTime(s.daysAgo(1))})
		}
		c.jsonOK(map[string]any{"findings": list})
		return nil
	}
	return errf(404, "ResourceNotFoundException", "Analyzer %s not found", in.AnalyzerArn)
}
