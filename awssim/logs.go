package awssim

func init() {
	handlers["logs"] = map[string]handler{
		"DescribeLogGroups":     (*Server).logsDescribeLogGroups,
		"DescribeMetricFilters": (*Server).logsDescribeMetricFilters,
	}
}

func (s *Server) logsDescribeLogGroups(c *call) *awsError {
	var in struct {
		NextToken string `json:"nextToken"`
		Limit     int    `json:"limit"`
	}
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	all := regional(c.account.Logs, c.region())
	lo, hi, next, err := s.page(len(all), in.NextToken, in.Limit)
	if err != nil {
		return errf(400, "InvalidParameterException", "%v", err)
	}
	list := []any{}
	for _, g := range all[lo:hi] {
		m := map[string]any{"logGroupName": g.Name, "arn": "arn:aws:logs:" + c.region() + ":" + c.account.ID + ":log-group:" + g.Name + ":*"}
		if g.RetentionDays > 0 {
			m["retentionInDays"] = g.RetentionDays
		}
		if g.KMSKey != "" {
			m["kmsKeyId"] = kmsKeyRef(c.account, c.region(), g.KMSKey)
		}
		list = append(list, m)
	}
	out := map[string]any{"logGroups": list}
	if next != "" {
		out["nextToken"] = next
	}
	c.jsonOK(out)
	return nil
}

func (s *Server) logsDescribeMetricFilters(c *call) *awsError {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	list := []any{}
	for _, g := range regional(c.account.Logs, c.region()) {
		if in.LogGroupName != "" && g.Name != in.LogGroupName {
			continue
		}
		for _, f := range g.MetricFilters {
			ns := f.Namespace
			if ns == "" {
				ns = "CISBenchmark"
			}
			list = append(list, map[string]any{"filterName": f.Name, "filterPattern": f.Pattern, "logGroupName": g.Name,
				"metricTransformations": []any{map[string]any{"metricName": f.Metric, "metricNamespace": ns, "metricValue": "1"}}})
		}
	}
	c.jsonOK(map[string]any{"metricFilters": list})
	return nil
}
