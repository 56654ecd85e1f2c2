package awssim

import "strings"

func init() {
	handlers["lambda"] = map[string]handler{
		"ListFunctions":        (*Server).lambdaListFunctions,
		"GetPolicy":            (*Server).lambdaGetPolicy,
		"GetFunctionUrlConfig": (*Server).lambdaGetFunctionURLConfig,
	}
}

func (c *call) lambdaARN(name string) string {
	return "arn:aws:lambda:" + c.region() + ":" + c.account.ID + ":function:" + name
}

func (c *call) lambdaFunction() (*LambdaFunction, *awsError) {
	name := c.pathParam(2)
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	for _, f := range regional(c.account.Lambda, c.region()) {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, errf(404, "ResourceNotFoundException", "Function not found: %s", c.lambdaARN(name))
}

func (s *Server) lambdaListFunctions(c *call) *awsError {
	all := regional(c.account.Lambda, c.region())
	lo, hi, next, err := s.page(len(all), c.r.URL.Query().Get("Marker"), 0)
	if err != nil {
		return errf(400, "InvalidParameterValueException", "%v", err)
	}
	fns := []map[string]any{}
	for _, f := range all[lo:hi] {
		runtime := f.Runtime
		if runtime == "" {
			runtime = "python3.12"
		}
		fn := map[string]any{"FunctionName": f.Name, "FunctionArn": c.lambdaARN(f.Name), "Runtime": runtime,
			"Handler": "index.handler", "Role": "arn:aws:iam::" + c.account.ID + ":role/" + f.Name + "-role"}
		if len(f.Env) > 0 {
			fn["Environment"] = map[string]any{"Variables": f.Env}
		}
		if f.EnvKMSKey != "" {
			fn["KMSKeyArn"] = kmsKeyRef(c.account, c.region(), f.EnvKMSKey)
		}
		if len(f.VPCSubnets) > 0 {
			fn["VpcConfig"] = map[string]any{"SubnetIds": f.VPCSubnets, "SecurityGroupIds": []string{}, "VpcId": derivedID("vpc", c.account.ID, c.region(), "lambda")}
		}
		if f.DeadLetter != "" {
			fn["DeadLetterConfig"] = map[string]any{"TargetArn": f.DeadLetter}
		}
		fns = append(fns, fn)
	}
	out := map[string]any{"Functions": fns}
	if next != "" {
		out["NextMarker"] = next
	}
	c.jsonOK(out)
	return nil
}

func (s *Server) lambdaGetPolicy(c *call) *awsError {
	f, e := c.lambdaFunction()
	if e != nil {
		return e
	}
	if f.Policy == "" {
		return errf(404, "ResourceNotFoundException", "The resource you requested does not exist.")
	}
	c.jsonOK(map[string]any{"Policy": f.Policy, "RevisionId": derivedID("rev", c.account.ID, f.Name)})
	return nil
}

func (s *Server) lambdaGetFunctionURLConfig(c *call) *awsError {
	f, e := c.lambdaFunction()
	if e != nil {
		return e
	}
	if f.URLAuth == "" {
		return errf(404, "ResourceNotFoundException", "The resource you requested does not exist.")
	}
	out := map[string]any{"FunctionArn": c.lambdaARN(f.Name), "AuthType": f.URLAuth,
		"FunctionUrl": "https://" + derivedID("url", c.account.ID, f.Name)[4:] + ".lambda-url." + c.region() + ".on.aws/"}
	if len(f.URLCorsOrigins) > 0 {
		out["Cors"] = map[string]any{"AllowOrigins": f.URLCorsOrigins}
	}
	c.jsonOK(out)
	return nil
}
