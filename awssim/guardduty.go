package awssim

func init() {
	handlers["guardduty"] = map[string]handler{
		"ListDetectors":           (*Server).gdListDetectors,
		"GetDetector":             (*Server).gdGetDetector,
		"GetAdministratorAccount": (*Server).gdGetAdministratorAccount,
		"ListFindings":            (*Server).gdListFindings,
	}
}

func (c *call) gdDetectorID() string { return derivedID("gd", c.account.ID, c.region())[3:] }

// gdRegion returns the detector of the call's region, or an error when the
// path names another detector.
func (c *call) gdRegion(checkPath bool) (*GuardDutyRegion, *awsError) {
	r := regional(c.account.GuardDuty, c.region())
	if checkPath && (r == nil || c.pathParam(1) != c.gdDetectorID()) {
		return nil, errf(400, "BadRequestException", "The request is rejected because the input detectorId is not owned by the current account.")
	}
	return r, nil
}

func (s *Server) gdListDetectors(c *call) *awsError {
	ids := []string{}
	if r, _ := c.gdRegion(false); r != nil {
		ids = append(ids, c.gdDetectorID())
	}
	c.jsonOK(map[string]any{"detectorIds": ids})
	return nil
}

func (s *Server) gdGetDetector(c *call) *awsError {
	r, e := c.gdRegion(true)
	if e != nil {
		return e
	}
	status := "DISABLED"
	if r.Enabled {
		status = "ENABLED"
	}
	on := map[string]bool{}
	for _, f := range r.Features {
		on[f] = true
	}
	var features []any
	for _, f := range []string{"CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS", "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"} {
		st := "DISABLED"
		if on[f] || (r.Enabled && (f == "CLOUD_TRAIL" || f == "DNS_LOGS" || f == "FLOW_LOGS")) {
			st = "ENABLED"
		}
		features = append(features, map[string]any{"name": f, "status": st})
	}
	c.jsonOK(map[string]any{"status": status, "serviceRole": "arn:aws:iam::" + c.account.ID + ":role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
		"findingPublishingFrequency": "SIX_HOURS", "features": features})
	return nil
}

func (s *Server) gdGetAdministratorAccount(c *call) *awsError {
	r, e := c.gdRegion(true)
	if e != nil {
		return e
	}
	out := map[string]any{}
	if r.Administrator != "" {
		out["administrator"] = map[string]any{"accountId": r.Administrator, "invitationId": derivedID("inv", c.account.ID)[4:], "relationshipStatus": "Enabled"}
	}
	c.jsonOK(out)
	return nil
}

func (s *Server) gdListFindings(c *call) *awsError {
	r, e := c.gdRegion(true)
	if e != nil {
		return e
	}
	ids := []string{}
	for i := range r.HighFindings {
		ids = append(ids, derivedID("f", c.account.ID, c.region(), string(rune('a'+i)))[2:])
	}
	c.jsonOK(map[string]any{"findingIds": ids})
	return nil
}
