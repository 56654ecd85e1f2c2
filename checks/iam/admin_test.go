package iam

import "testing"

func TestUserAdmin(t *testing.T) {
	tests := []struct {
		policies     []string
		admin, known bool
	}{
		{nil, false, false},
		{[]string{}, false, true},
		{[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, false, true},
		{[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"}, true, true},
		{[]string{"arn:aws:iam::aws:policy/IAMFullAccess"}, true, true},
	}
	for _, tt := range tests {
		u := &User{AttachedPolicies: tt.policies}
		if a, k := u.Admin(); a != tt.admin || k != tt.known {
			t.Errorf("%v: Admin() = %v, %v; want %v, %v", tt.policies, a, k, tt.admin, tt.known)
		}
	}
}
