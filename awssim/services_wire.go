package awssim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// protoCBOR is Smithy RPC v2 CBOR, the default protocol of the CloudWatch
// (monitoring) client.
const protoCBOR = "rpcv2cbor"

// restJSONServices route operations by method and path (restJson1).
var restJSONServices = map[string]bool{"lambda": true, "guardduty": true, "securityhub": true, "access-analyzer": true}

// servicesOperation names the operation of calls whose envelope is not an
// Action parameter or an X-Amz-Target header: restJson1 services (by method
// and path) and RPC v2 CBOR (by path). It returns "" for other protocols.
func servicesOperation(c *call) string {
	path := strings.TrimSuffix(c.r.URL.Path, "/")
	if protocolOf(c.service) == protoCBOR {
		if i := strings.LastIndex(path, "/operation/"); i >= 0 {
			return path[i+len("/operation/"):]
		}
		return ""
	}
	if !restJSONServices[c.service] {
		return ""
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	get := c.r.Method == http.MethodGet
	switch c.service {
	case "lambda":
		switch {
		case get && len(seg) == 2 && seg[1] == "functions":
			return "ListFunctions"
		case get && len(seg) == 4 && seg[3] == "policy":
			return "GetPolicy"
		case get && len(seg) == 4 && seg[3] == "url":
			return "GetFunctionUrlConfig"
		}
	case "guardduty":
		switch {
		case get && len(seg) == 1 && seg[0] == "detector":
			return "ListDetectors"
		case get && len(seg) == 2 && seg[0] == "detector":
			return "GetDetector"
		case get && len(seg) == 3 && seg[2] == "administrator":
			return "GetAdministratorAccount"
		case c.r.Method == http.MethodPost && len(seg) == 3 && seg[2] == "findings":
			return "ListFindings"
		}
	case "securityhub":
		switch {
		case get && path == "/accounts":
			return "DescribeHub"
		case get && path == "/administrator":
			return "GetAdministratorAccount"
		}
	case "access-analyzer":
		switch {
		case get && path == "/analyzer":
			return "ListAnalyzers"
		case c.r.Method == http.MethodPost && path == "/finding":
			return "ListFindings"
		}
	}
	return c.r.Method + " " + path
}

// pathParam returns the i-th segment of the request path.
func (c *call) pathParam(i int) string {
	seg := strings.Split(strings.TrimPrefix(c.r.URL.Path, "/"), "/")
	if i < len(seg) {
		return seg[i]
	}
	return ""
}

// jsonIn decodes the JSON request body into v; an empty body is {}.
func (c *call) jsonIn(v any) *awsError {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errf(400, "SerializationException", "request body is not valid JSON: %v", err)
	}
	return nil
}

// cborOK writes an RPC v2 CBOR success body.
func (c *call) cborOK(v cbor.Map) {
	h := c.w.Header()
	h.Set("Content-Type", "application/cbor")
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("X-Amzn-RequestId", c.reqID)
	c.wrote = true
	c.w.Write(cbor.Encode(v))
}

// writeCBORError writes e as an RPC v2 CBOR error.
func writeCBORError(w http.ResponseWriter, requestID string, e *awsError) {
	h := w.Header()
	h.Set("Content-Type", "application/cbor")
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(e.Status)
	w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}))
}

// accountARNPart returns the account ID of an ARN.
func accountARNPart(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 5 {
		return ""
	}
	return f[4]
}
