package awssim

import "github.com/aws/smithy-go/encoding/cbor"

func init() {
	handlers["monitoring"] = map[string]handler{
		"DescribeAlarms": (*Server).cwDescribeAlarms,
	}
}

// cwDescribeAlarms answers in RPC v2 CBOR, the CloudWatch client's protocol.
// Every alarm is returned on one page.
func (s *Server) cwDescribeAlarms(c *call) *awsError {
	list := cbor.List{}
	for _, a := range regional(c.account.Alarms, c.region()) {
		ns := a.Namespace
		if ns == "" {
			ns = "CISBenchmark"
		}
		actions := cbor.List{}
		for _, act := range a.Actions {
			actions = append(actions, cbor.String(act))
		}
		list = append(list, cbor.Map{
			"AlarmName":          cbor.String(a.Name),
			"AlarmArn":           cbor.String("arn:aws:cloudwatch:" + c.region() + ":" + c.account.ID + ":alarm:" + a.Name),
			"MetricName":         cbor.String(a.Metric),
			"Namespace":          cbor.String(ns),
			"ActionsEnabled":     cbor.Bool(a.ActionsEnabled == nil || *a.ActionsEnabled),
			"AlarmActions":       actions,
			"StateValue":         cbor.String("OK"),
			"ComparisonOperator": cbor.String("GreaterThanOrEqualToThreshold"),
			"Threshold":          cbor.Float64(1),
			"EvaluationPeriods":  cbor.Uint(1),
		})
	}
	c.cborOK(cbor.Map{"MetricAlarms": list})
	return nil
}
