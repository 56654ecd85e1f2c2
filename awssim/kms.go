package awssim

import "strings"

func init() {
	handlers["kms"] = map[string]handler{
		"ListKeys":             (*Server).kmsListKeys,
		"DescribeKey":          (*Server).kmsDescribeKey,
		"GetKeyRotationStatus": (*Server).kmsGetKeyRotationStatus,
		"GetKeyPolicy":         (*Server).kmsGetKeyPolicy,
	}
}

// awsManagedKeyID is the ID of the AWS managed key aws/<service>.
func awsManagedKeyID(account, region, service string) string {
	return kmsKeyID(account, region, &KMSKey{Alias: "aws/" + service})
}

// kmsKeys returns the account's keys in the call's region, plus the AWS
// managed keys its DynamoDB tables use.
func (c *call) kmsKeys() []*KMSKey {
	keys := append([]*KMSKey{}, regional(c.account.KMS, c.region())...)
	for _, t := range regional(c.account.DynamoDB, c.region()) {
		if t.KMSKey == "aws" {
			keys = append(keys, &KMSKey{Alias: "aws/dynamodb", Manager: "AWS", Rotation: true})
			break
		}
	}
	return keys
}

func (c *call) kmsKey() (*KMSKey, *awsError) {
	var in struct{ KeyId string }
	if e := c.jsonIn(&in); e != nil {
		return nil, e
	}
	for _, k := range c.kmsKeys() {
		id := kmsKeyID(c.account.ID, c.region(), k)
		if in.KeyId == id || strings.HasSuffix(in.KeyId, ":key/"+id) || in.KeyId == "alias/"+k.Alias {
			return k, nil
		}
	}
	return nil, errf(400, "NotFoundException", "Key '%s' does not exist", in.KeyId)
}

func (s *Server) kmsListKeys(c *call) *awsError {
	var keys []map[string]string
	for _, k := range c.kmsKeys() {
		keys = append(keys, map[string]string{"KeyId": kmsKeyID(c.account.ID, c.region(), k), "KeyArn": kmsKeyARN(c.account.ID, c.region(), k)})
	}
	c.jsonOK(map[string]any{"Keys": append([]map[string]string{}, keys...), "Truncated": false})
	return nil
}

func (s *Server) kmsDescribeKey(c *call) *awsError {
	k, e := c.kmsKey()
	if e != nil {
		return e
	}
	manager, state, spec := k.Manager, k.State, "SYMMETRIC_DEFAULT"
	if manager == "" {
		manager = "CUSTOMER"
	}
	if state == "" {
		state = "Enabled"
	}
	if k.Asymmetric {
		spec = "RSA_2048"
	}
	c.jsonOK(map[string]any{"KeyMetadata": map[string]any{
		"KeyId": kmsKeyID(c.account.ID, c.region(), k), "Arn": kmsKeyARN(c.account.ID, c.region(), k),
		"AWSAccountId": c.account.ID, "KeyManager": manager, "KeyState": state, "Enabled": state == "Enabled",
		"KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT", "MultiRegion": k.MultiRegion, "Origin": "AWS_KMS",
		"Description": "alias/" + k.Alias,
	}})
	return nil
}

func (s *Server) kmsGetKeyRotationStatus(c *call) *awsError {
	k, e := c.kmsKey()
	if e != nil {
		return e
	}
	if k.Asymmetric {
		return errf(400, "UnsupportedOperationException", "Key rotation is not supported for asymmetric keys")
	}
	c.jsonOK(map[string]any{"KeyRotationEnabled": k.Rotation})
	return nil
}

func (s *Server) kmsGetKeyPolicy(c *call) *awsError {
	k, e := c.kmsKey()
	if e != nil {
		return e
	}
	policy := k.Policy
	if policy == "" {
		policy = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
			c.account.ID + `:root"},"Action":"kms:*","Resource":"*"}]}`
	}
	c.jsonOK(map[string]any{"Policy": policy, "PolicyName": "default"})
	return nil
}
