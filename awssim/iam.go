package awssim

import (
	"sort"
	"strconv"
	"strings"
)

func init() {
	handlers["iam"] = map[string]handler{
		"GetAccountSummary":        (*Server).iamGetAccountSummary,
		"GetAccountPasswordPolicy": (*Server).iamGetAccountPasswordPolicy,
		"ListUsers":                (*Server).iamListUsers,
		"GetUser":                  (*Server).iamGetUser,
		"GetLoginProfile":          (*Server).iamGetLoginProfile,
		"ListMFADevices":           (*Server).iamListMFADevices,
		"ListVirtualMFADevices":    (*Server).iamListVirtualMFADevices,
		"ListAccessKeys":           (*Server).iamListAccessKeys,
		"GetAccessKeyLastUsed":     (*Server).iamGetAccessKeyLastUsed,
		"ListAttachedUserPolicies": (*Server).iamListAttachedUserPolicies,
		"ListUserPolicies":         (*Server).iamListUserPolicies,
		"ListUserTags":             (*Server).iamListUserTags,
	}
}

func userARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

func mfaSerial(account, name string) string { return "arn:aws:iam::" + account + ":mfa/" + name }

// iamPage paginates n items with Marker/MaxItems and writes IsTruncated and
// Marker after fill has written the page.
func (s *Server) iamPage(c *call, n int, listName string, item func(x *xmlw, i int)) *awsError {
	max := 0
	if v := c.form.Get("MaxItems"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 1000 {
			return errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		max = m
	}
	lo, hi, next, err := s.page(n, c.form.Get("Marker"), max)
	if err != nil {
		return errf(400, "ValidationError", "Invalid Marker: %v", err)
	}
	c.queryOK(nsIAM, func(x *xmlw) {
		x.open(listName)
		for i := lo; i < hi; i++ {
			x.open("member")
			item(x, i)
			x.close("member")
		}
		x.close(listName)
		x.boolean("IsTruncated", next != "")
		x.opt("Marker", next)
	})
	return nil
}

func (s *Server) iamUser(c *call) (*User, *awsError) {
	name := c.form.Get("UserName")
	if name == "" {
		return nil, errf(400, "ValidationError", "UserName is required")
	}
	for _, u := range c.account.IAM.Users {
		if u.Name == name {
			return u, nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func (s *Server) iamGetAccountSummary(c *call) *awsError {
	a := c.account
	mfa := 0
	for _, u := range a.IAM.Users {
		if u.MFA {
			mfa++
		}
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	entries := []struct {
		k string
		v int
	}{
		{"Users", len(a.IAM.Users)}, {"UsersQuota", 5000},
		{"Groups", 0}, {"GroupsQuota", 300},
		{"Roles", len(a.Roles)}, {"RolesQuota", 1000},
		{"Policies", 0}, {"PoliciesQuota", 1500},
		{"MFADevices", mfa + b2i(a.IAM.RootMFA)}, {"MFADevicesInUse", mfa + b2i(a.IAM.RootMFA)},
		{"AccountMFAEnabled", b2i(a.IAM.RootMFA)},
		{"AccountAccessKeysPresent", b2i(a.IAM.RootAccessKeys)},
		{"AccountSigningCertificatesPresent", 0},
		{"ServerCertificates", 0}, {"ServerCertificatesQuota", 20},
		{"AccessKeysPerUserQuota", 2}, {"AttachedPoliciesPerUserQuota", 10},
	}
	c.queryOK(nsIAM, func(x *xmlw) {
		x.open("SummaryMap")
		for _, e := range entries {
			x.open("entry")
			x.el("key", e.k)
			x.num("value", e.v)
			x.close("entry")
		}
		x.close("SummaryMap")
	})
	return nil
}

func (s *Server) iamGetAccountPasswordPolicy(c *call) *awsError {
	pp := c.account.IAM.PasswordPolicy
	if pp == nil {
		return errf(404, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.", c.account.ID)
	}
	c.queryOK(nsIAM, func(x *xmlw) {
		x.open("PasswordPolicy")
		x.num("MinimumPasswordLength", pp.MinimumLength)
		x.boolean("RequireSymbols", pp.RequireSymbols)
		x.boolean("RequireNumbers", pp.RequireNumbers)
		x.boolean("RequireUppercaseCharacters", pp.RequireUppercase)
		x.boolean("RequireLowercaseCharacters", pp.RequireLowercase)
		x.boolean("AllowUsersToChangePassword", pp.AllowUsersToChange)
		x.boolean("ExpirePasswords", pp.MaxAgeDays > 0)
		if pp.MaxAgeDays > 0 {
			x.num("MaxPasswordAge", pp.MaxAgeDays)
		}
		if pp.ReusePrevention > 0 {
			x.num("PasswordReusePrevention", pp.ReusePrevention)
		}
		x.boolean("HardExpiry", pp.HardExpiry)
		x.close("PasswordPolicy")
	})
	return nil
}

func (s *Server) writeUser(x *xmlw, account string, u *User) {
	x.el("Path", "/")
	x.el("UserName", u.Name)
	x.el("UserId", derivedKeyID("AIDA", account, u.Name))
	x.el("Arn", userARN(account, u.Name))
	x.ts("CreateDate", s.daysAgo(u.CreatedDaysAgo))
	if u.PasswordLastUsedDaysAgo != nil {
		x.ts("PasswordLastUsed", s.daysAgo(*u.PasswordLastUsedDaysAgo))
	}
}

func (s *Server) iamListUsers(c *call) *awsError {
	users := c.account.IAM.Users
	if prefix := c.form.Get("PathPrefix"); prefix != "" && prefix != "/" {
		users = nil
	}
	return s.iamPage(c, len(users), "Users", func(x *xmlw, i int) { s.writeUser(x, c.account.ID, users[i]) })
}

func (s *Server) iamGetUser(c *call) *awsError {
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	c.queryOK(nsIAM, func(x *xmlw) {
		x.open("User")
		s.writeUser(x, c.account.ID, u)
		x.close("User")
	})
	return nil
}

func (s *Server) iamGetLoginProfile(c *call) *awsError {
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	if !u.ConsolePassword {
		return errf(404, "NoSuchEntity", "Login Profile for User %s cannot be found.", u.Name)
	}
	c.queryOK(nsIAM, func(x *xmlw) {
		x.open("LoginProfile")
		x.el("UserName", u.Name)
		x.ts("CreateDate", s.daysAgo(u.CreatedDaysAgo))
		x.boolean("PasswordResetRequired", false)
		x.close("LoginProfile")
	})
	return nil
}

func (s *Server) iamListMFADevices(c *call) *awsError {
	var u *User
	if c.form.Get("UserName") != "" {
		var e *awsError
		if u, e = s.iamUser(c); e != nil {
			return e
		}
	}
	n := 0
	if u != nil && u.MFA {
		n = 1
	}
	return s.iamPage(c, n, "MFADevices", func(x *xmlw, i int) {
		x.el("UserName", u.Name)
		x.el("SerialNumber", mfaSerial(c.account.ID, u.Name))
		x.ts("EnableDate", s.daysAgo(u.CreatedDaysAgo))
	})
}

func (s *Server) iamListVirtualMFADevices(c *call) *awsError {
	status := c.form.Get("AssignmentStatus")
	if status != "" && status != "Assigned" && status != "Unassigned" && status != "Any" {
		return errf(400, "ValidationError", "AssignmentStatus must be Assigned, Unassigned or Any")
	}
	type dev struct {
		serial string
		user   *User // nil = root
	}
	var devs []dev
	if status != "Unassigned" {
		if c.account.IAM.RootMFA {
			devs = append(devs, dev{mfaSerial(c.account.ID, "root-account-mfa-device"), nil})
		}
		for _, u := range c.account.IAM.Users {
			if u.MFA {
				devs = append(devs, dev{mfaSerial(c.account.ID, u.Name), u})
			}
		}
	}
	return s.iamPage(c, len(devs), "VirtualMFADevices", func(x *xmlw, i int) {
		d := devs[i]
		x.el("SerialNumber", d.serial)
		x.open("User")
		if d.user == nil {
			x.el("UserId", c.account.ID)
			x.el("Arn", "arn:aws:iam::"+c.account.ID+":root")
			x.ts("CreateDate", s.daysAgo(c.account.JoinedDaysAgo))
		} else {
			s.writeUser(x, c.account.ID, d.user)
		}
		x.close("User")
		if d.user == nil {
			x.ts("EnableDate", s.daysAgo(c.account.JoinedDaysAgo))
		} else {
			x.ts("EnableDate", s.daysAgo(d.user.CreatedDaysAgo))
		}
	})
}

func (s *Server) iamListAccessKeys(c *call) *awsError {
	if c.form.Get("UserName") == "" {
		// Without UserName AWS lists the calling user's keys; an assumed
		// role has none.
		return s.iamPage(c, 0, "AccessKeyMetadata", nil)
	}
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	return s.iamPage(c, len(u.AccessKeys), "AccessKeyMetadata", func(x *xmlw, i int) {
		k := u.AccessKeys[i]
		x.el("UserName", u.Name)
		x.el("AccessKeyId", k.ID)
		x.el("Status", k.Status)
		x.ts("CreateDate", s.daysAgo(k.AgeDays))
	})
}

func (s *Server) iamGetAccessKeyLastUsed(c *call) *awsError {
	id := c.form.Get("AccessKeyId")
	for _, u := range c.account.IAM.Users {
		for _, k := range u.AccessKeys {
			if k.ID != id {
				continue
			}
			c.queryOK(nsIAM, func(x *xmlw) {
				x.el("UserName", u.Name)
				x.open("AccessKeyLastUsed")
				if k.LastUsedDaysAgo != nil {
					x.ts("LastUsedDate", s.daysAgo(*k.LastUsedDaysAgo))
					x.el("ServiceName", k.LastUsedService)
					x.el("Region", orDefault(k.LastUsedRegion, "us-east-1"))
				} else {
					x.el("ServiceName", "N/A")
					x.el("Region", "N/A")
				}
				x.close("AccessKeyLastUsed")
			})
			return nil
		}
	}
	return errf(403, "AccessDenied", "User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", c.arn, id)
}

func (s *Server) iamListAttachedUserPolicies(c *call) *awsError {
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	return s.iamPage(c, len(u.AttachedPolicies), "AttachedPolicies", func(x *xmlw, i int) {
		arn := u.AttachedPolicies[i]
		x.el("PolicyName", arn[strings.LastIndexByte(arn, '/')+1:])
		x.el("PolicyArn", arn)
	})
}

func (s *Server) iamListUserPolicies(c *call) *awsError {
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	return s.iamPage(c, len(u.InlinePolicies), "PolicyNames", func(x *xmlw, i int) {
		x.WriteString(escapeText(u.InlinePolicies[i]))
	})
}

func (s *Server) iamListUserTags(c *call) *awsError {
	u, e := s.iamUser(c)
	if e != nil {
		return e
	}
	keys := make([]string, 0, len(u.Tags))
	for k := range u.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return s.iamPage(c, len(keys), "Tags", func(x *xmlw, i int) {
		x.el("Key", keys[i])
		x.el("Value", u.Tags[keys[i]])
	})
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
