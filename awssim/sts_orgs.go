package awssim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	handlers["sts"] = map[string]handler{
		"AssumeRole":        (*Server).stsAssumeRole,
		"GetCallerIdentity": (*Server).stsGetCallerIdentity,
	}
	handlers["organizations"] = map[string]handler{
		"DescribeOrganization":             (*Server).orgDescribeOrganization,
		"DescribeAccount":                  (*Server).orgDescribeAccount,
		"ListRoots":                        (*Server).orgListRoots,
		"ListOrganizationalUnitsForParent": (*Server).orgListOUsForParent,
		"ListAccounts":                     (*Server).orgListAccounts,
		"ListAccountsForParent":            (*Server).orgListAccountsForParent,
		"ListChildren":                     (*Server).orgListChildren,
	}
}

// queryOK writes an awsquery success envelope around fill's output.
func (c *call) queryOK(ns string, fill func(x *xmlw)) {
	var x xmlw
	x.open(c.op+"Response", "xmlns", ns)
	x.open(c.op + "Result")
	fill(&x)
	x.close(c.op + "Result")
	x.open("ResponseMetadata")
	x.el("RequestId", c.reqID)
	x.close("ResponseMetadata")
	x.close(c.op + "Response")
	c.w.Header().Set("Content-Type", "text/xml")
	c.w.Header().Set("x-amzn-RequestId", c.reqID)
	c.wrote = true
	c.w.Write(x.Bytes())
}

// jsonOK writes an awsJson1.1 success body.
func (c *call) jsonOK(v any) {
	body, _ := json.Marshal(v)
	c.w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	c.w.Header().Set("X-Amzn-RequestId", c.reqID)
	c.wrote = true
	c.w.Write(body)
}

func (s *Server) stsGetCallerIdentity(c *call) *awsError {
	c.queryOK(nsSTS, func(x *xmlw) {
		x.el("Arn", c.arn)
		x.el("UserId", c.userID)
		x.el("Account", c.account.ID)
	})
	return nil
}

func (s *Server) stsAssumeRole(c *call) *awsError {
	roleARN := c.form.Get("RoleArn")
	sessionName := c.form.Get("RoleSessionName")
	if roleARN == "" || sessionName == "" {
		return errf(400, "ValidationError", "RoleArn and RoleSessionName are required")
	}
	denied := errf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.arn, roleARN)
	rest, ok := strings.CutPrefix(roleARN, "arn:aws:iam::")
	acctID, roleRes, ok2 := strings.Cut(rest, ":role/")
	if !ok || !ok2 || !reAccountID.MatchString(acctID) || roleRes == "" {
		return errf(400, "ValidationError", "%s is not a valid role ARN", roleARN)
	}
	roleName := roleRes[strings.LastIndexByte(roleRes, '/')+1:]
	target := s.estate.Account(acctID)
	if target == nil || target.Status != "ACTIVE" {
		return denied
	}
	if org := s.estate.OrganizationOf(acctID); acctID != c.account.ID && (org == nil || c.org == nil || org.ID != c.org.ID) {
		return denied
	}
	var role *Role
	for i := range target.Roles {
		if target.Roles[i].Name == roleName {
			role = &target.Roles[i]
		}
	}
	if role == nil || (role.ExternalID != "" && role.ExternalID != c.form.Get("ExternalId")) {
		return denied
	}
	duration := 3600
	if d := c.form.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return errf(400, "ValidationError", "DurationSeconds must be between 900 and 43200")
		}
		duration = n
	}
	seq := strconv.FormatUint(c.reqIDNum(), 10)
	sess := &session{
		Account: acctID, Role: roleName, SessionName: sessionName,
		Secret: secretFor("secret", acctID, roleName, seq),
		Token:  base64.StdEncoding.EncodeToString([]byte(secretFor("token", acctID, roleName, seq))),
		// Credentials expire by the real clock, so that SDK credential
		// caches behave even when the simulator's clock is fixed.
		Expiration: time.Now().UTC().Add(time.Duration(duration) * time.Second).Truncate(time.Second),
	}
	keyID := derivedKeyID("ASIA", acctID, roleName, sessionName, seq)
	s.sessMu.Lock()
	s.sessions[keyID] = sess
	s.sessMu.Unlock()
	c.queryOK(nsSTS, func(x *xmlw) {
		x.open("Credentials")
		x.el("AccessKeyId", keyID)
		x.el("SecretAccessKey", sess.Secret)
		x.el("SessionToken", sess.Token)
		x.ts("Expiration", sess.Expiration)
		x.close("Credentials")
		x.open("AssumedRoleUser")
		x.el("AssumedRoleId", derivedKeyID("AROA", acctID, roleName)+":"+sessionName)
		x.el("Arn", "arn:aws:sts::"+acctID+":assumed-role/"+roleName+"/"+sessionName)
		x.close("AssumedRoleUser")
	})
	return nil
}

