package lambda

import (
	"testing"
	"time"
)

func TestLooksSecret(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "Winter2024-orders!", true},
		{"ANYTHING", "AKIAABCDEFGHIJKLMNOP", true},
		{"DATABASE_URL", "postgres://app:hunter2pass@db:5432/x", true},
		{"DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:x", false},
		{"API_TOKEN", "", false},
		{"LOG_LEVEL", "info", false},
		{"QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/q", false},
		{"FEATURE_TOKEN_ENABLED", "true", false},
	}
	for _, tt := range tests {
		if got := LooksSecret(tt.name, tt.value); got != tt.want {
			t.Errorf("LooksSecret(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPublicPolicy(t *testing.T) {
	open := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}`
	scoped := `{"Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"AWS:SourceAccount":"1"}}}]}`
	starScoped := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`
	if !PublicPolicy(open) || PublicPolicy(scoped) || PublicPolicy(starScoped) || PublicPolicy("") {
		t.Error("PublicPolicy misjudged a policy")
	}
}

func TestRuntimeEndOfLife(t *testing.T) {
	Now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { Now = time.Now }()
	c := Checks[3]
	st := &State{Functions: []*Function{{Name: "old", Runtime: "python3.8"}, {Name: "new", Runtime: "python3.12"}, {Name: "soon", Runtime: "python3.9"}}}
	res := c.Eval(st)
	want := []string{"FAIL", "PASS", "PASS"} // python3.9 is deprecated only from 2025-12-15
	for i, r := range res {
		if string(r.Status) != want[i] {
			t.Errorf("%s: %s, want %s", st.Functions[i].Name, r.Status, want[i])
		}
	}
}
