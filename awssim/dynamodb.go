package awssim

import (
	"encoding/json"
	"hash/crc32"
	"strconv"
)

// ddbOK writes a DynamoDB (JSON 1.0) success body with the X-Amz-Crc32
// header the SDK verifies.
func (c *call) ddbOK(v any) {
	body, _ := json.Marshal(v)
	h := c.w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-RequestId", c.reqID)
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	c.wrote = true
	c.w.Write(body)
}

func init() {
	handlers["dynamodb"] = map[string]handler{
		"ListTables":                (*Server).ddbListTables,
		"DescribeTable":             (*Server).ddbDescribeTable,
		"DescribeContinuousBackups": (*Server).ddbDescribeContinuousBackups,
	}
}

func (c *call) ddbTable() (*DynamoTable, *awsError) {
	var in struct{ TableName string }
	if e := c.jsonIn(&in); e != nil {
		return nil, e
	}
	for _, t := range regional(c.account.DynamoDB, c.region()) {
		if t.Name == in.TableName {
			return t, nil
		}
	}
	return nil, errf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", in.TableName)
}

func (s *Server) ddbListTables(c *call) *awsError {
	var in struct {
		ExclusiveStartTableName string
		Limit                   int
	}
	if e := c.jsonIn(&in); e != nil {
		return e
	}
	var names []string
	for _, t := range regional(c.account.DynamoDB, c.region()) {
		if in.ExclusiveStartTableName == "" || t.Name > in.ExclusiveStartTableName {
			names = append(names, t.Name)
		}
	}
	max := in.Limit
	if max <= 0 {
		max = s.opts.PageSize
	}
	out := map[string]any{"TableNames": []string{}}
	if len(names) > max {
		names = names[:max]
		out["LastEvaluatedTableName"] = names[max-1]
	}
	out["TableNames"] = append([]string{}, names...)
	c.ddbOK(out)
	return nil
}

func (s *Server) ddbDescribeTable(c *call) *awsError {
	t, e := c.ddbTable()
	if e != nil {
		return e
	}
	table := map[string]any{
		"TableName":                 t.Name,
		"TableArn":                  "arn:aws:dynamodb:" + c.region() + ":" + c.account.ID + ":table/" + t.Name,
		"TableStatus":               "ACTIVE",
		"DeletionProtectionEnabled": t.DeletionProtection,
	}
	switch t.KMSKey {
	case "":
	case "aws":
		table["SSEDescription"] = map[string]any{"Status": "ENABLED", "SSEType": "KMS",
			"KMSMasterKeyArn": "arn:aws:kms:" + c.region() + ":" + c.account.ID + ":key/" + awsManagedKeyID(c.account.ID, c.region(), "dynamodb")}
	default:
		table["SSEDescription"] = map[string]any{"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": kmsKeyRef(c.account, c.region(), t.KMSKey)}
	}
	c.ddbOK(map[string]any{"Table": table})
	return nil
}

func (s *Server) ddbDescribeContinuousBackups(c *call) *awsError {
	t, e := c.ddbTable()
	if e != nil {
		return e
	}
	status := "DISABLED"
	if t.PITR {
		status = "ENABLED"
	}
	c.ddbOK(map[string]any{"ContinuousBackupsDescription": map[string]any{
		"ContinuousBackupsStatus":        "ENABLED",
		"PointInTimeRecoveryDescription": map[string]any{"PointInTimeRecoveryStatus": status},
	}})
	return nil
}
