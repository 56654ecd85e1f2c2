package awssim

func init() {
	handlers["config"] = map[string]handler{
		"DescribeConfigurationRecorders":      (*Server).cfgDescribeRecorders,
		"DescribeConfigurationRecorderStatus": (*Server).cfgDescribeRecorderStatus,
		"DescribeDeliveryChannels":            (*Server).cfgDescribeDeliveryChannels,
	}
}

func (c *call) configRegion() *ConfigRegion {
	if r := regional(c.account.Config, c.region()); r != nil {
		return r
	}
	return &ConfigRegion{}
}

func (s *Server) cfgDescribeRecorders(c *call) *awsError {
	r := c.configRegion()
	list := []any{}
	if r.Recorder {
		role := r.Role
		if role == "" {
			role = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
		}
		list = append(list, map[string]any{"name": "default", "roleARN": "arn:aws:iam::" + c.account.ID + ":role/" + role,
			"recordingGroup": map[string]any{"allSupported": r.AllSupported, "includeGlobalResourceTypes": r.GlobalResources}})
	}
	c.jsonOK(map[string]any{"ConfigurationRecorders": list})
	return nil
}

func (s *Server) cfgDescribeRecorderStatus(c *call) *awsError {
	r := c.configRegion()
	list := []any{}
	if r.Recorder {
		last := r.LastStatus
		if last == "" {
			last = "SUCCESS"
		}
		list = append(list, map[string]any{"name": "default", "recording": r.Recording, "lastStatus": last})
	}
	c.jsonOK(map[string]any{"ConfigurationRecordersStatus": list})
	return nil
}

func (s *Server) cfgDescribeDeliveryChannels(c *call) *awsError {
	list := []any{}
	if c.configRegion().DeliveryChannel {
		list = append(list, map[string]any{"name": "default", "s3BucketName": "config-" + c.account.ID})
	}
	c.jsonOK(map[string]any{"DeliveryChannels": list})
	return nil
}
