package awssim

import "testing"

func TestDemoEstateLoads(t *testing.T) {
	e := DemoEstate()
	if got := len(e.Organizations); got != 3 {
		t.Fatalf("organizations = %d, want 3", got)
	}
	if got := e.AccountCount(); got < 24 {
		t.Fatalf("accounts = %d, want >= 24", got)
	}
}