func (c *call) reqIDNum() uint64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(c.reqID, "sim-"), 10, 64)
	return n
}

func secretFor(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:20])
}

// Organizations.

type orgAccount struct {
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	ID              string  `json:"Id"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
}

type orgUnit struct {
	Arn  string `json:"Arn"`
	ID   string `json:"Id"`
	Name string `json:"Name"`
}

// orgRequest decodes the JSON body and enforces that only the management
// account calls anything but DescribeOrganization.
func (s *Server) orgRequest(c *call, in any) *awsError {
	if c.org == nil {
		return errf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if c.op != "DescribeOrganization" && c.account.ID != c.org.ManagementAccount {
		return errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	if len(c.body) > 0 && in != nil {
		if err := json.Unmarshal(c.body, in); err != nil {
			return errf(400, "SerializationException", "cannot decode request body: %v", err)
		}
	}
	return nil
}

type orgPageIn struct {
	NextToken  string `json:"NextToken"`
	MaxResults int    `json:"MaxResults"`
	ParentID   string `json:"ParentId"`
	ChildType  string `json:"ChildType"`
	AccountID  string `json:"AccountId"`
}

func (s *Server) orgPage(n int, in orgPageIn) (int, int, string, *awsError) {
	if in.MaxResults < 0 || in.MaxResults > 20 {
		return 0, 0, "", errf(400, "InvalidInputException", "MaxResults must be between 1 and 20")
	}
	lo, hi, next, err := s.page(n, in.NextToken, in.MaxResults)
	if err != nil {
		return 0, 0, "", errf(400, "InvalidInputException", "The provided NextToken is invalid: %v", err)
	}
	return lo, hi, next, nil
}

func (s *Server) orgARN(o *Organization, kind, id string) string {
	switch kind {
	case "organization":
		return "arn:aws:organizations::" + o.ManagementAccount + ":organization/" + o.ID
	case "account":
		return "arn:aws:organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + id
	}
	return "arn:aws:organizations::" + o.ManagementAccount + ":" + kind + "/" + o.ID + "/" + id
}

func (s *Server) orgAccountJSON(o *Organization, a *Account) orgAccount {
	method := "INVITED"
	if a.ID != o.ManagementAccount {
		method = "CREATED"
	}
	return orgAccount{
		Arn: s.orgARN(o, "account", a.ID), Email: a.Email, ID: a.ID, JoinedMethod: method,
		JoinedTimestamp: float64(s.daysAgo(a.JoinedDaysAgo).Unix()), Name: a.Name,
		Status: a.Status, State: a.Status,
	}
}

func (s *Server) orgDescribeOrganization(c *call) *awsError {
	if e := s.orgRequest(c, nil); e != nil {
		return e
	}
	o := c.org
	mgmt := s.estate.Account(o.ManagementAccount)
	org := map[string]any{
		"Id": o.ID, "Arn": s.orgARN(o, "organization", ""), "FeatureSet": o.FeatureSet,
		"MasterAccountArn":   s.orgARN(o, "account", o.ManagementAccount),
		"MasterAccountId":    o.ManagementAccount,
		"MasterAccountEmail": mgmt.Email,
		"AvailablePolicyTypes": []map[string]string{
			{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
		},
	}
	c.jsonOK(map[string]any{"Organization": org})
	return nil
}

func (s *Server) orgDescribeAccount(c *call) *awsError {
	var in orgPageIn
	if e := s.orgRequest(c, &in); e != nil {
		return e
	}
	for _, a := range c.org.Accounts {
		if a.ID == in.AccountID {
			c.jsonOK(map[string]any{"Account": s.orgAccountJSON(c.org, a)})
			return nil
		}
	}
	return errf(400, "AccountNotFoundException", "You specified an account that doesn't exist.")
}

func (s *Server) orgListRoots(c *call) *awsError {
	var in orgPageIn
	if e := s.orgRequest(c, &in); e != nil {
		return e
	}
	lo, hi, next, e := s.orgPage(1, in)
	if e != nil {
		return e
	}
	roots := []map[string]any{}
	if lo < hi {
		roots = append(roots, map[string]any{
			"Id": c.org.RootID, "Arn": s.orgARN(c.org, "root", c.org.RootID), "Name": "Root",
			"PolicyTypes": []map[string]string{{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}},
		})
	}
	c.jsonOK(withToken(map[string]any{"Roots": roots}, next))
	return nil
}

func withToken(m map[string]any, next string) map[string]any {
	if next != "" {
		m["NextToken"] = next
	}
	return m
}

// parentExists reports whether id is the root or an OU of o.
func parentExists(o *Organization, id string) bool {
	if id == o.RootID {
		return true
	}
	for _, ou := range o.OUs {
		if ou.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) orgParent(c *call, in *orgPageIn) *awsError {
	if e := s.orgRequest(c, in); e != nil {
		return e
	}
	if in.ParentID == "" {
		return errf(400, "InvalidInputException", "ParentId is required")
	}
	if !parentExists(c.org, in.ParentID) {
		return errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	return nil
}

func (s *Server) childOUs(o *Organization, parent string) []orgUnit {
	var out []orgUnit
	for _, ou := range o.OUs {
		if ou.Parent == parent {
			out = append(out, orgUnit{Arn: s.orgARN(o, "ou", ou.ID), ID: ou.ID, Name: ou.Name})
		}
	}
	return out
}

func (s *Server) childAccounts(o *Organization, parent string) []orgAccount {
	var out []orgAccount
	for _, a := range o.Accounts {
		if parent == "" || a.OU == parent {
			out = append(out, s.orgAccountJSON(o, a))
		}
	}
	return out
}

func (s *Server) orgListOUsForParent(c *call) *awsError {
	var in orgPageIn
	if e := s.orgParent(c, &in); e != nil {
		return e
	}
	all := s.childOUs(c.org, in.ParentID)
	lo, hi, next, e := s.orgPage(len(all), in)
	if e != nil {
		return e
	}
	c.jsonOK(withToken(map[string]any{"OrganizationalUnits": append([]orgUnit{}, all[lo:hi]...)}, next))
	return nil
}

func (s *Server) orgListAccounts(c *call) *awsError {
	var in orgPageIn
	if e := s.orgRequest(c, &in); e != nil {
		return e
	}
	all := s.childAccounts(c.org, "")
	lo, hi, next, e := s.orgPage(len(all), in)
	if e != nil {
		return e
	}
	c.jsonOK(withToken(map[string]any{"Accounts": append([]orgAccount{}, all[lo:hi]...)}, next))
	return nil
}

func (s *Server) orgListAccountsForParent(c *call) *awsError {
	var in orgPageIn
	if e := s.orgParent(c, &in); e != nil {
		return e
	}
	all := s.childAccounts(c.org, in.ParentID)
	lo, hi, next, e := s.orgPage(len(all), in)
	if e != nil {
		return e
	}
	c.jsonOK(withToken(map[string]any{"Accounts": append([]orgAccount{}, all[lo:hi]...)}, next))
	return nil
}

func (s *Server) orgListChildren(c *call) *awsError {
	var in orgPageIn
	if e := s.orgParent(c, &in); e != nil {
		return e
	}
	type child struct {
		ID   string `json:"Id"`
		Type string `json:"Type"`
	}
	var all []child
	switch in.ChildType {
	case "ACCOUNT":
		for _, a := range s.childAccounts(c.org, in.ParentID) {
			all = append(all, child{a.ID, "ACCOUNT"})
		}
	case "ORGANIZATIONAL_UNIT":
		for _, ou := range s.childOUs(c.org, in.ParentID) {
			all = append(all, child{ou.ID, "ORGANIZATIONAL_UNIT"})
		}
	default:
		return errf(400, "InvalidInputException", "ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT")
	}
	lo, hi, next, e := s.orgPage(len(all), in)
	if e != nil {
		return e
	}
	c.jsonOK(withToken(map[string]any{"Children": append([]child{}, all[lo:hi]...)}, next))
	return nil
}

var _ http.Handler = (*Server)(nil)
