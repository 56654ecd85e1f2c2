package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Protocols the simulator speaks.
const (
	protoQuery = "awsquery" // STS, IAM
	protoEC2   = "ec2query"
	protoJSON  = "awsjson1.1" // Organizations
	protoREST  = "restxml"    // S3
)

const (
	nsIAM = "https://iam.amazonaws.com/doc/2010-05-08/"
	nsSTS = "https://sts.amazonaws.com/doc/2011-06-15/"
	nsEC2 = "http://ec2.amazonaws.com/doc/2016-11-15/"
	nsS3  = "http://s3.amazonaws.com/doc/2006-03-01/"
)

func protocolOf(service string) string {
	switch service {
	case "sts", "iam", "rds":
		return protoQuery
	case "monitoring":
		return protoCBOR
	case "ec2":
		return protoEC2
	case "s3":
		return protoREST
	}
	return protoJSON
}

// awsError is an error answered in the service's own wire shape.
type awsError struct {
	Status  int
	Code    string
	Message string
}

func (e *awsError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errf(status int, code, format string, args ...any) *awsError {
	return &awsError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeError writes err in the wire shape of the call's protocol.
func writeError(w http.ResponseWriter, method, service, requestID string, e *awsError) {
	h := w.Header()
	switch protocolOf(service) {
	case protoCBOR:
		writeCBORError(w, requestID, e)
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-RequestId", requestID)
		h.Set("X-Amzn-ErrorType", e.Code)
		w.WriteHeader(e.Status)
		body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
		w.Write(body)
	case protoEC2:
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(e.Status)
		var x xmlw
		x.header()
		x.open("Response")
		x.open("Errors")
		x.open("Error")
		x.el("Code", e.Code)
		x.el("Message", e.Message)
		x.close("Error")
		x.close("Errors")
		x.el("RequestID", requestID)
		x.close("Response")
		w.Write(x.Bytes())
	case protoREST:
		h.Set("x-amz-request-id", requestID)
		if method == http.MethodHead {
			w.WriteHeader(e.Status)
			return
		}
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(e.Status)
		var x xmlw
		x.header()
		x.open("Error")
		x.el("Code", e.Code)
		x.el("Message", e.Message)
		x.el("RequestId", requestID)
		x.close("Error")
		w.Write(x.Bytes())
	default:
		h.Set("Content-Type", "text/xml")
		h.Set("x-amzn-RequestId", requestID)
		w.WriteHeader(e.Status)
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		ns := nsIAM
		if service == "sts" {
			ns = nsSTS
		}
		var x xmlw
		x.open("ErrorResponse", "xmlns", ns)
		x.open("Error")
		x.el("Type", typ)
		x.el("Code", e.Code)
		x.el("Message", e.Message)
		x.close("Error")
		x.el("RequestId", requestID)
		x.close("ErrorResponse")
		w.Write(x.Bytes())
	}
}

// Standard errors per protocol.

func authError(service string) *awsError {
	switch protocolOf(service) {
	case protoJSON:
		return errf(400, "UnrecognizedClientException", "The security token included in the request is invalid.")
	case protoEC2:
		return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case protoREST:
		return errf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	return errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func missingAuthError(service string) *awsError {
	switch protocolOf(service) {
	case protoJSON:
		return errf(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
	case protoEC2:
		return errf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	case protoREST:
		return errf(403, "AccessDenied", "Anonymous access is not supported by this simulator")
	}
	return errf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
}

func unsupportedError(service, op string) *awsError {
	switch protocolOf(service) {
	case protoJSON:
		return errf(400, "UnknownOperationException", "Operation %s is not supported by the simulator", op)
	case protoREST:
		return errf(501, "NotImplemented", "A header or query you provided implies functionality (%s) that is not implemented", op)
	case protoEC2:
		return errf(400, "InvalidAction", "The action %s is not valid for this web service.", op)
	}
	return errf(400, "InvalidAction", "Could not find operation %s for version %s", op, map[bool]string{true: "2011-06-15", false: "2010-05-08"}[service == "sts"])
}

func throttleError(service string) *awsError {
	switch service {
	case "ec2":
		return errf(503, "RequestLimitExceeded", "Request limit exceeded.")
	case "s3":
		return errf(503, "SlowDown", "Please reduce your request rate.")
	case "organizations":
		return errf(400, "TooManyRequestsException", "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.")
	}
	return errf(400, "Throttling", "Rate exceeded")
}

func accessDeniedError(service, op, arn string) *awsError {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s:%s", arn, service, op)
	switch service {
	case "ec2":
		return errf(403, "UnauthorizedOperation", "You are not authorized to perform this operation. %s", msg)
	case "organizations":
		return errf(400, "AccessDeniedException", "%s", msg)
	}
	return errf(403, "AccessDenied", "%s", msg)
}

func internalError(service string) *awsError {
	switch service {
	case "ec2", "s3":
		return errf(500, "InternalError", "We encountered an internal error. Please try again.")
	case "iam":
		return errf(500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
	case "organizations":
		return errf(500, "ServiceException", "AWS Organizations can't complete your request because of an internal service error. Try again later.")
	}
	return errf(500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
}

// xmlw builds XML text.
type xmlw struct{ bytes.Buffer }

func (x *xmlw) header() { x.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n") }

// open writes a start tag; attrs are name/value pairs.
func (x *xmlw) open(name string, attrs ...string) {
	x.WriteByte('<')
	x.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(x, []byte(attrs[i+1]))
		x.WriteByte('"')
	}
	x.WriteByte('>')
}

func (x *xmlw) close(name string) { x.WriteString("</" + name + ">") }

// el writes <name>value</name>.
func (x *xmlw) el(name, value string) {
	x.open(name)
	xml.EscapeText(x, []byte(value))
	x.close(name)
}

// opt writes el unless value is empty.
func (x *xmlw) opt(name, value string) {
	if value != "" {
		x.el(name, value)
	}
}

func (x *xmlw) boolean(name string, v bool) { x.el(name, strconv.FormatBool(v)) }
func (x *xmlw) num(name string, v int)      { x.el(name, strconv.Itoa(v)) }
func (x *xmlw) ts(name string, t time.Time) { x.el(name, isoTime(t)) }

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// tags writes an EC2 tagSet.
func (x *xmlw) ec2Tags(tags map[string]string) {
	x.open("tagSet")
	for _, k := range sortedKeys(tags) {
		x.open("item")
		x.el("key", k)
		x.el("value", tags[k])
		x.close("item")
	}
	x.close("tagSet")
}

// credential is what the SigV4 credential scope says about a request.
type credential struct {
	AccessKey, Date, Region, Service string
}

// parseCredential extracts the credential scope from the Authorization
// header or, for presigned URLs, the X-Amz-Credential query parameter.
// Signatures are not verified.
func parseCredential(r *http.Request) (credential, bool) {
	scope := ""
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
			part = strings.TrimSpace(part)
			if v, ok := strings.CutPrefix(part, "Credential="); ok {
				scope = v
			}
		}
	} else if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		scope = v
	}
	f := strings.Split(scope, "/")
	if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
		return credential{}, false
	}
	return credential{AccessKey: f[0], Date: f[1], Region: f[2], Service: f[3]}, true
}

// guessService guesses the service of an unsigned request so that even the
// authentication error has the right shape.
func guessService(r *http.Request, form map[string][]string) string {
	if r.Header.Get("X-Amz-Target") != "" {
		return "organizations"
	}
	if v := form["Version"]; len(v) > 0 {
		switch v[0] {
		case "2016-11-15":
			return "ec2"
		case "2011-06-15":
			return "sts"
		}
		return "iam"
	}
	return "s3"
}

func escapeText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
