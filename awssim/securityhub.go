package awssim

func init() {
	handlers["securityhub"] = map[string]handler{
		"DescribeHub":             (*Server).shDescribeHub,
		"GetAdministratorAccount": (*Server).shGetAdministratorAccount,
	}
}

func (c *call) shRegion() (*SecurityHubRegion, *awsError) {
	r := regional(c.account.SecurityHub, c.region())
	if r == nil || !r.Enabled {
		return nil, errf(401, "InvalidAccessException", "Account %s is not subscribed to AWS Security Hub", c.account.ID)
	}
	return r, nil
}

func (s *Server) shDescribeHub(c *call) *awsError {
	if _, e := c.shRegion(); e != nil {
		return e
	}
	c.jsonOK(map[string]any{"HubArn": "arn:aws:securityhub:" + c.region() + ":" + c.account.ID + ":hub/default", "AutoEnableControls": true})
	return nil
}

func (s *Server) shGetAdministratorAccount(c *call) *awsError {
	r, e := c.shRegion()
	if e != nil {
		return e
	}
	out := map[string]any{}
	if r.Administrator != "" {
		out["Administrator"] = map[string]any{"AccountId": r.Administrator, "MemberStatus": "Enabled", "InvitationId": derivedID("inv", c.account.ID)[4:]}
	}
	c.jsonOK(out)
	return nil
}
